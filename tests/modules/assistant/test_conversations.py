"""Conversation life: handoff to staff, staff replies, sign-up, limits, opt-out, admin, data."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from modules.assistant import inbound, inbox, keywords, processing
from modules.assistant.models import Conversation, Message, Proposal
from modules.assistant.personal_data import erase_user, export_user
from platform_core.errors import ValidationFailed
from tests.factories import UserFactory
from tests.modules.assistant.conftest import call, text

pytestmark = pytest.mark.django_db

NEW = "+573005550002"


@pytest.mark.parametrize("words", ["quiero hablar con un asesor", "HUMANO", "persona"])
def test_handoff_keywords_put_the_conversation_in_the_staff_queue(
    whatsapp: Any, fake_gemini: Any, user: Any, words: str
) -> None:
    replies = whatsapp.send(user.phone_number, words)
    assert "Te comunico con una persona" in replies[0]
    conv = Conversation.objects.get()
    assert conv.state == "handed_off" and conv.handed_off_at is not None
    assert fake_gemini.requests == []
    # The bot stays silent while staff has the conversation.
    assert whatsapp.send(user.phone_number, "¿hola?") == []
    assert Message.objects.filter(direction="in").count() == 2


def test_massage_for_one_person_is_not_a_handoff() -> None:
    assert not keywords.wants_handoff("masaje para dos personas")
    assert keywords.wants_handoff("¿Puedo hablar con una persona?")


def test_staff_reply_and_release(
    whatsapp: Any, fake_gemini: Any, user: Any, other_user: Any
) -> None:
    from platform_core.notifications import sent_messages

    whatsapp.send(user.phone_number, "asesor")
    conv = Conversation.objects.get()
    with pytest.raises(ValidationFailed):
        inbox.staff_reply(conv, author=other_user, text="  ")
    with whatsapp.capture(execute=True):
        inbox.staff_reply(conv, author=other_user, text="Hola, soy Marta del spa.")
    staff = Message.objects.get(source="staff")
    assert staff.author == other_user and staff.body == "Hola, soy Marta del spa."
    assert any(m["body"].strip() == "Hola, soy Marta del spa." for m in sent_messages())
    inbox.release_to_bot(conv)
    fake_gemini.script(text("¡De nuevo contigo!"))
    assert whatsapp.send(user.phone_number, "gracias") == ["¡De nuevo contigo!"]
    # Staff turns are part of the model's history, as the model's side.
    roles = [c["role"] for c in fake_gemini.requests[0]["contents"]]
    assert roles[0] == "user" and "model" in roles


def test_staff_reply_takes_over_a_bot_conversation(
    whatsapp: Any, no_gemini: None, user: Any
) -> None:
    whatsapp.send(user.phone_number, "hola")
    conv = Conversation.objects.get()
    inbox.staff_reply(conv, author=None, text="Te escribimos del spa.")
    conv.refresh_from_db()
    assert conv.state == "handed_off"


def test_closed_conversation_reopens_with_the_bot(
    whatsapp: Any, fake_gemini: Any, user: Any
) -> None:
    whatsapp.send(user.phone_number, "asesor")
    inbox.release_to_bot(Conversation.objects.get(), closed=True)
    assert Conversation.objects.get().state == "closed"
    fake_gemini.script(text("Hola otra vez"))
    assert whatsapp.send(user.phone_number, "hola") == ["Hola otra vez"]
    assert Conversation.objects.get().state == "bot"


def test_handoff_supersedes_a_pending_proposal(
    whatsapp: Any, fake_gemini: Any, user: Any, tools: Any
) -> None:
    fake_gemini.script(
        call("book_appointment", service_code="facial", start="2026-11-28T14:00:00-05:00")
    )
    whatsapp.send(user.phone_number, "reserva facial")
    whatsapp.send(user.phone_number, "asesor")
    assert Proposal.objects.get().status == "superseded"


def test_unknown_number_signs_up_with_an_otp(
    whatsapp: Any, no_gemini: None, monkeypatch: Any
) -> None:
    from modules.identity import public as identity

    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(
        identity, "start_phone_verification", lambda phone, channel: sent.append((phone, channel))
    )

    def confirm(phone: str, code: str) -> Any:
        if code != "123456":
            raise ValidationFailed("El código no es válido.", code="invalid_code")
        return UserFactory(phone_number=phone)

    monkeypatch.setattr(identity, "confirm_phone_verification", confirm)
    assert "Te enviamos un código" in whatsapp.send(NEW, "Registrarme")[0]
    assert sent == [(NEW, "whatsapp")]
    assert whatsapp.send(NEW, "000000") == ["El código no es válido."]
    assert "quedó verificado" in whatsapp.send(NEW, "123456")[0]
    conv = Conversation.objects.get()
    assert conv.user.phone_number == NEW and conv.signup_stage == ""


def test_signup_errors_and_missing_identity_flow(
    whatsapp: Any, no_gemini: None, monkeypatch: Any, settings: Any
) -> None:
    from modules.identity import public as identity
    from platform_core.errors import RateLimited

    def too_many(phone: str, channel: str) -> None:
        raise RateLimited(60, "Espera un minuto.")

    monkeypatch.setattr(identity, "start_phone_verification", too_many)
    assert whatsapp.send(NEW, "registrarme") == ["Espera un minuto."]
    monkeypatch.delattr(identity, "start_phone_verification")
    settings.ASSISTANT_SIGNUP_URL = "https://studiozens.co/registro"
    assert whatsapp.send(NEW, "registrarme") == [
        "Crea tu cuenta aquí: https://studiozens.co/registro"
    ]


def test_a_user_created_later_is_linked_to_the_conversation(whatsapp: Any, no_gemini: None) -> None:
    whatsapp.send(NEW, "hola")
    assert Conversation.objects.get().user is None
    user = UserFactory(phone_number=NEW)
    whatsapp.send(NEW, "hola")
    assert Conversation.objects.get().user == user


def test_a_number_the_client_left_no_longer_acts_as_them(
    whatsapp: Any, fake_gemini: Any, user: Any, tools: Any
) -> None:
    """After a phone change the old number's next holder is a stranger: no link, no
    pending proposal, and none of the earlier conversation reaches the model."""
    old = user.phone_number
    fake_gemini.script(
        call("book_appointment", service_code="facial", start="2026-11-28T14:00:00-05:00")
    )
    whatsapp.send(old, "reserva facial, soy Ana")
    assert Proposal.objects.get().status == "pending"
    user.phone_number = "+573129998877"  # what identity's confirm_phone_change does
    user.save(update_fields=["phone_number"])

    fake_gemini.script(text("¡Hola! ¿En qué te ayudo?"))
    whatsapp.send(old, "sí")
    conversation = Conversation.objects.get(phone=old, archived_at__isnull=True)
    assert conversation.user is None and conversation.state == "bot"
    assert Proposal.objects.get().status == "superseded"
    assert tools.appointments == []  # the "sí" booked nothing
    seen = json.dumps(fake_gemini.requests[-1]["contents"], ensure_ascii=False)
    assert "soy Ana" not in seen and "sí" in seen

    whatsapp.send(user.phone_number, "hola")  # the client, from the new number
    assert Conversation.objects.get(phone=user.phone_number).user == user


def test_a_number_changing_hands_keeps_each_owners_transcript_apart(
    whatsapp: Any, no_gemini: None, user: Any, other_user: Any
) -> None:
    """Unlinking alone would leave the old client's transcript on the number: out of their
    export and erasure, and inside the export of whoever registers the number next. The
    conversation is archived with its owner instead, and the number starts a new one."""
    old = user.phone_number
    whatsapp.send(old, "soy Ana, vivo en la calle 93")
    whatsapp.send(old, "asesor")  # Ana was talking to staff
    user.phone_number = "+573129998877"
    user.save(update_fields=["phone_number"])

    assert whatsapp.send(old, "hola, número nuevo") != []  # a stranger: the bot answers
    archived, live = Conversation.objects.filter(phone=old).order_by("created_at")
    assert archived.user == user and archived.archived_at is not None
    assert archived.state == "closed"
    assert live.user is None and live.archived_at is None and live.state == "bot"
    assert not live.messages.filter(body__contains="Ana").exists()
    assert live.messages.filter(body="hola, número nuevo").exists()
    with pytest.raises(ValidationFailed):  # staff cannot write to the stranger from Ana's
        inbox.staff_reply(archived, author=other_user, text="Hola Ana")

    newcomer = UserFactory(phone_number=old)  # the new holder registers the number
    mine = json.dumps(export_user(user), ensure_ascii=False)
    theirs = json.dumps(export_user(newcomer), ensure_ascii=False)
    assert "calle 93" in mine and "número nuevo" not in mine
    assert "calle 93" not in theirs and "número nuevo" in theirs
    erase_user(user)
    assert not Message.objects.filter(body__contains="calle 93").exists()
    assert Message.objects.filter(body="hola, número nuevo").exists()


def test_a_number_registered_by_someone_else_before_anyone_writes_exports_nothing_of_the_last(
    whatsapp: Any, no_gemini: None, user: Any
) -> None:
    old = user.phone_number
    whatsapp.send(old, "soy Ana, vivo en la calle 93")
    user.phone_number = "+573129998877"
    user.save(update_fields=["phone_number"])
    newcomer = UserFactory(phone_number=old)  # still linked to Ana: nobody wrote since
    assert export_user(newcomer) == {"conversations": []}
    erase_user(newcomer)
    assert "calle 93" in json.dumps(export_user(user), ensure_ascii=False)


def test_a_message_stored_on_a_conversation_archived_meanwhile_moves_to_the_live_one(
    whatsapp: Any, no_gemini: None, user: Any
) -> None:
    """Stored while the old conversation was still live, processed after the change."""
    old = user.phone_number
    whatsapp.send(old, "hola")
    first = Conversation.objects.get()
    stored = inbound.receive_inbound(
        {"MessageSid": "SMlate", "From": f"whatsapp:{old}", "Body": "¿sigue ahí?"}
    )
    user.phone_number = "+573129998877"
    user.save(update_fields=["phone_number"])
    whatsapp.send(old, "buenas")  # archives ``first``
    processing.process_message(str(stored.public_id))
    stored.refresh_from_db()
    live = Conversation.objects.get(phone=old, archived_at__isnull=True)
    assert stored.conversation == live != first and stored.processed_at is not None
    assert Conversation.objects.filter(phone=old).count() == 2


def test_per_number_limit_warns_once_then_stays_silent(
    whatsapp: Any, no_gemini: None, user: Any, settings: Any
) -> None:
    settings.ASSISTANT_MESSAGES_PER_WINDOW = 2
    whatsapp.send(user.phone_number, "1")
    whatsapp.send(user.phone_number, "1")
    assert "muy rápido" in whatsapp.send(user.phone_number, "1")[0]
    assert whatsapp.send(user.phone_number, "1") == []


def test_stop_keyword_is_left_to_notifications(whatsapp: Any, fake_gemini: Any, user: Any) -> None:
    from platform_core.notifications import is_opted_out

    assert whatsapp.send(user.phone_number, "STOP") == []
    assert fake_gemini.requests == []
    assert is_opted_out(channel="whatsapp", phone=user.phone_number)


def test_metrics_api_is_staff_only(
    whatsapp: Any, fake_gemini: Any, user: Any, api_as: Any, tools: Any
) -> None:
    fake_gemini.script(
        call("book_appointment", service_code="facial", start="2026-11-28T14:00:00-05:00")
    )
    whatsapp.send(user.phone_number, "reserva facial")
    whatsapp.send(user.phone_number, "sí")
    whatsapp.send(user.phone_number, "asesor")
    assert api_as(user).get("/api/assistant/metrics/").status_code == 403
    admin = UserFactory(roles=["admin"])
    body = api_as(admin).get("/api/assistant/metrics/?days=7").json()
    assert body["bookings_by_assistant"] == 1 and body["handoffs"] == 1
    assert body["messages_per_day"][0]["inbound"] == 3
    assert body["turns"] == 1 and body["fallback_rate"] == 0.0


def test_admin_transcript_reply_queue_and_metrics(
    whatsapp: Any, no_gemini: None, user: Any
) -> None:
    whatsapp.send(user.phone_number, "asesor")
    conv = Conversation.objects.get()
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    listing = client.get("/admin/assistant/conversation/")
    assert listing.status_code == 200 and user.phone_number not in listing.content.decode()
    assert client.get("/admin/assistant/handoffconversation/").status_code == 200
    page = client.get(f"/admin/assistant/conversation/{conv.pk}/change/")
    assert page.status_code == 200 and "asesor" in page.content.decode()
    response = client.post(
        f"/admin/assistant/conversation/{conv.pk}/change/",
        {
            "state": "handed_off",
            "staff_reply": "Hola, te ayudo yo.",
            "messages-TOTAL_FORMS": "0",
            "messages-INITIAL_FORMS": "0",
            "proposals-TOTAL_FORMS": "0",
            "proposals-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert Message.objects.filter(source="staff", body="Hola, te ayudo yo.").exists()
    metrics = client.get("/admin/assistant/conversation/metrics/")
    assert metrics.status_code == 200 and "Traspasos" in metrics.content.decode()
    client.post(
        "/admin/assistant/conversation/",
        {"action": "release_to_bot", "_selected_action": [conv.pk]},
    )
    assert Conversation.objects.get().state == "bot"
    client.post(
        "/admin/assistant/conversation/",
        {"action": "close_conversations", "_selected_action": [conv.pk]},
    )
    assert Conversation.objects.get().state == "closed"


def test_personal_data_export_and_erase(whatsapp: Any, no_gemini: None, user: Any) -> None:
    whatsapp.send(user.phone_number, "hola, soy Ana")
    other = UserFactory()
    whatsapp.send(other.phone_number, "hola")
    exported = export_user(user)
    [conv] = exported["conversations"]
    assert conv["phone"] == user.phone_number
    assert conv["messages"][0]["body"] == "hola, soy Ana"
    erase_user(user)
    assert not Conversation.objects.filter(phone=user.phone_number).exists()
    assert not Message.objects.filter(body="hola, soy Ana").exists()
    assert Conversation.objects.filter(phone=other.phone_number).exists()


def test_plugin_contributes_exporter_and_eraser() -> None:
    from platform_core.plugins import personal_data_erasers, personal_data_exporters

    assert personal_data_exporters()["assistant"] is export_user
    assert personal_data_erasers()["assistant"] is erase_user


def test_bot_chat_runs_the_same_pipeline(no_gemini: None, user: Any, capsys: Any) -> None:
    call_command("bot_chat", phone=user.phone_number, message=["hola", "1"])
    out = capsys.readouterr().out
    assert "> hola" in out and "Masaje relajante" in out and "INFO" not in out
    assert Message.objects.filter(direction="in").count() == 2


def test_bot_chat_rejects_a_bad_phone() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("bot_chat", phone="12", message=["hola"])
