"""Core routes under /api/core/: liveness and readiness, Twilio status callbacks and
the DEBUG-only development outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from platform_core.errors import NotFound, PermissionDenied
from platform_core.health import run_checks
from platform_core.notifications.selectors import list_outbox
from platform_core.notifications.services import apply_status_callback
from platform_core.notifications.webhooks import validate_twilio_request
from platform_core.pagination import Pagination

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


@router.get(
    "/health/",
    operation_id="getLiveness",
    auth=None,
    response=LivenessOut,
    summary="Liveness (no I/O)",
)
def health(request: HttpRequest) -> dict[str, Any]:
    """Liveness: answers without touching the database or Redis (for the load balancer)."""
    # The default zone (no code activates another): localtime() would read the active one
    # through asgiref's Local, a tenth of this probe's own time.
    now = timezone.now().astimezone(timezone.get_default_timezone())
    return {"status": "ok", "timestamp": now.isoformat(), "timezone": str(now.tzinfo)}


@router.get(
    "/health/ready/",
    operation_id="getReadiness",
    auth=None,
    response={200: ReadinessOut, 503: ReadinessOut},
    summary="Readiness: database, cache, broker and every module's checks",
)
def ready(request: HttpRequest) -> JsonResponse:
    """Readiness: checks the database, cache, broker and each module's dependencies; 503 when
    one fails."""
    healthy, checks = run_checks()
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)


# --- Twilio status callbacks -------------------------------------------------------------------
@router.post(
    "/webhooks/twilio/status/",
    operation_id="receiveTwilioStatus",
    auth=None,
    response={204: None},
    summary="Twilio message status callback (X-Twilio-Signature required)",
)
def twilio_status(request: HttpRequest) -> Status:
    """Twilio's delivery-status callback for a sent message (provider-to-server; signed with
    X-Twilio-Signature)."""
    if not validate_twilio_request(request):
        raise PermissionDenied(_("Firma de Twilio inválida."), code="invalid_signature")
    apply_status_callback(
        request.POST.get("MessageSid", ""),
        request.POST.get("MessageStatus", ""),
        request.POST.get("ErrorCode", ""),
    )
    return Status(204, None)


# --- Development outbox (DEBUG only) -------------------------------------------------------------
class OutboxItemOut(Schema):
    id: UUID
    channel: str
    to: str
    template: str
    subject: str
    body: str
    status: str
    sent_via: str
    attempts: int
    error_code: str
    created_at: datetime


@router.get(
    "/dev/outbox/",
    operation_id="listDevOutbox",
    auth=None,
    response=list[OutboxItemOut],
    summary="DEBUG only: the latest notifications (read an OTP without Twilio)",
)
@paginate(Pagination)
def dev_outbox(
    request: HttpRequest,
    to: str = Query("", max_length=254, description="Phone number or e-mail address"),
    template: str = Query("", max_length=100, description="Template name, e.g. otp"),
) -> Any:
    """Development only (404 in production): the latest notifications, to read a one-time code
    without a phone."""
    if not settings.DEBUG:
        raise NotFound()
    return list_outbox(to=to, template=template)
