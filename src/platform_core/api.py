"""Core routes under /api/core/: liveness and readiness."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from ninja import Router, Schema

from platform_core.health import run_checks

router = Router(tags=["core"])


class LivenessOut(Schema):
    status: str
    timestamp: str
    timezone: str


class CheckOut(Schema):
    status: str
    ms: float
    error: str | None = None


class ReadinessOut(Schema):
    status: str
    checks: dict[str, CheckOut]


@router.get("/health/", auth=None, response=LivenessOut, summary="Liveness (no I/O)")
def health(request: HttpRequest) -> dict[str, Any]:
    now = timezone.localtime()
    return {"status": "ok", "timestamp": now.isoformat(), "timezone": str(now.tzinfo)}


@router.get(
    "/health/ready",
    auth=None,
    response={200: ReadinessOut, 503: ReadinessOut},
    summary="Readiness: database, cache, broker and every module's checks",
)
def ready(request: HttpRequest) -> JsonResponse:
    healthy, checks = run_checks()
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)
