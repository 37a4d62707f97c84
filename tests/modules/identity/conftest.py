"""Fixtures for identity's tests: a JSON client that runs on-commit work (OTP sends,
notification delivery) at the end of each request, and a reader for the dev outbox."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import TestCase

from platform_core import ratelimit
from platform_core.notifications import clear_sent_messages, sent_messages
from tests.conftest import ApiClient

PASSWORD = "TestPass123!"


class IdentityClient(ApiClient):
    def _call(self, method: str, path: str, data: Any = None, **extra: Any) -> Any:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super()._call(method, path, data, **extra)


@pytest.fixture(autouse=True)
def _fresh_limits_and_outbox(settings: Any) -> Any:
    ratelimit.reset_local()
    clear_sent_messages()
    settings.TWILIO_VERIFY_SERVICE_SID = ""  # the local verification adapter
    settings.RECAPTCHA_SECRET_KEY = ""
    settings.NOTIFICATIONS_BACKEND = "memory"
    # Hashing cost is not under test here (the default PBKDF2 makes the suite slow).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    ratelimit.reset_local()
    clear_sent_messages()


@pytest.fixture
def client(db: Any) -> IdentityClient:
    return IdentityClient()


@pytest.fixture
def client_as(db: Any) -> Callable[[Any], IdentityClient]:
    return IdentityClient


def otp_for(phone: str) -> str:
    """The last code the local adapter sent to ``phone`` (from the in-memory outbox)."""
    bodies = [m["body"] for m in sent_messages() if m["to"].endswith(phone)]
    assert bodies, f"no message was sent to {phone}"
    match = re.search(r"\b(\d{6})\b", bodies[-1])
    assert match, bodies[-1]
    return match.group(1)


def messages_to(phone: str) -> list[dict[str, Any]]:
    return [m for m in sent_messages() if m["to"].endswith(phone)]


@pytest.fixture
def otp() -> Callable[[str], str]:
    return otp_for


@pytest.fixture
def signup(client: IdentityClient) -> Callable[..., dict[str, str]]:
    """Register and verify ``phone``; returns the token pair."""

    def _signup(phone: str = "+573001234567", password: str = PASSWORD, **extra: Any) -> dict:
        r = client.post(
            "/api/users/register/", {"phone_number": phone, "password": password, **extra}
        )
        assert r.status_code == 202, r.content
        r = client.post("/api/users/verify/", {"phone_number": phone, "code": otp_for(phone)})
        assert r.status_code == 200, r.content
        return r.json()

    return _signup


def bearer(access: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {access}"}
