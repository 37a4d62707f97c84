"""Twilio status callbacks (signature!) and the DEBUG-only development outbox."""

from __future__ import annotations

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator

from platform_core.models import Notification, NotificationStatus
from tests.platform_core.conftest import AUTH_TOKEN

pytestmark = pytest.mark.django_db

URL = "/api/core/webhooks/twilio/status/"
PUBLIC = "https://api.studiozens.co"


@pytest.fixture
def sent_row() -> Notification:
    return Notification.objects.create(
        channel="whatsapp",
        template="otp",
        to="+573001112233",
        body="Tu código es 123456",
        status=NotificationStatus.SENT,
        provider_sid="SM" + "f" * 32,
        provider_status="queued",
    )


def _post(
    params: dict[str, str], *, signature: str | None = None, url: str = PUBLIC + URL, **extra: str
):
    sig = (
        signature
        if signature is not None
        else RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    )
    return Client().post(URL, params, HTTP_X_TWILIO_SIGNATURE=sig, **extra)


def test_forged_callback_is_rejected_without_change(twilio_settings, sent_row):
    params = {"MessageSid": sent_row.provider_sid, "MessageStatus": "delivered"}
    forged = RequestValidator("not-the-token").compute_signature(PUBLIC + URL, params)
    for response in (_post(params, signature=forged), Client().post(URL, params)):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "invalid_signature"
    sent_row.refresh_from_db()
    assert (sent_row.status, sent_row.provider_status) == ("sent", "queued")


def test_tampered_params_are_rejected(twilio_settings, sent_row):
    good = {"MessageSid": sent_row.provider_sid, "MessageStatus": "sent"}
    sig = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + URL, good)
    response = _post({**good, "MessageStatus": "read"}, signature=sig)
    assert response.status_code == 403


def test_signed_callbacks_update_status_in_order(twilio_settings, sent_row):
    sid = sent_row.provider_sid
    assert (
        _post({"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC1"}).status_code
        == 204
    )
    sent_row.refresh_from_db()
    assert sent_row.status == "delivered" and sent_row.delivered_at is not None
    # Out of order: a late "sent" never moves a delivered message back.
    assert _post({"MessageSid": sid, "MessageStatus": "sent"}).status_code == 204
    sent_row.refresh_from_db()
    assert sent_row.status == "delivered" and sent_row.provider_status == "sent"
    assert _post({"MessageSid": sid, "MessageStatus": "read"}).status_code == 204
    sent_row.refresh_from_db()
    assert sent_row.status == "read"


def test_failed_callback_records_error_code(twilio_settings, sent_row):
    params = {
        "MessageSid": sent_row.provider_sid,
        "MessageStatus": "undelivered",
        "ErrorCode": "63016",
    }
    assert _post(params).status_code == 204
    sent_row.refresh_from_db()
    assert (sent_row.status, sent_row.error_code) == ("undelivered", "63016")


def test_unknown_sid_or_status_is_acknowledged(twilio_settings):
    assert _post({"MessageSid": "SMunknown", "MessageStatus": "delivered"}).status_code == 204
    assert _post({"MessageSid": "SMunknown", "MessageStatus": "weird"}).status_code == 204


def test_signature_against_forwarded_public_url(twilio_settings, sent_row):
    twilio_settings.SITE_URL = "https://studiozens.onrender.com"  # not what Twilio called
    params = {"MessageSid": sent_row.provider_sid, "MessageStatus": "sent"}
    response = _post(
        params,
        url="https://hooks.studiozens.co" + URL,
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_HOST="hooks.studiozens.co",
    )
    assert response.status_code == 204


def test_sha256_scheme_uses_shared_key(twilio_settings, sent_row):
    twilio_settings.TWILIO_WEBHOOK_SHARED_KEY = "shared-key-0123456789"
    params = {"MessageSid": sent_row.provider_sid, "MessageStatus": "delivered"}
    sig = RequestValidator("shared-key-0123456789").compute_signature(
        PUBLIC + URL, params, algorithm="HMAC_SHA256"
    )
    response = _post(
        params,
        signature=sig,
        HTTP_X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS="key=webhooks_sharedkey_x,algorithm=HMAC_SHA256",
    )
    assert response.status_code == 204


def test_no_auth_token_configured_rejects(twilio_settings, sent_row):
    twilio_settings.TWILIO_AUTH_TOKEN = ""
    assert _post({"MessageSid": sent_row.provider_sid, "MessageStatus": "read"}).status_code == 403


def test_dev_outbox_only_in_debug(settings, api, sent_row):
    settings.DEBUG = False
    assert api.get("/api/core/dev/outbox").status_code == 404
    settings.DEBUG = True
    response = api.get("/api/core/dev/outbox", {"to": "300 111 2233"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0]["body"] == "Tu código es 123456"
    assert body["items"][0]["id"] == str(sent_row.public_id)
    assert api.get("/api/core/dev/outbox", {"template": "other"}).json()["count"] == 0
