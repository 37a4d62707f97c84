"""The platform services the assistant leans on, resolved at call time.

platform_core.notifications, .ratelimit and .http are built in parallel with this module; this
file is the one place that knows how to reach them. Where one is not importable yet, a small
cache-based equivalent keeps the assistant's guarantees (budget, breaker) and outbound text is
kept in the transcript and logged without personal data.
"""

from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from django.core.cache import cache

from platform_core.phones import mask_phone

logger = logging.getLogger(__name__)

REPLY_TEMPLATE = "assistant_reply"


def _platform(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"platform_core.{name}")
    except ImportError:
        return None


# --- Notifications -------------------------------------------------------------------------------
def send_whatsapp(*, phone: str, user_id: int | None, body: str, idempotency_key: str) -> None:
    """Queue one WhatsApp text through notifications (the outbox sends it on commit)."""
    notifications = _platform("notifications")
    if notifications is None or not hasattr(notifications, "notify"):
        logger.warning(
            "notifications unavailable; reply to %s kept in transcript", mask_phone(phone)
        )
        return
    notifications.notify(
        to=notifications.Recipient(phone=phone, user_id=user_id),
        template=REPLY_TEMPLATE,
        context={"body": body},
        channels=("whatsapp",),
        idempotency_key=idempotency_key,
    )


def record_inbound(phone: str) -> None:
    """Opens WhatsApp's 24-hour free-text window for this number."""
    notifications = _platform("notifications")
    if notifications is not None and hasattr(notifications, "record_inbound"):
        notifications.record_inbound(phone)


def handle_inbound_keyword(phone: str, text: str) -> bool:
    """STOP/BAJA and friends: True when notifications consumed the message."""
    notifications = _platform("notifications")
    if notifications is not None and hasattr(notifications, "handle_inbound_keyword"):
        return bool(notifications.handle_inbound_keyword(phone, text))
    return False


# --- Rate limits ---------------------------------------------------------------------------------
def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """One hit against a fixed-window counter; False once over the limit."""
    ratelimit = _platform("ratelimit")
    if ratelimit is not None and hasattr(ratelimit, "hit"):
        return bool(ratelimit.hit(key, limit=limit, window_seconds=window_seconds).allowed)
    bucket = f"assistant:rl:{key}:{int(time.time() // window_seconds)}"
    cache.add(bucket, 0, window_seconds + 1)
    try:
        count = cache.incr(bucket)
    except ValueError:  # evicted between add and incr
        cache.set(bucket, 1, window_seconds + 1)
        count = 1
    return count <= limit


# --- Circuit breaker -----------------------------------------------------------------------------
@dataclass
class _CacheBreaker:
    """Counts consecutive failures in the shared cache; open for reset_seconds after failures."""

    name: str
    failures: int
    reset_seconds: int

    @property
    def _count_key(self) -> str:
        return f"assistant:cb:{self.name}:failures"

    @property
    def _open_key(self) -> str:
        return f"assistant:cb:{self.name}:open"

    def allow(self) -> bool:
        return cache.get(self._open_key) is None

    def record_success(self) -> None:
        cache.delete(self._count_key)

    def record_failure(self) -> None:
        cache.add(self._count_key, 0, self.reset_seconds * 10)
        try:
            count = cache.incr(self._count_key)
        except ValueError:
            count = 1
        if count >= self.failures:
            cache.set(self._open_key, "1", self.reset_seconds)
            cache.delete(self._count_key)


def circuit_breaker(name: str, *, failures: int, reset_seconds: int) -> Any:
    http = _platform("http")
    if http is not None and hasattr(http, "CircuitBreaker"):
        return http.CircuitBreaker(name, failures=failures, reset_seconds=reset_seconds)
    return _CacheBreaker(name, failures, reset_seconds)


# --- Audit ---------------------------------------------------------------------------------------
def audit(action: str, *, actor: Any = None, target: str = "", details: dict | None = None) -> None:
    module = _platform("audit")
    if module is not None and hasattr(module, "record"):
        module.record(action, actor=actor, target=target, details=details or {})
    else:
        logger.info("audit %s %s", action, target)
