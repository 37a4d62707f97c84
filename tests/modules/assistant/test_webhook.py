"""Inbound webhook: signature, de-duplication, storage, TwiML answer."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from modules.assistant import inbound, processing, webhook
from modules.assistant.models import Conversation, Message
from tests.modules.assistant.conftest import WEBHOOK, text, twilio_params

pytestmark = pytest.mark.django_db

PHONE = "+573001112233"


def test_missing_signature_is_403_and_nothing_stored(whatsapp: Any) -> None:
    response = whatsapp.post(twilio_params(PHONE, "hola", sid="SM1"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_signature"
    assert not Message.objects.exists() and not Conversation.objects.exists()


def test_forged_signature_is_403_and_nothing_stored(whatsapp: Any, settings: Any) -> None:
    params = twilio_params(PHONE, "hola", sid="SM1")
    settings.ASSISTANT_WEBHOOK_AUTH_TOKEN, real = (
        "another-token",
        settings.ASSISTANT_WEBHOOK_AUTH_TOKEN,
    )
    forged = webhook.sign(f"http://testserver{WEBHOOK}", params)
    settings.ASSISTANT_WEBHOOK_AUTH_TOKEN = real
    assert whatsapp.post(params, HTTP_X_TWILIO_SIGNATURE=forged).status_code == 403
    # A valid signature for different parameters does not carry over either.
    signed = webhook.sign(f"http://testserver{WEBHOOK}", {**params, "Body": "otro"})
    assert whatsapp.post(params, HTTP_X_TWILIO_SIGNATURE=signed).status_code == 403
    assert not Message.objects.exists()


def test_no_token_configured_rejects_everything(whatsapp: Any, settings: Any) -> None:
    params = twilio_params(PHONE, "hola", sid="SM1")
    signature = webhook.sign(f"http://testserver{WEBHOOK}", params)
    settings.ASSISTANT_WEBHOOK_AUTH_TOKEN = ""
    assert whatsapp.post(params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 403


def test_valid_message_is_stored_answered_with_empty_twiml(whatsapp: Any, no_gemini: None) -> None:
    params = twilio_params(PHONE, "hola", sid="SM1", SomeNewTwilioField="x")
    signature = webhook.sign(f"http://testserver{WEBHOOK}", params)
    response = whatsapp.post(params, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode().endswith("<Response/>")
    stored = Message.objects.get(provider_sid="SM1")
    assert stored.body == "hola" and stored.processed_at is not None
    assert stored.conversation.phone == PHONE
    assert Message.objects.filter(direction="out").exists()  # the menu answered


def test_signature_checked_against_forwarded_public_url(whatsapp: Any, settings: Any) -> None:
    settings.SITE_URL = "https://internal.example"  # not what Twilio called
    params = twilio_params(PHONE, "hola", sid="SM1")
    signature = webhook.sign(f"https://api.studiozens.co{WEBHOOK}", params)
    response = whatsapp.post(
        params,
        HTTP_X_TWILIO_SIGNATURE=signature,
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_HOST="api.studiozens.co",
    )
    assert response.status_code == 200
    assert Message.objects.filter(provider_sid="SM1").exists()


def test_sha256_signature_scheme_with_the_shared_key(whatsapp: Any, settings: Any) -> None:
    """Twilio's newer scheme (HMAC-SHA256 over a shared key) is accepted, as for status
    callbacks; the same signature without the key configured is refused."""
    from twilio.request_validator import RequestValidator

    settings.TWILIO_WEBHOOK_SHARED_KEY = "shared-key-0123456789"
    params = twilio_params(PHONE, "hola", sid="SM256")
    signature = RequestValidator("shared-key-0123456789").compute_signature(
        f"http://testserver{WEBHOOK}", params, algorithm="HMAC_SHA256"
    )
    scheme = "key=webhooks_sharedkey_x,algorithm=HMAC_SHA256"
    response = whatsapp.post(
        params,
        HTTP_X_TWILIO_SIGNATURE=signature,
        HTTP_X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS=scheme,
    )
    assert response.status_code == 200
    assert Message.objects.filter(provider_sid="SM256").exists()
    settings.TWILIO_WEBHOOK_SHARED_KEY = ""
    refused = whatsapp.post(
        twilio_params(PHONE, "hola", sid="SM257"),
        HTTP_X_TWILIO_SIGNATURE=signature,
        HTTP_X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS=scheme,
    )
    assert refused.status_code == 403


def test_same_message_sid_twice_is_processed_once(
    whatsapp: Any, fake_gemini: Any, user: Any
) -> None:
    fake_gemini.script(text("¡Hola! ¿En qué te ayudo?"))
    first = whatsapp.send(user.phone_number, "hola", sid="SMdup")
    second = whatsapp.send(user.phone_number, "hola", sid="SMdup")
    assert first == ["¡Hola! ¿En qué te ayudo?"] and second == []
    assert Message.objects.filter(provider_sid="SMdup").count() == 1
    assert len(fake_gemini.requests) == 1


def test_processing_twice_acts_once(fake_gemini: Any, user: Any) -> None:
    fake_gemini.script(text("uno"), text("dos"))
    message = inbound.receive_inbound(twilio_params(user.phone_number, "hola", sid="SMx"))
    assert message is not None
    processing.process_message(str(message.public_id))
    processing.process_message(str(message.public_id))
    assert Message.objects.filter(direction="out").count() == 1


def test_unusable_payloads_are_ignored() -> None:
    assert inbound.receive_inbound({"From": f"whatsapp:{PHONE}", "Body": "x"}) is None
    assert inbound.receive_inbound({"MessageSid": "SM9", "From": "whatsapp:123"}) is None
    message = inbound.receive_inbound({"MessageSid": "SM8", "From": PHONE, "NumMedia": "x"})
    assert message is not None and message.num_media == 0


def test_media_message_gets_a_polite_text_answer(whatsapp: Any, no_gemini: None) -> None:
    replies = whatsapp.send(
        PHONE,
        "",
        NumMedia="1",
        MediaUrl0="https://api.twilio.com/media/ME1",
        MediaContentType0="image/jpeg",
    )
    assert len(replies) == 1 and "solo puedo leer mensajes de texto" in replies[0]


def test_reply_goes_out_through_notifications_whatsapp(
    whatsapp: Any, fake_gemini: Any, user: Any
) -> None:
    from platform_core.notifications import sent_messages

    fake_gemini.script(text("Claro que sí."))
    whatsapp.send(user.phone_number, "hola")
    sent = [m for m in sent_messages() if m["template"] == "assistant_reply"]
    assert [(m["channel"], m["body"].strip()) for m in sent] == [("whatsapp", "Claro que sí.")]
    assert user.phone_number in sent[0]["to"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_deliveries_store_one_row(settings: Any) -> None:
    settings.GEMINI_API_KEY = ""
    settings.SITE_URL = "http://testserver"
    params = twilio_params(PHONE, "hola", sid="SMrace")
    signature = webhook.sign(f"http://testserver{WEBHOOK}", params)
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def deliver() -> None:
        try:
            barrier.wait()
            statuses.append(
                Client().post(WEBHOOK, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4
    assert Message.objects.filter(provider_sid="SMrace").count() == 1
    assert Conversation.objects.filter(phone=PHONE).count() == 1


def test_broker_refusal_loses_no_message(
    whatsapp: Any, no_gemini: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis refuses the publish: the webhook still answers 200 (the message is stored),
    and Twilio's redelivery of the same MessageSid gets it answered, once."""
    from modules.assistant import tasks

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("redis down")

    with monkeypatch.context() as patch:
        patch.setattr(tasks.process_message_task, "delay", broker_down)
        first = whatsapp.send(PHONE, "hola", sid="SMlost")
    assert first == []  # stored, not answered yet
    assert Message.objects.get(provider_sid="SMlost").processed_at is None
    retry = whatsapp.send(PHONE, "hola", sid="SMlost")
    assert len(retry) == 1
    assert Message.objects.get(provider_sid="SMlost").processed_at is not None
    assert whatsapp.send(PHONE, "hola", sid="SMlost") == []  # a third delivery: nothing


def test_sweep_answers_messages_whose_processing_was_never_queued(
    whatsapp: Any,
    no_gemini: None,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from modules.assistant import tasks

    with monkeypatch.context() as patch:
        patch.setattr(tasks.process_message_task, "delay", lambda *a, **k: None)  # lost
        whatsapp.send(PHONE, "hola", sid="SMswept")
    assert inbound.requeue_unanswered() == 0  # too young: still in the normal flow
    Message.objects.filter(provider_sid="SMswept").update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert inbound.requeue_unanswered() == 1
    assert Message.objects.get(provider_sid="SMswept").processed_at is not None
    assert inbound.requeue_unanswered() == 0


def test_the_sweep_is_a_beat_entry_on_the_bot_queue(
    whatsapp: Any, no_gemini: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from celery import current_app
    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask as BeatTask

    from modules.assistant import tasks
    from platform_core.beat import sync_periodic_tasks

    sync_periodic_tasks()
    entry = BeatTask.objects.get(task="assistant.requeue_unanswered")
    assert entry.enabled and entry.queue == "bot" and entry.interval.every == 300
    with monkeypatch.context() as patch:
        patch.setattr(tasks.process_message_task, "delay", lambda *a, **k: None)  # lost
        whatsapp.send(PHONE, "hola", sid="SMbeat")
    Message.objects.filter(provider_sid="SMbeat").update(
        created_at=timezone.now() - timedelta(minutes=3)
    )
    queued: list[str] = []
    monkeypatch.setattr(tasks.process_message_task, "delay", queued.append)
    assert current_app.tasks["assistant.requeue_unanswered"].apply().get() == 1
    assert queued == [str(Message.objects.get(provider_sid="SMbeat").public_id)]
