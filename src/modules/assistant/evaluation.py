"""The assistant's evaluation set: Spanish conversations scored against the fallback or a
Gemini model (``tests/assistant/eval/*.yaml``, ``manage.py assistant_eval``).

A case file holds the client's messages and, per message, what must happen: the intent the
fallback reads, the proposal (tool and arguments) waiting for a "sí", the action executed,
read-only tool calls, facts the reply must state and facts it must not (another client's
data). Each case runs through the real pipeline (``receive_inbound`` → ``process_message``)
with a frozen clock, inside a transaction rolled back afterwards. See docs/assistant.md.
"""

from __future__ import annotations

import statistics
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from django.conf import settings
from django.db import transaction
from django.test.utils import override_settings

from modules.assistant import formatting as fmt
from modules.assistant import gemini, inbound, processing, toolbox
from modules.assistant.models import Conversation, Message, ModelTurn, Proposal
from modules.identity import public as identity
from platform_core.plugins import ToolContext, assistant_tools

CLIENTS = {"camila": "+573000000005", "carlos": "+573000000006", "unknown": "+573005550199"}
DEFAULT_CLOCK = "2026-12-07 09:00"  # a Monday
FALLBACK, GEMINI = "fallback", "gemini"
EXPECTED_INTENTS = (
    "greeting",
    "prices",
    "book",
    "my_appointments",
    "cancel",
    "reschedule",
    "order_status",
    "hours",
    "vip",
    "human",
)


@dataclass
class Turn:
    say: str
    media: int = 0  # attachments (a voice note arrives as one, with an empty body)
    intent: str = ""
    proposal: dict[str, Any] | None = None
    no_proposal: bool = False
    executed: str = ""
    tools: list[dict[str, Any]] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    handoff: bool = False


@dataclass
class Case:
    name: str
    path: Path
    clock: str
    client: str
    setup: dict[str, Any]
    turns: list[Turn]
    tags: list[str] = field(default_factory=list)

    @property
    def intent(self) -> str:
        """What the case is about, for per-intent accuracy (tags first: "injection")."""
        if self.tags:
            return self.tags[0]
        if any(t.handoff for t in self.turns):
            return "human"
        return next((t.intent for t in self.turns if t.intent), "-")


@dataclass
class TurnResult:
    say: str
    replies: list[str]
    problems: list[str]
    intent: str = ""
    seconds: float = 0.0
    tokens: int = 0
    requests: int = 0


@dataclass
class CaseResult:
    case: Case
    turns: list[TurnResult]

    @property
    def ok(self) -> bool:
        return all(not t.problems for t in self.turns)


def load(directory: Path) -> list[Case]:
    """The cases of ``directory``: one per file, or a file's ``cases:`` list (a message set
    written together, such as ``whatsapp/bogota.yaml``)."""
    cases = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        items = data.get("cases", [data])
        defaults = {k: v for k, v in data.items() if k != "cases"} if "cases" in data else {}
        for item in items:
            item = {**defaults, **item}
            cases.append(
                Case(
                    name=item.get("name", path.stem),
                    path=path,
                    clock=str(item.get("clock", DEFAULT_CLOCK)),
                    client=item.get("client", "camila"),
                    setup=item.get("setup") or {},
                    turns=[Turn(**turn) for turn in item["turns"]],
                    tags=list(item.get("tags") or []),
                )
            )
    return cases


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


class _Rollback(Exception):
    pass


def _user(client: str) -> identity.UserDTO | None:
    return identity.get_user_by_phone(CLIENTS[client])


def _setup(case: Case) -> list[str]:
    """Book the case's appointments (through the booking tool, confirmed); their ids."""
    ids = []
    tools = assistant_tools()
    for item in case.setup.get("appointments") or []:
        user = _user(item.get("client", case.client))
        ctx = ToolContext(user=user, conversation_id="eval-setup", confirmed=True)
        start = datetime.fromisoformat(item["at"]).replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
        result = tools["book_appointment"].handler(
            ctx, service_code=item["service"], start=start.isoformat()
        )
        if not result.get("ok"):
            raise RuntimeError(f"{case.path.name}: setup booking failed: {result}")
        ids.append(result["appointment_id"])
    return ids


def _resolve(value: Any, ids: list[str]) -> Any:
    if isinstance(value, str) and value.startswith("$appt"):
        return ids[int(value[5:] or 0)]
    return value


def _args_match(expected: dict[str, Any], actual: dict[str, Any], ids: list[str]) -> bool:
    for key, want in expected.items():
        want = _resolve(want, ids)
        got = actual.get(key)
        if key == "start" and got is not None:
            moment = fmt.local(str(got))
            got = moment.strftime("%Y-%m-%dT%H:%M") if moment else got
        if str(got) != str(want):
            return False
    return True


def _check(
    turn: Turn,
    replies: list[str],
    proposals: list[Proposal],
    executed: list[Proposal],
    calls: list[tuple[str, dict[str, Any]]],
    intent: str,
    conversation: Conversation,
    ids: list[str],
    engine: str,
) -> list[str]:
    problems = []
    text = _plain("\n".join(replies))
    if engine == FALLBACK and turn.intent and intent != turn.intent:
        problems.append(f"intent {intent or '-'} != {turn.intent}")
    if turn.proposal is not None:
        want_tool = turn.proposal.get("tool")
        if not any(
            p.tool_name == want_tool and _args_match(turn.proposal.get("args") or {}, p.args, ids)
            for p in proposals
        ):
            seen = [(p.tool_name, p.args) for p in proposals]
            problems.append(f"proposal {turn.proposal} not made (made: {seen})")
    if turn.no_proposal and proposals:
        problems.append(f"unexpected proposal {[(p.tool_name, p.args) for p in proposals]}")
    if turn.executed and not any(p.tool_name == turn.executed for p in executed):
        problems.append(f"{turn.executed} not executed")
    for expected in turn.tools:
        if not any(
            name == expected["name"] and _args_match(expected.get("args") or {}, args, ids)
            for name, args in calls
        ):
            problems.append(f"tool call {expected} missing (calls: {calls})")
    for fact in turn.facts:
        if _plain(str(fact)) not in text:
            problems.append(f"missing fact {fact!r}")
    for fact in turn.absent:
        if _plain(str(fact)) in text:
            problems.append(f"forbidden fact {fact!r} present")
    if turn.handoff and conversation.state != Conversation.State.HANDED_OFF:
        problems.append("not handed off")
    return problems


@contextmanager
def _recording_gemini(sink: list[gemini.AgentReply]) -> Iterator[None]:
    original = gemini.respond

    def respond(**kwargs: Any) -> gemini.AgentReply:
        reply = original(**kwargs)
        sink.append(reply)
        return reply

    gemini.respond = respond  # type: ignore[assignment]
    try:
        yield
    finally:
        gemini.respond = original  # type: ignore[assignment]


def run_case(case: Case, *, engine: str = FALLBACK, model: str = "") -> CaseResult:
    import time_machine  # a dev dependency: evaluation runs from a checkout

    overrides: dict[str, Any] = {
        "ASSISTANT_MESSAGES_PER_WINDOW": 10_000,
        "BOOKING_AVAILABILITY_CACHE_SECONDS": 0,  # the case's rollback must not leave stale slots
        "SITE_URL": "https://studiozens.example",
    }
    if engine == FALLBACK:
        overrides["GEMINI_API_KEY"] = ""
    elif model:
        overrides["GEMINI_MODEL"] = model
    clock = datetime.fromisoformat(case.clock).replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    phone = CLIENTS[case.client]
    results: list[TurnResult] = []
    with override_settings(**overrides), time_machine.travel(clock, tick=engine == GEMINI):
        try:
            with transaction.atomic():
                ids = _setup(case)
                for index, turn in enumerate(case.turns):
                    results.append(_play(case, index, turn, phone, ids, engine))
                raise _Rollback
        except _Rollback:
            pass
    return CaseResult(case, results)


def _media_fields(count: int) -> dict[str, str]:
    """Twilio's fields for ``count`` attachments (voice notes: audio/ogg)."""
    fields = {"NumMedia": str(count)}
    for n in range(count):
        fields[f"MediaContentType{n}"] = "audio/ogg"
        fields[f"MediaUrl{n}"] = f"https://api.twilio.com/fake/Media/ME{n}"
    return fields


def _play(
    case: Case, index: int, turn: Turn, phone: str, ids: list[str], engine: str
) -> TurnResult:
    calls: list[tuple[str, dict[str, Any]]] = []
    agent_replies: list[gemini.AgentReply] = []
    last_message = Message.objects.order_by("-id").values_list("id", flat=True).first() or 0
    last_proposal = Proposal.objects.order_by("-id").values_list("id", flat=True).first() or 0
    last_turn = ModelTurn.objects.order_by("-id").values_list("id", flat=True).first() or 0
    done = Proposal.objects.filter(status=Proposal.Status.EXECUTED)
    executed_before = set(done.values_list("id", flat=True))
    sid = f"SMeval{abs(hash((case.path.name, case.name, index))):x}"[:34]
    started = time.perf_counter()
    with (
        toolbox.observe(lambda name, args: calls.append((name, args))),
        _recording_gemini(agent_replies),
    ):
        message = inbound.receive_inbound(
            {
                "MessageSid": sid,
                "From": f"whatsapp:{phone}",
                "Body": turn.say,
                **_media_fields(turn.media),
            }
        )
        if message is not None:
            processing.process_message(str(message.public_id))
    seconds = time.perf_counter() - started
    conversation = Conversation.objects.filter(phone=phone, archived_at__isnull=True).first()
    replies = list(
        Message.objects.filter(
            id__gt=last_message, direction=Message.Direction.OUTBOUND, conversation__phone=phone
        )
        .order_by("id")
        .values_list("body", flat=True)
    )
    new_proposals = list(Proposal.objects.filter(id__gt=last_proposal))
    executed = [p for p in done if p.id not in executed_before]
    model_turn = ModelTurn.objects.filter(id__gt=last_turn).order_by("-id").first()
    intent = model_turn.intent if model_turn else ""
    problems = _check(
        turn, replies, new_proposals, executed, calls, intent, conversation, ids, engine
    )
    for reply in replies:
        if len(reply) > fmt.WHATSAPP_LIMIT:
            problems.append(f"reply longer than {fmt.WHATSAPP_LIMIT} characters")
    return TurnResult(
        say=turn.say,
        replies=replies,
        problems=problems,
        intent=intent,
        seconds=seconds,
        tokens=sum(r.tokens for r in agent_replies),
        requests=sum(r.requests for r in agent_replies),
    )


def run(cases: list[Case], *, engine: str = FALLBACK, model: str = "") -> list[CaseResult]:
    return [run_case(case, engine=engine, model=model) for case in cases]


def report(results: list[CaseResult], *, verbose: bool = False) -> str:
    """Fully-correct conversations overall and per intent, latency and tokens."""
    lines = []
    by_intent: dict[str, list[bool]] = defaultdict(list)
    seconds = [t.seconds for r in results for t in r.turns]
    tokens = sum(t.tokens for r in results for t in r.turns)
    requests = sum(t.requests for r in results for t in r.turns)
    for result in results:
        by_intent[result.case.intent or "-"].append(result.ok)
        if not result.ok or verbose:
            label = result.case.path.name
            if result.case.name != result.case.path.stem:
                label += f" :: {result.case.name}"
            lines.append(f"{'OK  ' if result.ok else 'FAIL'} {label}")
            for turn in result.turns:
                for problem in turn.problems:
                    lines.append(f"     > {turn.say!r}: {problem}")
                if verbose:
                    lines.append(f"     > {turn.say!r} [{turn.intent or '-'}]")
                    lines.extend(f"       | {r[:300]!r}" for r in turn.replies)
    passed = sum(r.ok for r in results)
    lines.append("")
    lines.append(f"{'intent':18} {'correct':>9}")
    for intent in sorted(by_intent):
        oks = by_intent[intent]
        lines.append(f"{intent:18} {sum(oks):>3}/{len(oks):<3} {100 * sum(oks) / len(oks):5.0f} %")
    if seconds:
        p95 = sorted(seconds)[max(0, int(len(seconds) * 0.95) - 1)]
        lines.append(
            f"latency per message: median {statistics.median(seconds) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms"
        )
    lines.append(f"Gemini requests: {requests}, tokens: {tokens}")
    turns = [t for r in results for t in r.turns]
    right = sum(not t.problems for t in turns)
    lines.append(f"replies right: {right}/{len(turns)}")
    lines.append(f"fully correct: {passed}/{len(results)} = {score(results):.1f} %")
    return "\n".join(lines)


def score(results: list[CaseResult]) -> float:
    return 100.0 * sum(r.ok for r in results) / max(1, len(results))
