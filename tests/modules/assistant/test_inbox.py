"""The staff's WhatsApp inbox: handoff alerts, unread counts, replies inside and outside
the 24-hour window, "Devolver al asistente" and the unanswered-handoff timeout."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from modules.assistant import inbox, selectors
from modules.assistant.models import Conversation, Message
from platform_core.models import MessagingContact, Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INBOX = "/admin/assistant/handoffconversation/"


@pytest.fixture
def reception(db: Any) -> Any:
    return UserFactory(
        phone_number="+573009990102",
        roles=["reception"],
        is_staff=True,
        email="recepcion@example.com",
    )


@pytest.fixture
def desk(reception: Any, staff_role_permissions: None) -> Client:
    client = Client()
    client.force_login(reception)
    return client


def alerts() -> list[Notification]:
    return list(Notification.objects.filter(template="assistant_handoff_alert"))


def test_a_handoff_alerts_the_staff_on_duty_once(
    whatsapp: Any, no_gemini: None, user: Any, reception: Any, settings: Any
) -> None:
    settings.ASSISTANT_HANDOFF_ALERT_ROLES = ("reception",)
    whatsapp.send(user.phone_number, "quiero hablar con un asesor")
    sent = alerts()
    assert [(n.user_id, n.channel) for n in sent] == [(reception.pk, "whatsapp")]
    assert "pidió hablar con una persona" in sent[0].body
    assert "/admin/assistant/handoffconversation/" in sent[0].body
    # More messages (even "asesor" again) while waiting alert nobody again.
    whatsapp.send(user.phone_number, "asesor por favor")
    whatsapp.send(user.phone_number, "¿hay alguien?")
    assert len(alerts()) == 1
    # A new handoff after the assistant took it back is a new alert.
    inbox.return_to_assistant(Conversation.objects.get())
    whatsapp.send(user.phone_number, "asesor")
    assert len(alerts()) == 2


def test_no_alert_role_means_no_alert(
    whatsapp: Any, no_gemini: None, user: Any, reception: Any, settings: Any
) -> None:
    settings.ASSISTANT_HANDOFF_ALERT_ROLES = ()
    whatsapp.send(user.phone_number, "asesor")
    assert alerts() == []


def test_inbox_lists_waiting_conversations_newest_first_with_unread_counts(
    whatsapp: Any, no_gemini: None, desk: Client
) -> None:
    first, second = UserFactory(first_name="Ana"), UserFactory(first_name="Beto")
    whatsapp.send(first.phone_number, "asesor")
    whatsapp.send(second.phone_number, "asesor")
    whatsapp.send(second.phone_number, "es urgente")
    whatsapp.send(first.phone_number, "¿me atienden?")  # Ana wrote last
    rows = list(selectors.inbox())
    assert [r.user_id for r in rows] == [first.pk, second.pk]
    assert [r.unread for r in rows] == [2, 2]

    page = desk.get(INBOX).content.decode()
    assert page.index("Ana") < page.index("Beto")
    assert "¿me atienden?" in page and 'class="sz-unread">2<' in page
    assert desk.get("/admin/").content.decode().count("esperan a una persona") == 1

    conv = Conversation.objects.get(user=second)
    opened = desk.get(f"{INBOX}{conv.pk}/change/")
    assert opened.status_code == 200 and "es urgente" in opened.content.decode()
    assert {r.user_id: r.unread for r in selectors.inbox()} == {first.pk: 2, second.pk: 0}
    whatsapp.send(second.phone_number, "hola?")
    assert {r.user_id: r.unread for r in selectors.inbox()}[second.pk] == 1


def test_inbox_query_count_does_not_grow_with_conversations(
    whatsapp: Any, no_gemini: None, desk: Client, django_assert_max_num_queries: Any
) -> None:
    for _ in range(2):
        whatsapp.send(UserFactory().phone_number, "asesor")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert desk.get(INBOX).status_code == 200
    for _ in range(4):
        whatsapp.send(UserFactory().phone_number, "asesor")
    with CaptureQueriesContext(connection) as many:
        assert desk.get(INBOX).status_code == 200
    assert len(many) == len(few)  # the 24-hour window is annotated, not a query per row


def test_reception_answers_from_the_inbox_inside_the_window(
    whatsapp: Any, no_gemini: None, user: Any, desk: Client, reception: Any
) -> None:
    whatsapp.send(user.phone_number, "asesor")
    conv = Conversation.objects.get()
    page = desk.get(f"{INBOX}{conv.pk}/change/").content.decode()
    assert "Ventana de 24 h abierta" in page and "Devolver al asistente" in page
    with whatsapp.capture(execute=True):
        response = desk.post(f"{INBOX}{conv.pk}/change/", {"staff_reply": "Hola, soy Rocío."})
    assert response.status_code == 302 and response["Location"].endswith(f"{conv.pk}/change/")
    staff = Message.objects.get(source="staff")
    assert staff.author == reception and staff.body == "Hola, soy Rocío."
    outbox = Notification.objects.get(idempotency_key=f"assistant:{staff.public_id}")
    assert outbox.template == "assistant_staff_reply" and outbox.channel == "whatsapp"
    assert outbox.body == "Hola, soy Rocío."
    conv.refresh_from_db()
    assert conv.state == "handed_off"


def test_outside_the_window_a_reply_goes_as_the_approved_template(
    whatsapp: Any, no_gemini: None, user: Any, desk: Client, settings: Any
) -> None:
    from platform_core.notifications.adapters import TwilioAdapter

    settings.TWILIO_CONTENT_SIDS = {
        "assistant_staff_reply": {"sid": "HX" + "a" * 32, "variables": ["body"]}
    }
    whatsapp.send(user.phone_number, "asesor")
    conv = Conversation.objects.get()
    MessagingContact.objects.filter(phone=user.phone_number).update(
        last_inbound_at=timezone.now() - timedelta(hours=25)
    )
    page = desk.get(f"{INBOX}{conv.pk}/change/").content.decode()
    assert "plantilla de respuesta del equipo" in page
    desk.post(f"{INBOX}{conv.pk}/change/", {"staff_reply": "Ya tenemos tu cita."})
    row = Notification.objects.get(template="assistant_staff_reply")
    via, template = TwilioAdapter().route(row)
    assert via == "whatsapp" and template == ("HX" + "a" * 32, '{"1": "Ya tenemos tu cita."}')


def test_return_to_the_assistant_tells_the_client(
    whatsapp: Any, no_gemini: None, user: Any, desk: Client
) -> None:
    whatsapp.send(user.phone_number, "asesor")
    conv = Conversation.objects.get()
    response = desk.post(f"{INBOX}{conv.pk}/devolver/")
    assert response.status_code == 302
    conv.refresh_from_db()
    assert conv.state == "bot"
    last = Message.objects.filter(direction="out").latest("created_at")
    assert "asistente virtual" in last.body
    # Twice is harmless: nothing more is said.
    assert inbox.return_to_assistant(conv) is False
    assert desk.get(INBOX).content.decode().count('class="sz-unread"') == 0


def test_an_unanswered_handoff_returns_to_the_assistant_after_the_timeout(
    whatsapp: Any, no_gemini: None, user: Any, other_user: Any, settings: Any
) -> None:
    settings.ASSISTANT_HANDOFF_TIMEOUT_MINUTES = 30
    whatsapp.send(user.phone_number, "asesor")
    whatsapp.send(other_user.phone_number, "asesor")
    waiting, answered = (
        Conversation.objects.get(user=user),
        Conversation.objects.get(user=other_user),
    )
    inbox.staff_reply(answered, author=None, text="Ya te atiendo.")
    assert inbox.release_stale_handoffs() == 0  # not yet
    Conversation.objects.update(handed_off_at=timezone.now() - timedelta(minutes=31))
    Message.objects.filter(source="staff").update(created_at=timezone.now() - timedelta(minutes=20))
    assert inbox.release_stale_handoffs() == 1
    waiting.refresh_from_db()
    answered.refresh_from_db()
    assert (waiting.state, answered.state) == ("bot", "handed_off")
    told = waiting.messages.filter(direction="out").latest("created_at")
    assert "no alcanzó a responderte" in told.body
    assert inbox.release_stale_handoffs() == 0  # once


def test_the_timeout_is_a_beat_entry_of_the_plugin() -> None:
    from modules.assistant.plugin import plugin

    entries = {t.task: t for t in plugin.periodic_tasks}
    assert entries["assistant.release_stale_handoffs"].every_seconds == 300
    from modules.assistant.tasks import release_stale_handoffs_task

    assert release_stale_handoffs_task.name == "assistant.release_stale_handoffs"
