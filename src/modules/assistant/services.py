"""The assistant's use-cases: receive an inbound WhatsApp message, process it, reply.

Processing runs on the ``bot`` queue, one message at a time per conversation and in the
order they arrived (a message waits while an earlier one of its conversation is unanswered),
and is idempotent: a message is answered once.

No provider call under a row lock (issue 16): a turn is decided with the message and the
conversation locked; when the answer needs Gemini, that transaction commits first (the
message stays unprocessed, so a failure is retried within its attempts), Gemini is asked
with no transaction open, and the answer is recorded in a second short transaction that
locks both rows again and answers only if the message is still unanswered.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.assistant import formatting as fmt
from modules.assistant import gemini, integrations, links, menu
from modules.assistant.formatting import split_message
from modules.assistant.models import Conversation, Message, ModelTurn, Proposal
from modules.assistant.toolbox import available_tools, run_tool
from modules.identity import public as identity
from platform_core.errors import DomainError, ValidationFailed
from platform_core.outbox import task_named
from platform_core.phones import mask_phone, normalize_phone
from platform_core.plugins import ToolContext

logger = logging.getLogger(__name__)

CONFIRM_WORDS = frozenset(
    {
        "si",
        "si confirmo",
        "si por favor",
        "si senor",
        "si senora",
        "confirmo",
        "confirmar",
        "confirmado",
        "dale",
        "de acuerdo",
        "listo",
        "ok",
        "okay",
        "claro",
        "claro que si",
        "si claro",
        "de una",
    }
)
DENY_WORDS = frozenset(
    {"no", "no gracias", "no confirmo", "cancelar", "cancela", "mejor no", "no quiero", "nop"}
)
SIGNUP_WORDS = frozenset(
    {
        "registrarme",
        "registro",
        "registrar",
        "quiero registrarme",
        "crear cuenta",
        "crear mi cuenta",
    }
)
MENU_WORDS = frozenset({"menu", "0", "opciones"})
_HANDOFF = re.compile(
    r"\b(asesor|asesora|humano|humana|agente)\b"
    r"|^(una )?persona$"
    r"|\bhablar con (una |alguna )?persona\b"
)
_CODE = re.compile(r"^\d{4,8}$")


def normalize_text(text: str) -> str:
    """Lower-case, no accents, no punctuation, single spaces: for keyword matching only."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = re.sub(r"[^\w\s]", " ", plain)
    return " ".join(plain.split())


def is_confirmation(text: str) -> bool:
    return normalize_text(text) in CONFIRM_WORDS


def wants_handoff(text: str) -> bool:
    return bool(_HANDOFF.search(normalize_text(text)))


# --- Inbound -------------------------------------------------------------------------------------
def receive_inbound(params: Mapping[str, str]) -> Message | None:
    """Store a verified Twilio message once (MessageSid is unique) and queue its processing.

    Returns None for a duplicate delivery or an unusable payload.
    """
    sid = (params.get("MessageSid") or params.get("SmsMessageSid") or "").strip()
    if not sid:
        return None
    try:
        phone = normalize_phone(params.get("From", ""))
    except ValidationFailed:
        logger.warning("assistant: inbound message %s with an invalid sender", sid)
        return None
    try:
        num_media = int(params.get("NumMedia") or 0)
    except ValueError:
        num_media = 0
    with transaction.atomic():
        conversation = _conversation_for(phone)
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    conversation=conversation,
                    direction=Message.Direction.INBOUND,
                    source=Message.Source.USER,
                    provider_sid=sid,
                    body=(params.get("Body") or "")[:4096],
                    num_media=num_media,
                )
        except IntegrityError:
            _requeue_if_unanswered(sid)
            return None
        public_id = str(message.public_id)
        transaction.on_commit(lambda: _enqueue(public_id))
    return message


PROCESS_MESSAGE = "assistant.process_message"  # tasks.process_message_task


def _requeue_if_unanswered(sid: str) -> None:
    """Twilio redelivers when our first answer failed. If that delivery was stored but its
    processing never got queued (the broker refused it), this retry queues it; processing
    is idempotent, so queueing a message twice still answers it once."""
    stored = Message.objects.filter(provider_sid=sid, processed_at__isnull=True).first()
    if stored is None:
        logger.info("assistant: duplicate delivery of %s ignored", sid)
        return
    public_id = str(stored.public_id)
    transaction.on_commit(lambda: _enqueue(public_id))


def _enqueue(message_id: str) -> None:
    """Queue the processing. A broker failure must not turn the webhook into a 500 after
    the message is safely stored: it is logged, and Twilio's retry or the periodic sweep
    (``requeue_unanswered``) queues it again."""
    try:
        task_named(PROCESS_MESSAGE).delay(message_id)
    except Exception:
        logger.exception("assistant: could not queue message %s; the sweep will", message_id)


def requeue_unanswered(
    *, older_than_seconds: int | None = None, max_age_hours: int | None = None
) -> int:
    """Beat task body: queue inbound messages stored but never processed (a lost publish,
    or a processing crash that rolled back), each at most ASSISTANT_MAX_ATTEMPTS times with
    exponential backoff between tries. Younger ones are still in the normal flow; much
    older ones would be answered out of context and are left to staff. A message out of
    attempts is handed to staff (normally done right after its last failure)."""
    now = timezone.now()
    older = (
        settings.ASSISTANT_REQUEUE_AFTER_SECONDS
        if older_than_seconds is None
        else older_than_seconds
    )
    age = settings.ASSISTANT_REQUEUE_MAX_AGE_HOURS if max_age_hours is None else max_age_hours
    pending = Message.objects.filter(
        direction=Message.Direction.INBOUND,
        processed_at__isnull=True,
        created_at__lte=now - timedelta(seconds=older),
        created_at__gte=now - timedelta(hours=age),
    )
    for public_id in pending.filter(attempts__gte=settings.ASSISTANT_MAX_ATTEMPTS).values_list(
        "public_id", flat=True
    )[:50]:
        give_up(str(public_id), reason="")
    ids = list(
        pending.filter(attempts__lt=settings.ASSISTANT_MAX_ATTEMPTS)
        .filter(models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now))
        .values_list("public_id", flat=True)[:200]
    )
    for public_id in ids:
        _enqueue(str(public_id))
    return len(ids)


def _locked_inbound(message_id: str) -> Message | None:
    return (
        Message.objects.select_for_update()
        .filter(public_id=message_id, direction=Message.Direction.INBOUND)
        .first()
    )


def _claim_attempt(message_id: str) -> bool:
    """Count one processing attempt (committed on its own, so a failure that rolls the
    turn back still counts). False when the message is done or out of attempts."""
    now = timezone.now()
    with transaction.atomic():
        message = _locked_inbound(message_id)
        if message is None or message.processed_at is not None:
            return False
        if message.attempts >= settings.ASSISTANT_MAX_ATTEMPTS:
            out_of_attempts = True
        else:
            out_of_attempts = False
            message.attempts += 1
            backoff = settings.ASSISTANT_RETRY_BASE_SECONDS * 2 ** (message.attempts - 1)
            message.next_attempt_at = now + timedelta(seconds=backoff)
            message.save(update_fields=["attempts", "next_attempt_at"])
    if out_of_attempts:
        give_up(message_id, reason="")
        return False
    return True


def _record_failure(message_id: str, exc: BaseException) -> None:
    reason = f"{type(exc).__name__}: {exc}"[:200]
    Message.objects.filter(public_id=message_id, processed_at__isnull=True).update(failure=reason)
    attempts = (
        Message.objects.filter(public_id=message_id).values_list("attempts", flat=True).first()
    )
    if attempts is not None and attempts >= settings.ASSISTANT_MAX_ATTEMPTS:
        give_up(message_id, reason=reason)


def give_up(message_id: str, *, reason: str) -> None:
    """The message could not be processed within its attempts: mark it done (never tried
    again) and put the conversation in the staff queue with the reason."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(public_id=message_id, processed_at__isnull=True)
            .first()
        )
        if message is None:
            return
        conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
        if conversation.archived_at is not None:
            conversation = _conversation_for(conversation.phone)
        message.processed_at = timezone.now()
        message.failure = (reason or message.failure or "max_attempts")[:200]
        message.save(update_fields=["processed_at", "failure"])
        _queue_next_of(message.conversation_id)  # the messages that waited behind it
        logger.warning(
            "assistant: message %s failed %s times; handed to staff",
            message.public_id,
            message.attempts,
        )
        if conversation.state != Conversation.State.HANDED_OFF:
            hand_off(
                conversation,
                reason=_("No pude procesar un mensaje tras %(n)s intentos (%(why)s).")
                % {"n": message.attempts, "why": message.failure},
            )


def _conversation_for(phone: str) -> Conversation:
    """The number's live conversation (archived ones belong to earlier owners)."""
    live = Conversation.objects.filter(phone=phone, archived_at__isnull=True)
    conversation = live.first()
    if conversation is not None:
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(phone=phone)
    except IntegrityError:  # created by a concurrent delivery
        return live.get()


# --- Processing ----------------------------------------------------------------------------------
def process_message(message_id: str) -> None:
    """Answer one inbound message. Safe to call more than once: it answers only once.
    Each call is one counted attempt; the last failing one hands the conversation to staff.
    A message behind an earlier unanswered one of its conversation waits (no attempt
    counted): the earlier one queues it when it is answered."""
    if _behind_an_earlier_message(message_id):
        logger.info("assistant: message %s waits for an earlier one", message_id)
        return
    if not _claim_attempt(message_id):
        return
    try:
        step = _process(message_id)
        if step is not None:
            _finish(message_id, step, step.call())
    except Exception as exc:
        _record_failure(message_id, exc)
        raise


def _unanswered_inbound(conversation_id: int) -> Any:
    """The conversation's inbound messages still waiting for an answer (recent enough to be
    answered at all: older ones are left to staff by the sweep)."""
    since = timezone.now() - timedelta(hours=settings.ASSISTANT_REQUEUE_MAX_AGE_HOURS)
    return Message.objects.filter(
        conversation_id=conversation_id,
        direction=Message.Direction.INBOUND,
        processed_at__isnull=True,
        created_at__gte=since,
    )


def _behind_an_earlier_message(message_id: str) -> bool:
    message = (
        Message.objects.filter(public_id=message_id, direction=Message.Direction.INBOUND)
        .only("pk", "conversation_id", "created_at", "processed_at")
        .first()
    )
    if message is None or message.processed_at is not None:
        return False
    return (
        _unanswered_inbound(message.conversation_id)
        .filter(
            models.Q(created_at__lt=message.created_at)
            | models.Q(created_at=message.created_at, pk__lt=message.pk)
        )
        .exists()
    )


def _queue_next_of(conversation_id: int) -> None:
    """After an answer commits: queue the conversation's next waiting message, if any."""
    following = (
        _unanswered_inbound(conversation_id)
        .order_by("created_at", "pk")
        .values_list("public_id", flat=True)
        .first()
    )
    if following is not None:
        public_id = str(following)
        transaction.on_commit(lambda: _enqueue(public_id))


def _answered(message: Message) -> None:
    message.processed_at = timezone.now()
    message.save(update_fields=["processed_at", "conversation"])
    _queue_next_of(message.conversation_id)


def _process(message_id: str) -> _ProviderStep | None:
    """Decide the turn under the locks. A turn that needs a provider (Gemini's answer, a
    sign-up code sent or checked by Twilio Verify) returns that step, to be taken once this
    transaction has committed; any other turn completes here."""
    with transaction.atomic():
        message = _locked_inbound(message_id)
        if message is None or message.processed_at is not None:
            return None
        conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
        if conversation.archived_at is not None:
            # Stored just before the number changed owner: it belongs to the live one.
            live = _conversation_for(conversation.phone)
            conversation = Conversation.objects.select_for_update().get(pk=live.pk)
            message.conversation = conversation
            message.save(update_fields=["conversation"])
        step = _Turn(conversation, message).run()
        if step is None:
            _answered(message)
        return step


def _finish(message_id: str, step: _ProviderStep, outcome: Any) -> None:
    """Record what the provider answered in a second short transaction, if the message is
    still unanswered and the conversation is still the bot's."""
    with transaction.atomic():
        message = _locked_inbound(message_id)
        if message is None or message.processed_at is not None:
            return  # answered meanwhile (a duplicate delivery of the task)
        conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
        _answered(message)
        if conversation.archived_at is not None or conversation.state in (
            Conversation.State.HANDED_OFF,
            Conversation.State.CLOSED,
        ):
            return  # staff took the conversation meanwhile: the bot is silent
        step.record(_Turn(conversation, message), outcome)


class _ProviderStep:
    """A provider call a turn needs: decided under the locks, made after commit
    (``call``, no transaction open), recorded in a second transaction (``record``)."""

    def call(self) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def record(self, turn: _Turn, outcome: Any) -> None:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass
class _ModelCall(_ProviderStep):
    """What to ask Gemini for one message, gathered under the locks."""

    history: list
    tools: dict
    ctx: ToolContext
    caller: str
    instruction: str

    def call(self) -> gemini.AgentReply | gemini.GeminiUnavailable:
        try:
            return gemini.respond(
                history=self.history,
                tools=self.tools,
                ctx=self.ctx,
                caller=self.caller,
                instruction=self.instruction,
            )
        except gemini.GeminiUnavailable as exc:
            return exc

    def record(self, turn: _Turn, outcome: Any) -> None:
        turn.answer_with(outcome)


@dataclass
class _SendSignupCode(_ProviderStep):
    """Sign-up by WhatsApp: the code goes out through Twilio Verify."""

    phone: str

    def call(self) -> DomainError | None:
        try:
            identity.start_phone_verification(self.phone, channel="whatsapp")
        except DomainError as exc:
            return exc
        return None

    def record(self, turn: _Turn, outcome: Any) -> None:
        conv = turn.conversation
        if isinstance(outcome, DomainError):
            reply(conv, outcome.message, source=Message.Source.SYSTEM)
            return
        conv.signup_stage = "awaiting_code"
        conv.save(update_fields=["signup_stage", "updated_at"])
        reply(
            conv,
            _("Te enviamos un código de verificación. Escríbelo aquí para activar tu cuenta."),
            source=Message.Source.SYSTEM,
        )


@dataclass
class _CheckSignupCode(_ProviderStep):
    """Sign-up by WhatsApp: the code the client wrote, checked by Twilio Verify."""

    phone: str
    code: str

    def call(self) -> Any:
        try:
            return identity.confirm_phone_verification(self.phone, self.code)
        except DomainError as exc:
            return exc

    def record(self, turn: _Turn, outcome: Any) -> None:
        conv = turn.conversation
        if isinstance(outcome, DomainError):
            reply(conv, outcome.message, source=Message.Source.SYSTEM)
            return
        conv.user_id, conv.signup_stage = outcome.id, ""
        conv.save(update_fields=["user", "signup_stage", "updated_at"])
        reply(
            conv,
            _("¡Listo! Tu número quedó verificado. Ya puedes reservar y ver tus citas por aquí."),
            source=Message.Source.SYSTEM,
        )


class _Turn:
    """Everything that happens for one inbound message, with the conversation locked."""

    def __init__(self, conversation: Conversation, message: Message) -> None:
        self.conversation = conversation
        self.message = message
        self.text = message.body.strip()
        self.words = normalize_text(self.text)

    # The order matters: opt-out keywords, rate limit, handoff silence, then the bot.
    def run(self) -> _ProviderStep | None:
        """Act on the message; return the provider step to take after commit, if the
        answer needs one. Everything done before that call is safe to do again when a failed
        attempt is retried (the media notice is stored once per message)."""
        phone = self.conversation.phone
        integrations.record_inbound(phone)
        if integrations.handle_inbound_keyword(phone, self.text):
            return None
        self._link_user()
        conv = self.conversation  # a new one if the number changed owner
        if not self._within_rate_limit():
            return None
        if conv.state == Conversation.State.HANDED_OFF:
            return None  # staff is answering; the bot stays silent
        if conv.state == Conversation.State.CLOSED:
            self._set_state(Conversation.State.BOT)
        if self.message.num_media:
            self._media_notice()
            if not self.text:
                return None
        if wants_handoff(self.text):
            hand_off(conv)
            return None
        if conv.state == Conversation.State.AWAITING_CONFIRMATION and self._resolve_proposal():
            return None
        if conv.user is None:
            signup = self._signup()
            if signup:
                return signup if isinstance(signup, _ProviderStep) else None
        return self._answer()

    def _media_notice(self) -> None:
        """ "Text only, please", once per inbound message (a retried attempt finds it)."""
        notice_id = uuid.uuid5(self.message.public_id, "media-notice")
        if not Message.objects.filter(public_id=notice_id).exists():
            reply(
                self.conversation,
                _media_text(),
                source=Message.Source.SYSTEM,
                public_id=notice_id,
            )

    def _link_user(self) -> None:
        """Act for whoever owns this number *now*: a client who moved to another number
        (or whose number moved to another account) must not be reachable from the old one,
        whose next holder may be a stranger. An unknown number becoming a client's (sign-up)
        is simply linked; a client's conversation is archived with them instead - its
        pending proposal superseded, its transcript, handoff and menu position left behind,
        still theirs for export and erasure - and this message starts a new one."""
        conv = self.conversation
        owner = identity.get_user_by_phone(conv.phone)
        owner_id = owner.id if owner is not None else None
        if owner_id == conv.user_id:
            return
        if conv.user_id is None:
            conv.user_id, conv.signup_stage = owner_id, ""
            conv.save(update_fields=["user", "signup_stage", "updated_at"])
            return
        logger.info("assistant: %s changed owner; conversation archived", mask_phone(conv.phone))
        now = timezone.now()
        _supersede_pending(conv, now)
        conv.archived_at, conv.state = now, Conversation.State.CLOSED
        conv.menu_state, conv.signup_stage = {}, ""
        conv.save(
            update_fields=["archived_at", "state", "menu_state", "signup_stage", "updated_at"]
        )
        fresh = Conversation.objects.create(phone=conv.phone, user_id=owner_id)
        self.message.conversation = fresh
        self.message.save(update_fields=["conversation"])
        self.conversation = fresh

    def _within_rate_limit(self) -> bool:
        conv = self.conversation
        digest = _digest(conv.phone)
        window = settings.ASSISTANT_RATE_WINDOW_SECONDS
        if integrations.allow(
            f"assistant:number:{digest}",
            limit=settings.ASSISTANT_MESSAGES_PER_WINDOW,
            window_seconds=window,
        ):
            return True
        logger.info("assistant: %s over the per-number limit", mask_phone(conv.phone))
        # Warn once per window, then stay silent (a loop or a flood must not cost replies).
        if integrations.allow(f"assistant:number-warned:{digest}", limit=1, window_seconds=window):
            reply(
                conv,
                _("Estás escribiendo muy rápido. Espera unos minutos y vuelve a escribirnos 🙏"),
                source=Message.Source.SYSTEM,
            )
        return False

    def _set_state(self, state: str) -> None:
        self.conversation.state = state
        self.conversation.save(update_fields=["state", "updated_at"])

    def _ctx(self, *, confirmed: bool = False) -> ToolContext:
        return ToolContext(
            user=self.conversation.user,
            conversation_id=str(self.conversation.public_id),
            confirmed=confirmed,
        )

    # --- confirmations ---
    def _resolve_proposal(self) -> bool:
        """True when this message was the answer to the pending proposal."""
        conv = self.conversation
        proposal = (
            Proposal.objects.select_for_update()
            .filter(conversation=conv, status=Proposal.Status.PENDING)
            .first()
        )
        self._set_state(Conversation.State.BOT)
        if proposal is None:
            return False
        confirm, deny = self.words in CONFIRM_WORDS, self.words in DENY_WORDS
        if proposal.expires_at <= timezone.now():
            _decide(proposal, Proposal.Status.EXPIRED)
            if confirm or deny:
                reply(
                    conv,
                    _(
                        "Esa propuesta ya venció, así que no hice ningún cambio. "
                        "Si quieres, empecemos de nuevo: escribe *menú* o cuéntame qué necesitas."
                    ),
                    source=Message.Source.SYSTEM,
                )
                return True
            return False
        if confirm:
            self._execute(proposal)
            return True
        if deny:
            _decide(proposal, Proposal.Status.REJECTED)
            reply(
                conv,
                _("Listo, no hice ningún cambio. ¿Te ayudo con algo más?"),
                source=Message.Source.SYSTEM,
            )
            return True
        # Anything else is a new request: the old proposal can no longer be confirmed.
        _decide(proposal, Proposal.Status.SUPERSEDED)
        return False

    def _execute(self, proposal: Proposal) -> None:
        conv = self.conversation
        tool = available_tools(has_user=conv.user is not None).get(proposal.tool_name)
        if tool is None or not tool.needs_confirmation:
            result: dict[str, Any] = {"error": _("Esta acción ya no está disponible.")}
        else:
            result = run_tool(tool, self._ctx(confirmed=True), dict(proposal.args))
        error = fmt.error_text(result)
        failed = error is not None
        _decide(proposal, Proposal.Status.FAILED if failed else Proposal.Status.EXECUTED, result)
        integrations.audit(
            "assistant.proposal_failed" if failed else "assistant.proposal_executed",
            actor=conv.user,
            target=f"assistant.proposal:{proposal.public_id}",
            details={"tool": proposal.tool_name, "via_menu": proposal.via_menu},
        )
        source = Message.Source.MENU if proposal.via_menu else Message.Source.SYSTEM
        if failed:
            reply(conv, _("No pude completarlo: %(e)s") % {"e": error}, source=source)
        else:
            reply(conv, _success_text(proposal.tool_name, result), source=source)

    # --- sign-up for unknown numbers ---
    def _signup(self) -> _ProviderStep | bool:
        """The sign-up step this message asks for (sent or checked after commit), True when
        it was answered here, False when it is not about signing up."""
        conv = self.conversation
        if conv.signup_stage == "awaiting_code" and _CODE.match(self.words):
            if getattr(identity, "confirm_phone_verification", None) is None:
                return False
            return _CheckSignupCode(phone=conv.phone, code=self.words)
        if self.words not in SIGNUP_WORDS:
            return False
        if getattr(identity, "start_phone_verification", None) is None:
            reply(
                conv,
                _("Crea tu cuenta aquí: %(url)s") % {"url": settings.ASSISTANT_SIGNUP_URL},
                source=Message.Source.SYSTEM,
            )
            return True
        return _SendSignupCode(phone=conv.phone)

    # --- the answer: Gemini, or the menu ---
    def _answer(self) -> _ProviderStep | None:
        conv = self.conversation
        ctx = self._ctx()
        tools = available_tools(has_user=conv.user is not None)
        menu_active = menu.is_active(conv.menu_state)
        in_menu_step = menu_active and conv.menu_state.get("step") != menu.MAIN
        menu_choice = self.words in MENU_WORDS or (menu_active and self.words.isdigit())
        if in_menu_step or menu_choice:
            self._menu(ctx, tools)
            return None
        if not gemini.is_configured():
            self._menu(ctx, tools, reason="not_configured")
            return None
        return _ModelCall(
            history=self._history(),
            tools=tools,
            ctx=ctx,
            caller=_digest(conv.phone),
            instruction=gemini.system_instruction(
                now=timezone.now(),
                registered=conv.user is not None,
                first_name=getattr(conv.user, "first_name", "") or "",
                hours=menu.hours_text(tools, ctx),  # the real schedule, not a sentence
            ),
        )

    def answer_with(self, outcome: gemini.AgentReply | gemini.GeminiUnavailable) -> None:
        """Second transaction: Gemini's answer, or the menu when Gemini was unavailable."""
        conv = self.conversation
        if isinstance(outcome, gemini.GeminiUnavailable):
            # The fallback reads the same message: free text, menu numbers or both.
            tools = available_tools(has_user=conv.user is not None)
            self._menu(self._ctx(), tools, reason=outcome.reason)
            return
        agent = outcome
        ModelTurn.objects.create(
            conversation=conv, engine=ModelTurn.Engine.GEMINI, tool_calls=agent.tool_calls
        )
        if conv.menu_state:
            conv.menu_state = {}
            conv.save(update_fields=["menu_state", "updated_at"])
        if agent.action is not None:
            propose(conv, agent.action, via_menu=False)
            return
        text = agent.text or _(
            "Disculpa, no logré resolverlo. ¿Me lo cuentas de otra forma? "
            "También puedes escribir *menú* o *asesor*."
        )
        reply(conv, text, source=Message.Source.GEMINI)

    def _menu(self, ctx: ToolContext, tools: dict, *, reason: str = "menu") -> None:
        conv = self.conversation
        result, state = menu.handle(self.text, conv.menu_state, ctx, tools)
        ModelTurn.objects.create(
            conversation=conv,
            engine=ModelTurn.Engine.MENU,
            reason=reason[:32],
            intent=result.intent[:20],
        )
        conv.menu_state = state
        conv.save(update_fields=["menu_state", "updated_at"])
        if result.handoff:
            hand_off(conv)
        elif result.action is not None:
            propose(conv, result.action, via_menu=True)
        else:
            reply(conv, result.text, source=Message.Source.MENU)

    def _history(self) -> list:
        conv = self.conversation
        since = timezone.now() - timedelta(hours=settings.ASSISTANT_HISTORY_HOURS)
        rows = list(
            conv.messages.filter(created_at__gte=since, processed_at__isnull=False)
            .exclude(body="")
            .order_by("-created_at", "-id")
            .values_list("direction", "body")[: settings.ASSISTANT_HISTORY_TURNS * 2]
        )
        if self.message.body and (Message.Direction.INBOUND, self.message.body) not in rows[:1]:
            rows.insert(0, (Message.Direction.INBOUND, self.message.body))
        turns = [
            ("user" if direction == Message.Direction.INBOUND else "model", body)
            for direction, body in reversed(rows)
        ]
        return gemini.build_history(turns)


def _digest(phone: str) -> str:
    """A number's key in the limiter (never the number itself)."""
    return hashlib.sha256(phone.encode()).hexdigest()[:20]


def _media_text() -> str:
    return _(
        "Gracias por tu archivo 🙏. Por ahora solo puedo leer mensajes de texto; "
        "cuéntame por escrito en qué te ayudo."
    )


def _success_text(tool_name: str, result: dict[str, Any]) -> str:
    if tool_name == "cancel_appointment" and not result.get("message"):
        text = _("Listo, tu cita quedó cancelada.")
        if result.get("refund_requested"):
            text += " " + _("Te devolveremos el anticipo en los próximos días.")
        elif result.get("deposit_kept_cents"):
            text += " " + _("El anticipo de %(m)s no se reembolsa.") % {
                "m": fmt.money(result["deposit_kept_cents"])
            }
        return text
    when = result.get("when")
    default = _("¡Listo! Quedó agendado para el %(when)s.") % {"when": when} if when else None
    if default and result.get("therapist"):
        default = default[:-1] + _(" con %(who)s.") % {"who": result["therapist"]}
    text = str(result.get("message") or default or _("¡Listo! Quedó hecho."))
    link = result.get("checkout_url") or result.get("payment_url")
    if link and link not in text:
        amount = fmt.money(result["deposit_cents"]) if result.get("deposit_cents") else ""
        text += "\n" + _("Para confirmarla, paga el anticipo%(amount)s aquí: %(url)s") % {
            "amount": f" de {amount}" if amount else "",
            "url": links.shorten(str(link)),
        }
        hold = fmt.local(result.get("hold_expires_at"))
        if hold is not None:
            text += "\n" + _("Te guardamos el espacio hasta las %(t)s") % {"t": fmt.clock(hold)}
    return text


def _decide(proposal: Proposal, status: str, result: dict[str, Any] | None = None) -> None:
    proposal.status = status
    proposal.decided_at = timezone.now()
    if result is not None:
        proposal.result = {k: v for k, v in result.items() if isinstance(k, str)}
    proposal.save(update_fields=["status", "decided_at", "result"])


# --- Shared actions ------------------------------------------------------------------------------
def _supersede_pending(conversation: Conversation, now: datetime) -> None:
    """The conversation's pending proposal (at most one) will never run."""
    Proposal.objects.filter(conversation=conversation, status=Proposal.Status.PENDING).update(
        status=Proposal.Status.SUPERSEDED, decided_at=now
    )


def propose(
    conversation: Conversation, action: gemini.PendingAction, *, via_menu: bool
) -> Proposal:
    """Store what would be done and ask for an explicit "sí" (nothing runs yet)."""
    now = timezone.now()
    _supersede_pending(conversation, now)
    proposal = Proposal.objects.create(
        conversation=conversation,
        tool_name=action.tool.name,
        args=action.args,
        summary=action.summary,
        via_menu=via_menu,
        expires_at=now + timedelta(minutes=settings.ASSISTANT_CONFIRMATION_MINUTES),
    )
    conversation.state = Conversation.State.AWAITING_CONFIRMATION
    conversation.save(update_fields=["state", "updated_at"])
    reply(
        conversation,
        f"{action.summary}\n\n" + _("¿Confirmas? Responde *sí* o *no*."),
        source=Message.Source.MENU if via_menu else Message.Source.GEMINI,
    )
    return proposal


def reply(
    conversation: Conversation,
    text: str,
    *,
    source: str,
    author: Any = None,
    template: str = integrations.REPLY_TEMPLATE,
    public_id: uuid.UUID | None = None,
) -> list[Message]:
    """Store the outbound text and queue it on WhatsApp, split at WhatsApp's length limit.
    ``public_id`` names the (first) stored message, for replies stored once per cause."""
    messages = []
    for chunk in split_message(text):
        ids = {"public_id": public_id} if public_id is not None and not messages else {}
        message = Message.objects.create(
            **ids,
            conversation=conversation,
            direction=Message.Direction.OUTBOUND,
            source=source,
            body=chunk,
            author=author,
            processed_at=timezone.now(),
        )
        integrations.send_whatsapp(
            phone=conversation.phone,
            user_id=conversation.user_id,
            body=chunk,
            idempotency_key=f"assistant:{message.public_id}",
            template=template,
        )
        messages.append(message)
    return messages


def hand_off(conversation: Conversation, *, reason: str = "") -> None:
    """Put the conversation in the staff queue; the bot stays silent until released.
    ``reason`` (for staff, never sent to the client) is kept in the audit log. The staff
    on duty (``ASSISTANT_HANDOFF_ALERT_ROLES``) are alerted once per handoff."""
    already = conversation.state == Conversation.State.HANDED_OFF
    _supersede_pending(conversation, timezone.now())
    conversation.state = Conversation.State.HANDED_OFF
    if not already or conversation.handed_off_at is None:
        conversation.handed_off_at = timezone.now()
    conversation.menu_state = {}
    conversation.save(update_fields=["state", "handed_off_at", "menu_state", "updated_at"])
    integrations.audit(
        "assistant.handoff",
        target=f"assistant.conversation:{conversation.public_id}",
        details={"reason": reason} if reason else None,
    )
    _alert_staff(conversation)
    tools = available_tools(has_user=conversation.user_id is not None)
    ctx = ToolContext(user=conversation.user, conversation_id=str(conversation.public_id))
    hours = menu.hours_text(tools, ctx)
    reply(
        conversation,
        _(
            "Te comunico con una persona de nuestro equipo. Te responderemos por aquí mismo "
            "lo antes posible. Nuestro horario:\n%(hours)s"
        )
        % {"hours": hours},
        source=Message.Source.SYSTEM,
    )


def staff_reply(conversation: Conversation, *, author: Any, text: str) -> list[Message]:
    """A staff member answers from the admin; the conversation stays with staff."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("Escribe un mensaje."))
    with transaction.atomic():
        conv = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conv.archived_at is not None:
            raise ValidationFailed(
                _(
                    "Esta conversación está archivada: el número ya no es de este cliente. "
                    "Escríbele en su conversación actual."
                )
            )
        if conv.state != Conversation.State.HANDED_OFF:
            conv.state = Conversation.State.HANDED_OFF
            conv.handed_off_at = conv.handed_off_at or timezone.now()
            conv.save(update_fields=["state", "handed_off_at", "updated_at"])
        integrations.audit(
            "assistant.staff_reply", actor=author, target=f"assistant.conversation:{conv.public_id}"
        )
        conv.staff_read_at = timezone.now()  # answering is reading
        conv.save(update_fields=["staff_read_at", "updated_at"])
        return reply(
            conv,
            text,
            source=Message.Source.STAFF,
            author=author,
            template=integrations.STAFF_REPLY_TEMPLATE,
        )


def release_to_bot(conversation: Conversation, *, closed: bool = False) -> None:
    """Staff is done: the bot answers again (or the conversation is closed)."""
    Conversation.objects.filter(pk=conversation.pk, archived_at__isnull=True).update(
        state=Conversation.State.CLOSED if closed else Conversation.State.BOT,
        menu_state={},
        updated_at=timezone.now(),
    )


# --- The staff inbox -----------------------------------------------------------------------------
def _alert_staff(conversation: Conversation) -> None:
    """One alert per handoff and staff member (the key carries the handoff's time)."""
    stamp = conversation.handed_off_at.isoformat() if conversation.handed_off_at else ""
    client = conversation.user.get_full_name() if conversation.user_id else ""
    integrations.alert_staff(
        roles=tuple(settings.ASSISTANT_HANDOFF_ALERT_ROLES),
        context={
            "client": client or mask_phone(conversation.phone),
            "url": f"{settings.SITE_URL}/admin/assistant/handoffconversation/"
            f"{conversation.pk}/change/",
        },
        key=f"assistant:handoff-alert:{conversation.public_id}:{stamp}",
    )


def mark_read(conversation: Conversation) -> None:
    """A staff member opened the conversation: its inbound messages so far are read."""
    Conversation.objects.filter(pk=conversation.pk).update(staff_read_at=timezone.now())


def return_to_assistant(conversation: Conversation, *, author: Any = None) -> bool:
    """Staff hands the conversation back ("Devolver al asistente") and the client is told.
    False when it was no longer with staff (released meanwhile, or archived)."""
    with transaction.atomic():
        conv = (
            Conversation.objects.select_for_update()
            .filter(pk=conversation.pk, archived_at__isnull=True)
            .first()
        )
        if conv is None or conv.state != Conversation.State.HANDED_OFF:
            return False
        _back_to_bot(conv, "assistant.handoff_returned", author)
        reply(
            conv,
            _(
                "Te dejo de nuevo con nuestro asistente virtual. Si necesitas a una persona, "
                "escribe *asesor*."
            ),
            source=Message.Source.SYSTEM,
        )
    return True


def release_stale_handoffs(*, minutes: int | None = None, limit: int = 100) -> int:
    """Beat task body: a handoff no staff member answered within ``minutes``
    (``ASSISTANT_HANDOFF_TIMEOUT_MINUTES``) returns to the assistant, and the client is
    told. Rows are locked one by one (SKIP LOCKED: a reply being written wins)."""
    minutes = settings.ASSISTANT_HANDOFF_TIMEOUT_MINUTES if minutes is None else minutes
    cutoff = timezone.now() - timedelta(minutes=minutes)
    stale = Conversation.objects.filter(
        state=Conversation.State.HANDED_OFF,
        archived_at__isnull=True,
        handed_off_at__lte=cutoff,
    )
    released = 0
    for pk in list(stale.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            conv = stale.select_for_update(skip_locked=True).filter(pk=pk).first()
            if conv is None:
                continue
            answered = conv.messages.filter(
                source=Message.Source.STAFF, created_at__gte=conv.handed_off_at
            ).exists()
            if answered:
                continue
            _back_to_bot(conv, "assistant.handoff_timed_out", None)
            reply(
                conv,
                _(
                    "Disculpa la espera: nuestro equipo no alcanzó a responderte. "
                    "Te sigo atendiendo yo, el asistente virtual. Si quieres intentar de nuevo "
                    "con una persona, escribe *asesor*."
                ),
                source=Message.Source.SYSTEM,
            )
            released += 1
    return released


def _back_to_bot(conv: Conversation, action: str, author: Any) -> None:
    conv.state = Conversation.State.BOT
    conv.menu_state = {}
    conv.save(update_fields=["state", "menu_state", "updated_at"])
    integrations.audit(action, actor=author, target=f"assistant.conversation:{conv.public_id}")
