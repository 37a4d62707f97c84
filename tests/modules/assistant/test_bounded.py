"""Bounded work: a failing message is tried a capped number of times with backoff, then
handed to staff with the reason; every Gemini request (retries too) is budgeted; one number
has a daily Gemini cap."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from modules.assistant import inbound, processing
from modules.assistant.models import Conversation, Message, ModelTurn
from platform_core.models import AuditEvent
from tests.modules.assistant.conftest import UNAVAILABLE, text, twilio_params

pytestmark = pytest.mark.django_db


@pytest.fixture
def broken(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def explode(self: Any) -> None:
        calls.append(1)
        raise RuntimeError("tool exploded")

    monkeypatch.setattr(processing._Turn, "run", explode)
    return calls


def _stored(user: Any) -> Message:
    message = inbound.receive_inbound(twilio_params(user.phone_number, "hola", sid="SMfail1"))
    assert message is not None
    return message


def test_a_failing_message_is_tried_at_most_the_cap_then_handed_off(
    user: Any, broken: list[int], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ASSISTANT_MAX_ATTEMPTS = 3
    settings.ASSISTANT_RETRY_BASE_SECONDS = 60
    queued: list[str] = []
    monkeypatch.setattr(inbound, "_enqueue", queued.append)
    message = _stored(user)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        with pytest.raises(RuntimeError):
            processing.process_message(str(message.public_id))
        message.refresh_from_db()
        assert message.attempts == 1 and "tool exploded" in message.failure
        assert message.next_attempt_at == start + timedelta(seconds=60)
        # The sweep waits for the backoff: nothing before, the message after.
        clock.shift(timedelta(seconds=121))
        assert inbound.requeue_unanswered() == 1  # 121 s > 60 s backoff
        with pytest.raises(RuntimeError):
            processing.process_message(str(message.public_id))
        message.refresh_from_db()
        assert message.next_attempt_at == timezone.now() + timedelta(seconds=120)
        assert inbound.requeue_unanswered() == 1 - 1  # still backing off
        clock.shift(timedelta(seconds=121))
        assert inbound.requeue_unanswered() == 1
        with pytest.raises(RuntimeError):
            processing.process_message(str(message.public_id))  # the third and last
        message.refresh_from_db()
        assert message.processed_at is not None and message.attempts == 3
        conversation = Conversation.objects.get(pk=message.conversation_id)
        assert conversation.state == Conversation.State.HANDED_OFF
        event = AuditEvent.objects.get(action="assistant.handoff")
        assert (
            "3 intentos" in event.details["reason"] and "tool exploded" in event.details["reason"]
        )
        # Never again, however often the sweep or a redelivery runs.
        clock.shift(timedelta(hours=1))
        assert inbound.requeue_unanswered() == 0
        processing.process_message(str(message.public_id))
    assert len(broken) == 3
    replies = Message.objects.filter(direction=Message.Direction.OUTBOUND)
    assert [m.body.split(".")[0] for m in replies] == [
        "Te comunico con una persona de nuestro equipo"
    ]


def test_limits_are_settings(user: Any, broken: list[int], settings: Any) -> None:
    settings.ASSISTANT_MAX_ATTEMPTS = 1
    message = _stored(user)
    with pytest.raises(RuntimeError):
        processing.process_message(str(message.public_id))
    message.refresh_from_db()
    assert message.processed_at is not None and len(broken) == 1


def test_sweep_window_comes_from_settings(
    user: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ASSISTANT_REQUEUE_AFTER_SECONDS = 10
    settings.ASSISTANT_REQUEUE_MAX_AGE_HOURS = 1
    monkeypatch.setattr(inbound, "_enqueue", lambda _id: None)
    _stored(user)
    assert inbound.requeue_unanswered() == 0
    with time_machine.travel(timezone.now() + timedelta(seconds=11)):
        assert inbound.requeue_unanswered() == 1
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert inbound.requeue_unanswered() == 0


def test_every_gemini_attempt_counts_against_the_budget(
    whatsapp: Any, fake_gemini: Any, user: Any, settings: Any
) -> None:
    settings.ASSISTANT_GEMINI_ATTEMPTS = 2
    settings.ASSISTANT_GEMINI_BACKOFF_SECONDS = 0
    settings.GEMINI_REQUESTS_PER_MINUTE = 2
    fake_gemini.script(UNAVAILABLE, text("¡Hola!"), text("no debería llegar"))
    assert whatsapp.send(user.phone_number, "hola") == ["¡Hola!"]
    assert len(fake_gemini.requests) == 2  # one retry, both budgeted
    whatsapp.send(user.phone_number, "¿y los precios?")
    assert len(fake_gemini.requests) == 2
    assert ModelTurn.objects.filter(reason="budget").count() == 1


def test_a_number_has_a_daily_gemini_cap(
    whatsapp: Any, fake_gemini: Any, user: Any, settings: Any
) -> None:
    settings.ASSISTANT_GEMINI_PER_NUMBER_PER_DAY = 1
    fake_gemini.script(text("uno"), text("dos"))
    assert whatsapp.send(user.phone_number, "hola") == ["uno"]
    reply = whatsapp.send(user.phone_number, "cuanto cuesta un masaje")[0]
    assert "Masaje relajante" in reply  # the fallback answered, with the catalog
    assert ModelTurn.objects.filter(reason="number_daily_cap").count() == 1
    assert len(fake_gemini.requests) == 1
