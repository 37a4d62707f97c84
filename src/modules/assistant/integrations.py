"""The platform services the assistant leans on, in one place (easy to see, easy to fake)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from modules.identity import public as identity
from platform_core import audit as platform_audit
from platform_core import notifications, ratelimit
from platform_core.http import CircuitBreaker

REPLY_TEMPLATE = "assistant_reply"
# A staff member's answer. Outside WhatsApp's 24-hour window the outbox sends the approved
# Content template configured for this name (TWILIO_CONTENT_SIDS, see docs/assistant.md).
STAFF_REPLY_TEMPLATE = "assistant_staff_reply"
HANDOFF_ALERT_TEMPLATE = "assistant_handoff_alert"


def send_whatsapp(
    *,
    phone: str,
    user_id: int | None,
    body: str,
    idempotency_key: str,
    template: str = REPLY_TEMPLATE,
) -> None:
    """Queue one WhatsApp text through the notifications outbox (sent on commit)."""
    notifications.notify(
        to=notifications.Recipient(phone=phone, user_id=user_id),
        template=template,
        context={"body": body},
        channels=("whatsapp",),
        idempotency_key=idempotency_key,
    )


def alert_staff(*, roles: tuple[str, ...], context: dict[str, Any], key: str) -> int:
    """Tell the staff of ``roles`` on their preferred channel (WhatsApp or email); one
    outbox row per person and ``key``, so a repeated call alerts nobody twice."""
    recipients = identity.staff_recipients(*roles) if roles else []
    for recipient in recipients:
        notifications.notify(
            to=recipient,
            template=HANDOFF_ALERT_TEMPLATE,
            context=context,
            idempotency_key=f"{key}:{recipient.user_id}",
        )
    return len(recipients)


def in_whatsapp_window(phone: str) -> bool:
    """True while free text may be sent (the client wrote in the last 24 hours)."""
    from platform_core.notifications.adapters import in_whatsapp_window as in_window

    return in_window(phone)


def has_content_template(template: str) -> bool:
    return bool((getattr(settings, "TWILIO_CONTENT_SIDS", None) or {}).get(template))


def record_inbound(phone: str) -> None:
    """Opens WhatsApp's 24-hour free-text window for this number."""
    notifications.record_inbound(phone)


def handle_inbound_keyword(phone: str, text: str) -> bool:
    """STOP/BAJA, START/ALTA: True when notifications consumed the message."""
    return bool(notifications.handle_inbound_keyword(phone, text))


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """One hit against the shared limiter; False once over the limit."""
    return bool(ratelimit.hit(key, limit=limit, window_seconds=window_seconds).allowed)


def circuit_breaker(name: str, *, failures: int, reset_seconds: int) -> CircuitBreaker:
    return CircuitBreaker(name, failures=failures, reset_seconds=reset_seconds)


def audit(action: str, *, actor: Any = None, target: str = "", details: dict | None = None) -> None:
    platform_audit.record(action, actor=actor, target=target, details=details or {})
