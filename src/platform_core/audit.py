"""The audit log: one service function every module calls for security and staff events.

Actions are dotted, lower-case verbs: ``auth.login``, ``auth.login_failed``,
``otp.locked``, ``roles.changed``, ``payments.refund_requested``, ``shop.catalog_imported``,
``booking.status_changed``... Rows are append-only (no update/delete, read-only admin).
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest

from platform_core import geoip
from platform_core.request_context import client_ip, get_client_ip, get_request_id

logger = logging.getLogger("studiozens.audit")

_SECRET_KEYS = ("password", "token", "secret", "otp", "code", "signature", "authorization")


def _clean(details: dict[str, Any] | None) -> dict[str, Any]:
    """Drop secrets that a caller passed by mistake; keep the rest JSON-serialisable."""
    cleaned: dict[str, Any] = {}
    for key, value in (details or {}).items():
        if any(s in str(key).lower() for s in _SECRET_KEYS):
            cleaned[str(key)] = "[redactado]"
        elif isinstance(value, str | int | float | bool | type(None)):
            cleaned[str(key)] = value
        elif isinstance(value, dict):
            cleaned[str(key)] = _clean(value)
        elif isinstance(value, list | tuple):
            cleaned[str(key)] = [
                v if isinstance(v, str | int | float | bool) else str(v) for v in value
            ]
        else:
            cleaned[str(key)] = str(value)
    return cleaned


def _request_actor(request: HttpRequest | None) -> Any:
    if request is None:
        return None
    auth = getattr(request, "auth", None)
    if getattr(auth, "pk", None) is not None and hasattr(auth, "is_authenticated"):
        return auth
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None


def record(
    action: str,
    *,
    actor: Any = None,
    target: str = "",
    details: dict | None = None,
    request: HttpRequest | None = None,
    ip: str | None = None,
) -> None:
    """Append one AuditEvent. ``actor`` defaults to the request's user; ``ip`` to the
    request's client IP (or the current request context's); so does the request id."""
    from platform_core.models import AuditEvent

    actor = actor if actor is not None else _request_actor(request)
    if ip is None:
        ip = (client_ip(request) if request is not None else get_client_ip()) or None
    label = ""
    if actor is not None:
        label = str(getattr(actor, "public_id", "") or getattr(actor, "pk", ""))
    details = _clean(details)
    country = geoip.country_of(ip)  # GEOIP_PATH: where a sign-up or login came from
    if country:
        details.setdefault("country", country)
    request_id = get_request_id()
    if request_id == "-" and request is not None:
        request_id = getattr(request, "request_id", "") or ""
    event = AuditEvent.objects.create(
        action=action[:100],
        # A user model instance or identity's UserDTO: both carry the account's id.
        actor_id=getattr(actor, "id", None),
        actor_label=label[:150],
        target=str(target)[:255],
        details=details,
        request_id="" if request_id == "-" else request_id[:64],
        ip=ip,
    )
    logger.info(
        "audit %s target=%s actor=%s", action, target, label or "-", extra={"audit_id": event.pk}
    )
