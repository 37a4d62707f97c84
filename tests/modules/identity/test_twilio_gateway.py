"""The Twilio Verify adapter against the real SDK, fed recorded Twilio payloads through a
custom twilio.http.HttpClient (nothing leaves the machine)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from modules.identity import gateways
from modules.identity.gateways import TwilioVerifyGateway, get_gateway
from platform_core.errors import RateLimited
from tests.factories import UserFactory
from tests.modules.identity.conftest import PASSWORD

SERVICE = "VA" + "a" * 32
ACCOUNT = "AC" + "b" * 32
PHONE = "+573001234567"


def verification(status: str = "pending", channel: str = "sms") -> dict[str, Any]:
    # Shape of POST /v2/Services/{sid}/Verifications and /VerificationCheck (Twilio docs).
    return {
        "sid": "VE" + "c" * 32,
        "service_sid": SERVICE,
        "account_sid": ACCOUNT,
        "to": PHONE,
        "channel": channel,
        "status": status,
        "valid": status == "approved",
        "amount": None,
        "payee": None,
        "sna_attempts_error_codes": [],
        "date_created": "2026-11-27T20:00:00Z",
        "date_updated": "2026-11-27T20:00:00Z",
        "lookup": {"carrier": None},
        "send_code_attempts": [
            {
                "time": "2026-11-27T20:00:00Z",
                "channel": channel.upper(),
                "attempt_sid": "VL" + "d" * 32,
            }
        ],
        "url": f"https://verify.twilio.com/v2/Services/{SERVICE}/Verifications/VE{'c' * 32}",
    }


def error(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class RecordedHttpClient(HttpClient):
    """Answers each request with the next recorded (status, body); keeps the requests."""

    def __init__(self, *answers: tuple[int, dict[str, Any]] | Exception) -> None:
        super().__init__(logging.getLogger("twilio-test"), is_async=False, timeout=5)
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []

    def request(
        self,
        method,
        uri,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ):
        self.requests.append({"method": method, "uri": uri, "data": dict(data or {}), "auth": auth})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return Response(status, json.dumps(body))


def gateway(*answers) -> tuple[TwilioVerifyGateway, RecordedHttpClient]:
    http = RecordedHttpClient(*answers)
    return TwilioVerifyGateway(Client(ACCOUNT, "token", http_client=http), SERVICE), http


@pytest.fixture(autouse=True)
def _no_breaker_state(db):
    from django.core.cache import cache

    cache.clear()


def test_start_posts_to_verify_with_channel():
    gw, http = gateway((201, verification(channel="whatsapp")))
    gw.start(PHONE, "whatsapp")
    (req,) = http.requests
    assert req["method"] == "POST"
    assert req["uri"] == f"https://verify.twilio.com/v2/Services/{SERVICE}/Verifications"
    assert req["data"] == {"To": PHONE, "Channel": "whatsapp"}
    assert req["auth"] == (ACCOUNT, "token")


def test_check_approved_pending_and_deleted():
    gw, http = gateway(
        (200, verification("approved")),
        (200, verification("pending")),  # a wrong code answers 200 pending
        (404, error(404, 20404, "The requested resource was not found")),
    )
    assert gw.check(PHONE, "123456") is True
    assert http.requests[0]["uri"].endswith(f"/Services/{SERVICE}/VerificationCheck")
    assert http.requests[0]["data"] == {"To": PHONE, "Code": "123456"}
    assert gw.check(PHONE, "000000") is False
    assert gw.check(PHONE, "123456") is False


@pytest.mark.parametrize(
    ("answer", "status", "code"),
    [
        ((400, error(400, 60200, "Invalid parameter `To`")), 422, "invalid_phone"),
        ((400, error(400, 21211, "Invalid 'To' Phone Number")), 422, "invalid_phone"),
        ((429, error(429, 60203, "Max send attempts reached")), 429, "verification_max_sends"),
        ((429, error(429, 60202, "Max check attempts reached")), 429, "verification_locked"),
        ((429, error(429, 20429, "Too Many Requests")), 429, "verification_max_sends"),
        ((400, error(400, 60223, "Delivery channel disabled")), 503, "verification_unavailable"),
        ((503, error(503, 20503, "Service unavailable")), 503, "verification_unavailable"),
        (OSError("connection reset"), 503, "verification_unavailable"),
    ],
)
def test_errors_map_to_clear_statuses(answer, status, code):
    gw, _ = gateway(answer)
    with pytest.raises(Exception) as excinfo:
        gw.start(PHONE, "sms")
    assert (excinfo.value.status_code, excinfo.value.code) == (status, code)
    if status == 429:
        assert isinstance(excinfo.value, RateLimited) and excinfo.value.retry_after > 0


def test_circuit_opens_after_repeated_provider_failures(settings):
    settings.TWILIO_CB_FAILURES = 2
    gw, http = gateway(OSError("down"), OSError("down"), (201, verification()))
    for _ in range(2):
        with pytest.raises(Exception, match="No pudimos"):
            gw.start(PHONE, "sms")
    with pytest.raises(Exception) as excinfo:
        gw.start(PHONE, "sms")
    assert excinfo.value.code == "verification_unavailable"
    assert len(http.requests) == 2  # the open circuit did not call Twilio


def test_selected_by_settings_and_builds_sdk_client(settings, monkeypatch):
    settings.TWILIO_VERIFY_SERVICE_SID = ""
    assert isinstance(get_gateway(), gateways.LocalVerificationGateway)
    settings.TWILIO_VERIFY_SERVICE_SID = SERVICE
    settings.TWILIO_ACCOUNT_SID = ACCOUNT
    settings.TWILIO_AUTH_TOKEN = "token"
    gw = get_gateway()
    assert isinstance(gw, TwilioVerifyGateway) and gw.service_sid == SERVICE
    assert gw.client.http_client.timeout == settings.TWILIO_TIMEOUT


@pytest.mark.django_db
def test_api_flows_through_twilio(client, client_as, settings, monkeypatch):
    """Register (send in a task after commit) and verify, with Twilio selected."""
    settings.TWILIO_VERIFY_SERVICE_SID = SERVICE
    settings.TWILIO_ACCOUNT_SID = ACCOUNT
    settings.TWILIO_AUTH_TOKEN = "token"
    http = RecordedHttpClient(
        (201, verification()),
        (200, verification("approved")),
        (400, error(400, 60200, "Invalid parameter")),
    )
    monkeypatch.setattr("twilio.http.http_client.TwilioHttpClient", lambda timeout=None: http)
    assert (
        client.post(
            "/api/users/register/", {"phone_number": PHONE, "password": PASSWORD}
        ).status_code
        == 202
    )
    assert http.requests[0]["data"] == {"To": PHONE, "Channel": "sms"}
    r = client.post("/api/users/verify/", {"phone_number": PHONE, "code": "482913"})
    assert r.status_code == 200 and set(r.json()) == {"access", "refresh"}
    # A synchronous flow surfaces Twilio's refusal in the error shape.
    user = UserFactory(phone_number="+573009990000")
    r = client_as(user).post(
        "/api/users/me/phone/", {"new_phone_number": "+573112223344", "password": "ClaveSegura123!"}
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_phone"


@pytest.mark.django_db
def test_send_task_logs_refusals_and_retries_outages(settings, monkeypatch):
    from modules.identity.errors import VerificationUnavailable
    from modules.identity.tasks import send_verification

    settings.TWILIO_VERIFY_SERVICE_SID = SERVICE
    http = RecordedHttpClient((400, error(400, 60200, "Invalid parameter")))
    monkeypatch.setattr(
        gateways,
        "get_gateway",
        lambda: TwilioVerifyGateway(Client(ACCOUNT, "t", http_client=http), SERVICE),
    )
    monkeypatch.setattr("modules.identity.tasks.get_gateway", gateways.get_gateway)
    assert send_verification.run(PHONE, "sms") is False
    http.answers.append(OSError("down"))
    with pytest.raises(VerificationUnavailable):
        send_verification.run(PHONE, "sms")
