"""The security baseline as a browser sees it: CSP, CORS for the front-end's origins only,
and the hardening headers."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
FRONTEND = "https://studiozens.co"


@pytest.fixture
def web(settings) -> Client:
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]
    return Client()


def test_responses_carry_csp_and_hardening_headers(web) -> None:
    response = web.get("/api/core/health/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "form-action 'self' https://checkout.wompi.co" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_cors_answers_the_frontend_origin_only(web) -> None:
    preflight = web.options(
        "/api/shop/products",
        HTTP_ORIGIN=FRONTEND,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,idempotency-key",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == FRONTEND
    assert "authorization" in preflight["Access-Control-Allow-Headers"]
    assert "idempotency-key" in preflight["Access-Control-Allow-Headers"]
    simple = web.get("/api/shop/products", HTTP_ORIGIN=FRONTEND)
    exposed = simple["Access-Control-Expose-Headers"].lower()
    assert {"x-request-id", "retry-after", "idempotent-replayed"} <= set(exposed.split(", "))
    stranger = web.get("/api/shop/products", HTTP_ORIGIN="https://evil.example")
    assert stranger.status_code == 200
    assert "Access-Control-Allow-Origin" not in stranger


def test_migrate_syncs_the_beat_schedule() -> None:
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    PeriodicTask.objects.filter(name="core.relay_pending_notifications").delete()
    call_command("migrate", verbosity=0)
    assert PeriodicTask.objects.get(name="core.relay_pending_notifications").enabled
