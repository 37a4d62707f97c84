from __future__ import annotations

import pytest
from django.test import RequestFactory

from platform_core import audit
from platform_core.models import AppendOnlyError, AuditEvent
from platform_core.ratelimit import RateLimited, enforce, hit
from platform_core.request_context import client_ip


@pytest.mark.django_db
def test_audit_record_from_request(user):
    request = RequestFactory().post("/api/users/login", REMOTE_ADDR="203.0.113.9")
    request.auth = user
    audit.record(
        "auth.login",
        target=f"user:{user.public_id}",
        request=request,
        details={"password": "x", "channel": "sms", "nested": {"token": "t"}, "n": [1, object()]},
    )
    event = AuditEvent.objects.get()
    assert event.actor_id == user.pk
    assert event.ip == "203.0.113.9"
    assert event.details["password"] == "[redactado]"
    assert event.details["nested"]["token"] == "[redactado]"
    assert event.details["channel"] == "sms"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


@pytest.mark.django_db
def test_audit_record_without_request():
    audit.record("catalog.imported", target="shop.product", details={"rows": 3}, ip="10.0.0.1")
    event = AuditEvent.objects.get()
    assert event.actor is None and event.ip == "10.0.0.1" and event.details == {"rows": 3}


def test_hit_and_enforce_locmem():
    for i in range(3):
        result = hit("unit:a", limit=3, window_seconds=60)
        assert result.allowed and result.remaining == 2 - i
    refused = hit("unit:a", limit=3, window_seconds=60)
    assert not refused.allowed and 1 <= refused.retry_after <= 60
    with pytest.raises(RateLimited) as exc:
        enforce("unit:a", limit=3, window_seconds=60, message="Espera")
    assert exc.value.status_code == 429 and exc.value.retry_after >= 1


def test_client_ip_trusts_only_configured_proxies(settings):
    factory = RequestFactory()
    request = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.7")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "198.51.100.7"
    request = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="garbage")
    assert client_ip(request) == "10.0.0.2"
