"""The local Twilio fake through the real SDK, and the base-URL rewriting that reaches it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from io import StringIO
from typing import Any

import httpx
import pytest
from django.core.management import CommandError, call_command

from platform_core import twilio_client
from platform_core.fakes.http import FakeServer
from platform_core.fakes.twilio import build_server

ACCOUNT, VERIFY = "AC" + "1" * 32, "VA" + "2" * 32


@pytest.fixture
def twilio_fake(settings: Any) -> Iterator[FakeServer]:
    server = build_server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.TWILIO_API_BASE_URL = server.url
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = ACCOUNT, "fake-auth-token-123456"
    settings.TWILIO_VERIFY_SERVICE_SID = VERIFY
    yield server
    server.shutdown()
    server.server_close()


def _received(server: FakeServer) -> list[dict[str, Any]]:
    return httpx.get(f"{server.url}/__requests").json()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
            "http://f:1/2010-04-01/Accounts/AC1/Messages.json",
        ),
        (
            "https://verify.twilio.com/v2/Services/VA1/Verifications?x=1",
            "http://f:1/v2/Services/VA1/Verifications?x=1",
        ),
        ("https://example.com/v2/x", "https://example.com/v2/x"),
        ("https://eviltwilio.com/v2/x", "https://eviltwilio.com/v2/x"),
    ],
)
def test_rewrite_url(url: str, expected: str) -> None:
    assert twilio_client.rewrite_url(url, "http://f:1/") == expected
    assert twilio_client.rewrite_url(url, "") == url


def test_http_client_without_base_url_is_the_sdk_default(settings: Any) -> None:
    from twilio.http.http_client import TwilioHttpClient

    settings.TWILIO_API_BASE_URL = ""
    client = twilio_client.http_client(timeout=3)
    assert type(client) is TwilioHttpClient
    assert client.timeout == 3


def test_messages_through_the_notification_adapter(twilio_fake: FakeServer, settings: Any) -> None:
    from platform_core.notifications.adapters import twilio_client as adapter_client

    message = adapter_client().messages.create(
        to="whatsapp:+573001112233", from_="whatsapp:+14155238886", body="Hola"
    )
    assert message.sid.startswith("SM") and message.status == "queued"
    assert message.body == "Hola"
    [entry] = _received(twilio_fake)
    assert entry["kind"] == "message"
    assert entry["form"]["To"] == "whatsapp:+573001112233"
    assert entry["path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


def test_message_without_body_is_refused(twilio_fake: FakeServer) -> None:
    from twilio.base.exceptions import TwilioRestException

    with pytest.raises(TwilioRestException) as exc:
        twilio_client.client().messages.create(to="+573001112233", from_="+15005550006")
    assert exc.value.code == 21602


@pytest.mark.django_db
def test_verify_through_the_identity_gateway(twilio_fake: FakeServer) -> None:
    from modules.identity.gateways import TwilioVerifyGateway

    gateway = TwilioVerifyGateway()
    assert gateway.check("+573001112233", "123456") is False  # nothing pending: 404
    gateway.start("+573001112233", "sms")
    code = next(r["code"] for r in _received(twilio_fake) if r["kind"] == "verification")
    assert len(code) == 6 and code.isdigit()
    wrong = "000000" if code != "000000" else "111111"
    assert gateway.check("+573001112233", wrong) is False
    assert gateway.check("+573001112233", code) is True
    assert gateway.check("+573001112233", code) is False  # approved verifications are gone


def test_fake_refusals(twilio_fake: FakeServer) -> None:
    url = f"{twilio_fake.url}/v2/Services/{VERIFY}/Verifications"
    assert httpx.post(url, data={"To": "+57300", "Channel": "sms"}).status_code == 401
    bad = httpx.post(url, data={"To": "300", "Channel": "sms"}, auth=("AC", "t"))
    assert (bad.status_code, bad.json()["code"]) == (400, 60200)
    assert httpx.get(url).status_code == 404
    assert httpx.post(f"{twilio_fake.url}/nope", auth=("AC", "t")).status_code == 404


def test_command_refuses_production(settings: Any) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("twilio_fake", "--port", "0", stdout=StringIO())


def test_command_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[FakeServer] = []
    monkeypatch.setattr("platform_core.fakes.http.serve", served.append)
    out = StringIO()
    call_command("twilio_fake", "--port", "0", stdout=out)
    assert "TWILIO_API_BASE_URL=http://127.0.0.1:" in out.getvalue()
    served[0].server_close()
