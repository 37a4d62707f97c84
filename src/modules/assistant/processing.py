"""Processing one inbound message: the turn (keywords, sign-up, confirmations, the menu or
Gemini) and its reply.

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
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.assistant import formatting as fmt
from modules.assistant import gemini, integrations, links, menu
from modules.assistant.actions import hand_off, propose, reply, supersede_pending
from modules.assistant.inbound import (
    behind_an_earlier_message,
    claim_attempt,
    conversation_for,
    locked_inbound,
    queue_next_of,
    record_failure,
)
from modules.assistant.keywords import (
    MENU_WORDS,
    SIGNUP_WORDS,
    VERIFICATION_CODE,
    answer_to_question,
    is_confirmation,
    is_refusal,
    normalize_text,
    wants_handoff,
)
from modules.assistant.models import Conversation, Message, ModelTurn, Proposal
from modules.assistant.toolbox import available_tools, open_question, propose_text, run_tool
from modules.identity import public as identity
from platform_core.errors import DomainError
from platform_core.phones import mask_phone
from platform_core.plugins import ToolContext

logger = logging.getLogger(__name__)


def process_message(message_id: str) -> None:
    """Answer one inbound message. Safe to call more than once: it answers only once.
    Each call is one counted attempt; the last failing one hands the conversation to staff.
    A message behind an earlier unanswered one of its conversation waits (no attempt
    counted): the earlier one queues it when it is answered."""
    if behind_an_earlier_message(message_id):
        logger.info("assistant: message %s waits for an earlier one", message_id)
        return
    if not claim_attempt(message_id):
        return
    try:
        step = _process(message_id)
        if step is not None:
            _finish(message_id, step, step.call())
    except Exception as exc:
        record_failure(message_id, exc)
        raise


def _answered(message: Message) -> None:
    message.processed_at = timezone.now()
    message.save(update_fields=["processed_at", "conversation"])
    queue_next_of(message.conversation_id)


def _process(message_id: str) -> _ProviderStep | None:
    """Decide the turn under the locks. A turn that needs a provider (Gemini's answer, a
    sign-up code sent or checked by Twilio Verify) returns that step, to be taken once this
    transaction has committed; any other turn completes here."""
    with transaction.atomic():
        message = locked_inbound(message_id)
        if message is None or message.processed_at is not None:
            return None
        conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
        if conversation.archived_at is not None:
            # Stored just before the number changed owner: it belongs to the live one.
            live = conversation_for(conversation.phone)
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
        message = locked_inbound(message_id)
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
        if conv.user is not None and self._answer_question():
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
                menu.media_text(),
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
        supersede_pending(conv, now)
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
    def _answer_question(self) -> bool:
        """True when this message answered a question a module put to the client outside
        the conversation (a freed slot offered from the waitlist, sent by the outbox):
        "sí" or "no" runs the module's yes or no tool, confirmed, and the outcome is the
        reply (a slot taken or expired meanwhile is said so). A proposal made in this
        conversation after the question was asked is what a "sí" is about instead."""
        answer = answer_to_question(self.text)
        if answer is None:
            return False
        question = open_question(self._ctx())
        if question is None:
            return False
        conv = self.conversation
        newer_proposal = Proposal.objects.filter(
            conversation=conv, status=Proposal.Status.PENDING, created_at__gt=question.asked_at
        )
        if newer_proposal.exists():
            return False
        now = timezone.now()
        supersede_pending(conv, now)  # an older proposal can no longer be confirmed
        if conv.state == Conversation.State.AWAITING_CONFIRMATION:
            self._set_state(Conversation.State.BOT)
        name = question.yes_tool if answer else question.no_tool
        tool = available_tools(has_user=True)[name]
        if answer and question.propose_yes:
            self._propose_answer(tool, dict(question.args))
            return True
        result = run_tool(tool, self._ctx(confirmed=True), dict(question.args))
        error = fmt.error_text(result)
        integrations.audit(
            "assistant.question_answered",
            actor=conv.user,
            target=question.key,
            details={"tool": name, "ok": error is None},
        )
        reply(
            conv,
            error if error is not None else _success_text(name, result),
            source=Message.Source.SYSTEM,
        )
        return True

    def _propose_answer(self, tool: Any, args: dict[str, Any]) -> None:
        """A yes that needs terms stated first: the tool's proposal (or why it cannot be
        done: taken, expired, a card missing), confirmed by the next "sí" as any other."""
        try:
            summary = propose_text(tool, self._ctx(), args)
        except DomainError as exc:
            reply(self.conversation, exc.message, source=Message.Source.SYSTEM)
            return
        propose(self.conversation, gemini.PendingAction(tool, args, summary), via_menu=False)

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
        confirm, deny = is_confirmation(self.text), is_refusal(self.text)
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
        if confirm or deny:
            self._forget_menu_step()  # "sí pero a las 5" no longer adjusts a settled proposal
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

    def _forget_menu_step(self) -> None:
        conv = self.conversation
        if conv.menu_state:
            conv.menu_state = {}
            conv.save(update_fields=["menu_state", "updated_at"])

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
        if conv.signup_stage == "awaiting_code" and VERIFICATION_CODE.match(self.words):
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
