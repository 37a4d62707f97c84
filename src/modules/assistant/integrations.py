"""The platform services the assistant leans on, in one place (easy to see, easy to fake)."""

from __future__ import annotations

from typing import Any

from platform_core import audit as platform_audit
from platform_core import notifications, ratelimit
from platform_core.http import CircuitBreaker

REPLY_TEMPLATE = "assistant_reply"


def send_whatsapp(*, phone: str, user_id: int | None, body: str, idempotency_key: str) -> None:
    """Queue one WhatsApp text through the notifications outbox (sent on commit)."""
    notifications.notify(
        to=notifications.Recipient(phone=phone, user_id=user_id),
        template=REPLY_TEMPLATE,
        context={"body": body},
        channels=("whatsapp",),
        idempotency_key=idempotency_key,
    )


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
