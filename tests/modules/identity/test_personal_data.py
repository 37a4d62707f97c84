"""Export and erasure across plugins; one client never sees another's profile."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from platform_core.models import AuditEvent, MessagingContact, Notification, NotificationOptOut
from platform_core.notifications import Recipient, is_opted_out, notify
from platform_core.notifications.services import handle_inbound_keyword, record_inbound
from tests.factories import UserFactory
from tests.modules.identity import fake_plugin
from tests.modules.identity.conftest import PASSWORD, bearer, otp_for

pytestmark = pytest.mark.django_db

User = get_user_model()
PHONE = "+573001234567"


@pytest.fixture
def with_fake_plugin(settings):
    settings.STUDIOZENS_MODULES = [
        *settings.STUDIOZENS_MODULES,
        "tests.modules.identity.fake_plugin",
    ]
    fake_plugin.STORE.clear()
    yield
    fake_plugin.STORE.clear()


@pytest.fixture
def ana(db):
    user = UserFactory(
        phone_number=PHONE,
        first_name="Ana",
        last_name="Gómez",
        email="ana@example.com",
        roles=["client"],
    )
    user.set_password(PASSWORD)
    user.save()
    return user


def test_export_gathers_every_plugin(client_as, ana, with_fake_plugin):
    fake_plugin.STORE[ana.pk] = [{"text": "Prefiere aceite de lavanda", "phone": PHONE}]
    r = client_as(ana).get("/api/users/me/export")
    assert r.status_code == 200
    doc = r.json()
    assert doc["user_id"] == str(ana.public_id)
    assert doc["format"] == "studiozens.personal-data.v1"
    assert doc["modules"]["identity"]["phone_number"] == PHONE
    assert doc["modules"]["identity"]["roles"] == ["client"]
    assert doc["modules"]["loyalty_test"] == {
        "notes": [{"text": "Prefiere aceite de lavanda", "phone": PHONE}]
    }
    assert AuditEvent.objects.filter(
        action="personal_data.exported", target=f"user:{ana.public_id}"
    ).exists()


def _leave_traces_in_platform_core(user) -> None:
    """What a real client leaves behind outside identity: messages sent to them, a STOP
    by WhatsApp (an opt-out by phone), and the open WhatsApp session."""
    notify(
        to=Recipient.from_user(user),
        template="booking_confirmed",
        context={"client_name": "Ana Gómez", "service": "Masaje", "when": "sábado 10:00"},
        idempotency_key=f"test:{user.pk}",
    )
    record_inbound(PHONE)
    assert handle_inbound_keyword(PHONE, "BAJA")


def test_export_includes_messages_opt_outs_and_whatsapp_session(client_as, ana):
    _leave_traces_in_platform_core(ana)
    core = client_as(ana).get("/api/users/me/export").json()["modules"]["core"]
    assert [(m["template"], m["to"]) for m in core["notifications"]] == [
        ("booking_confirmed", PHONE)
    ]
    assert "body" not in core["notifications"][0]  # bodies may hold one-time codes
    assert core["opted_out_channels"] and core["whatsapp_last_inbound_at"]


def test_erasure_with_password_erases_everywhere(client, client_as, ana, with_fake_plugin):
    fake_plugin.STORE[ana.pk] = [{"text": "Alergia al maní", "phone": PHONE}]
    _leave_traces_in_platform_core(ana)
    pair = client.post("/api/users/token/", {"phone_number": PHONE, "password": PASSWORD}).json()
    public_id = ana.public_id

    wrong = client.delete("/api/users/me", {"password": "nope"}, **bearer(pair["access"]))
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "reauthentication_failed"
    empty = client.delete("/api/users/me", {}, **bearer(pair["access"]))
    assert empty.status_code == 403

    r = client.delete("/api/users/me", {"password": PASSWORD}, **bearer(pair["access"]))
    assert r.status_code == 204

    row = User.objects.get(public_id=public_id)
    personal = {PHONE, "Ana", "Gómez", "ana@example.com", PHONE[1:], PHONE[3:]}
    for field in row._meta.concrete_fields:
        value = str(getattr(row, field.attname))
        assert not any(p in value for p in personal), (field.name, value)
    assert row.erased_at is not None and not row.is_active and not row.has_usable_password()
    assert not row.groups.exists()
    assert fake_plugin.STORE[ana.pk] == [{"text": "[borrado]", "phone": ""}]
    # platform_core's rows: the outbox keeps statistics only, decrypted fields included.
    sent = Notification.objects.get()
    for value in (sent.to, sent.subject, sent.body, str(sent.context), str(sent.user_id)):
        assert not any(p in value for p in personal), value
    assert not MessagingContact.objects.exists() and not NotificationOptOut.objects.exists()
    # Sessions are gone: the access token's user is inactive, the refresh is blacklisted.
    assert client.get("/api/users/me", **bearer(pair["access"])).status_code == 401
    assert client.post("/api/users/token/refresh/", {"refresh": pair["refresh"]}).status_code == 401
    assert (
        client.post("/api/users/token/", {"phone_number": PHONE, "password": PASSWORD}).status_code
        == 401
    )
    event = AuditEvent.objects.get(action="personal_data.erased")
    assert event.target == f"user:{public_id}"
    assert {"identity", "loyalty_test"} <= set(event.details["modules"])
    # The number is free for a new account.
    r = client.post("/api/users/register/", {"phone_number": PHONE, "password": PASSWORD})
    assert r.status_code == 202
    assert User.objects.filter(phone_number=PHONE, erased_at__isnull=True).count() == 1


def test_erasure_with_otp(client, client_as, ana, settings):
    me = client_as(ana)
    assert me.post("/api/users/me/reauth-code/", {}).status_code == 202
    bad = me.delete("/api/users/me", {"code": "000000" if otp_for(PHONE) != "000000" else "111111"})
    assert bad.status_code == 403
    assert me.delete("/api/users/me", {"code": otp_for(PHONE)}).status_code == 204
    ana.refresh_from_db()
    assert ana.erased_at is not None


def test_erasure_is_all_or_nothing(client_as, ana, settings):
    settings.STUDIOZENS_MODULES = [
        *settings.STUDIOZENS_MODULES,
        "tests.modules.identity.fake_plugin:broken",
    ]
    r = client_as(ana).delete("/api/users/me", {"password": PASSWORD})
    assert r.status_code == 503 and r.json()["error"]["code"] == "erasure_failed"
    ana.refresh_from_db()
    assert ana.erased_at is None and ana.phone_number == PHONE and ana.is_active


def test_password_reauth_is_rate_limited(client_as, ana, settings):
    settings.LOGIN_FAILURES_PER_PHONE = 2
    me = client_as(ana)
    assert me.delete("/api/users/me", {"password": "x"}).status_code == 403
    assert me.delete("/api/users/me", {"password": "x"}).status_code == 429
    assert me.delete("/api/users/me", {"password": PASSWORD}).status_code == 429


def test_one_client_cannot_read_or_change_another(client_as, user, other_user):
    me = client_as(user)
    r = me.get(f"/api/users/{other_user.public_id}")
    assert r.status_code == 404
    assert (
        me.put(f"/api/users/{other_user.public_id}/roles", {"roles": ["admin"]}).status_code == 404
    )
    assert me.get("/api/users/").status_code == 403
    r = me.patch("/api/users/me", {"first_name": "Cambio"})
    assert r.status_code == 200 and r.json()["id"] == str(user.public_id)
    other_user.refresh_from_db()
    assert other_user.first_name != "Cambio"
    assert me.get(f"/api/users/{user.public_id}").json()["id"] == str(user.public_id)
    export = me.get("/api/users/me/export").json()
    assert export["modules"]["identity"]["phone_number"] == user.phone_number
    assert other_user.phone_number not in str(export)


def test_profile_requires_authentication(client):
    assert client.get("/api/users/me").status_code == 401
    assert client.patch("/api/users/me", {"first_name": "x"}).status_code == 401


def test_patch_profile_and_opt_outs(client_as, user):
    me = client_as(user)
    r = me.patch(
        "/api/users/me",
        {
            "first_name": " Luisa ",
            "email": "luisa@example.com",
            "language": "es-co",
            "notification_channel": "email",
            "notification_opt_outs": ["sms", "whatsapp"],
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["first_name"], body["language"], body["notification_channel"]) == (
        "Luisa",
        "es-co",
        "email",
    )
    assert body["notification_opt_outs"] == ["sms", "whatsapp"]
    assert is_opted_out(channel="sms", user_id=user.pk)
    assert is_opted_out(channel="whatsapp", user_id=user.pk)
    assert not is_opted_out(channel="email", user_id=user.pk)
    r = me.patch("/api/users/me", {"notification_opt_outs": ["all"]})
    assert is_opted_out(channel="email", user_id=user.pk)
    r = me.patch("/api/users/me", {"notification_opt_outs": []})
    assert not is_opted_out(channel="sms", user_id=user.pk)
    assert me.patch("/api/users/me", {"language": "xx"}).status_code == 422
    # English is not offered until it has a catalogue and templates: no silent Spanish.
    assert me.patch("/api/users/me", {"language": "en"}).status_code == 422
    assert me.patch("/api/users/me", {"email": "bad"}).status_code == 422
    assert me.patch("/api/users/me", {"notification_opt_outs": ["fax"]}).status_code == 422
