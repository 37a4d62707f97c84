"""Issue 16 (3), identity's paths: the sign-up code is sent (Twilio Verify's local stand-in,
then the messaging adapter) and checked with no transaction of the code open; both
stand-ins refuse a call under a row lock (platform_core.provider_guard)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import transaction

from modules.identity.gateways import LocalVerificationGateway
from platform_core import provider_guard
from platform_core.notifications import sent_messages

pytestmark = pytest.mark.django_db

PHONE = "+573001112233"


def test_sign_up_code_is_sent_and_checked_outside_any_lock(
    api: Any, settings: Any, provider_calls: list, django_capture_on_commit_callbacks: Any
) -> None:
    settings.NOTIFICATIONS_BACKEND = "memory"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/users/register/",
            {
                "phone_number": PHONE,
                "password": "Zen-Bogota-2030!",
                "accept_terms": True,
                "accept_data_policy": True,
            },
        )
    assert response.status_code == 202, response.content
    code = re.search(r"\b(\d{6})\b", sent_messages()[-1]["body"]).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        verified = api.post("/api/users/verify/", {"phone_number": PHONE, "code": code})
    assert verified.status_code == 200, verified.content
    assert ("Twilio Verify (local)", "start", 0) in provider_calls
    assert ("Twilio Verify (local)", "check", 0) in provider_calls
    assert any(p.startswith("messaging") and depth == 0 for p, _op, depth in provider_calls)
    assert all(depth == 0 for _p, _op, depth in provider_calls)


def test_the_local_verify_stand_in_refuses_a_call_under_a_lock() -> None:
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        get_user_model().objects.select_for_update().first()
        with pytest.raises(provider_guard.ProviderCallUnderLock, match="Twilio Verify"):
            LocalVerificationGateway().start(PHONE, "sms")
        with pytest.raises(provider_guard.ProviderCallUnderLock, match="Twilio Verify"):
            LocalVerificationGateway().check(PHONE, "123456")
    provider_guard.clear_violations()
