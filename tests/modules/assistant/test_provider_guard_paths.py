"""Issue 16 (3), the assistant's paths: the turn is decided with the conversation locked, Gemini
is asked with no transaction open (the scripted Gemini refuses a call under a lock), the
answer is recorded in a second short transaction. Messages of one conversation are still
answered in order, and a failed attempt is still retried within the bounded attempts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from modules.assistant import gemini, inbound, menu, processing
from modules.assistant.models import Conversation, Message, ModelTurn
from platform_core import provider_guard
from platform_core.plugins import ToolContext
from tests.modules.assistant.conftest import text, twilio_params

pytestmark = pytest.mark.django_db


def _outbound() -> list[str]:
    return list(
        Message.objects.filter(direction=Message.Direction.OUTBOUND)
        .order_by("created_at", "id")
        .values_list("body", flat=True)
    )


def test_gemini_is_asked_with_no_transaction_open(
    whatsapp: Any, fake_gemini: Any, user: Any, provider_calls: list
) -> None:
    fake_gemini.script(text("¡Hola! ¿En qué te ayudo?"))
    assert whatsapp.send(user.phone_number, "hola") == ["¡Hola! ¿En qué te ayudo?"]
    gemini_calls = [(op, depth) for provider, op, depth in provider_calls if provider == "Gemini"]
    assert gemini_calls == [("/v1/models/gemini-3.5-flash:generateContent", 0)]
    assert ModelTurn.objects.get().engine == ModelTurn.Engine.GEMINI
    message = Message.objects.get(direction=Message.Direction.INBOUND)
    assert message.processed_at is not None and message.attempts == 1
    # The reply's WhatsApp send went out after commit too.
    assert any(p.startswith("messaging") and d == 0 for p, _op, d in provider_calls)


def test_the_scripted_gemini_refuses_a_call_under_the_conversation_lock(
    fake_gemini: Any, user: Any
) -> None:
    conversation = Conversation.objects.create(phone=user.phone_number, user=user)
    fake_gemini.script(text("no debería llegar"))
    with transaction.atomic():
        Conversation.objects.select_for_update().get(pk=conversation.pk)
        with pytest.raises(provider_guard.ProviderCallUnderLock):
            gemini.respond(
                history=gemini.build_history([("user", "hola")]),
                tools={},
                ctx=ToolContext(user=user, conversation_id=str(conversation.public_id)),
                instruction="",
            )
    assert any("Gemini" in v for v in provider_guard.violations())
    assert fake_gemini.requests == []
    provider_guard.clear_violations()


def test_a_message_arriving_while_gemini_thinks_waits_and_is_answered_after(
    whatsapp: Any, fake_gemini: Any, user: Any
) -> None:
    """The conversation is not locked during the Gemini call, so a second message can be
    processed meanwhile: it waits (no attempt counted) and is answered after the first."""
    seen: dict[str, Any] = {}

    def first_answer(_request: dict[str, Any]) -> dict[str, Any]:
        second = inbound.receive_inbound(
            twilio_params(user.phone_number, "y el precio?", sid="SM" + "2" * 32)
        )
        processing.process_message(str(second.public_id))  # a worker picks it up now
        second.refresh_from_db()
        seen.update(attempts=second.attempts, processed=second.processed_at, out=_outbound())
        return text("Respuesta a la primera")

    fake_gemini.script(first_answer, text("Respuesta a la segunda"))
    whatsapp.send(user.phone_number, "hola, ¿tienen masajes?")
    assert seen == {"attempts": 0, "processed": None, "out": []}  # it waited
    assert _outbound() == ["Respuesta a la primera", "Respuesta a la segunda"]
    assert Message.objects.filter(processed_at__isnull=True).count() == 0
    assert len(fake_gemini.requests) == 2


def test_a_failed_gemini_attempt_is_retried_and_answered_once(
    whatsapp: Any, fake_gemini: Any, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after the first transaction committed (between the call and the record)
    leaves the message unanswered, its attempt counted: the retry answers it once, and the
    media notice decided in the first transaction is not sent twice."""
    real_finish = processing._finish
    crashes = [RuntimeError("worker lost")]

    def finish_or_crash(*args: Any) -> None:
        if crashes:
            raise crashes.pop()
        real_finish(*args)

    monkeypatch.setattr(processing, "_finish", finish_or_crash)
    fake_gemini.script(text("Perdida"), text("Aquí estoy"))
    # The task's error is logged by the eager queue; the message stays for the sweep.
    assert whatsapp.send(user.phone_number, "mira esta foto", NumMedia="1") == [menu.media_text()]
    message = Message.objects.get(direction=Message.Direction.INBOUND)
    assert message.processed_at is None and message.attempts == 1
    assert "worker lost" in message.failure
    processing.process_message(str(message.public_id))  # the sweep's retry
    message.refresh_from_db()
    assert message.processed_at is not None and message.attempts == 2
    outbound = _outbound()
    assert outbound[-1] == "Aquí estoy"
    assert sum("archivo" in body for body in outbound) == 1
