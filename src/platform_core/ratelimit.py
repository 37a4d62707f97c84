"""Rate limiting: an atomic sliding-window limiter in Redis (locmem fallback).

``hit`` counts one event under ``key`` and says whether it is allowed; ``enforce`` raises
``RateLimited`` (429 with ``Retry-After``). ``RateThrottle`` plugs the same limiter into
Ninja's ``throttle=`` parameter. Redis runs the check-and-add as one Lua script, so 50
concurrent requests against a limit of 10 let exactly 10 through.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from platform_core.errors import RateLimited
from platform_core.request_context import client_ip

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateResult:
    allowed: bool
    remaining: int
    retry_after: int  # seconds until the next event would be allowed (0 when allowed)
    limit: int
    # True when Redis was unavailable and the answer comes from the outage policy: the
    # count is not the shared one, so callers must not read "remaining" as a verdict.
    degraded: bool = False


# What a limit answers while Redis (the shared counter) is unavailable. Each call site
# chooses; docs/platform-services.md ("Rate limiting") lists the choices.
OPEN = "open"  # allow: availability first (login lockouts, general API throttles)
LOCAL = "local"  # count in this process only: a bound that survives (OTP sends and checks)
CLOSED = "closed"  # refuse with 429 (nothing uses it today)
OUTAGE_POLICIES = (OPEN, LOCAL, CLOSED)


# KEYS[1] = window key; ARGV = now_ms, window_ms, limit, member.
# Drop events older than the window, count, add only when under the limit.
_SLIDING_WINDOW_LUA = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
  return {1, count + 1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local retry = window
if oldest[2] then retry = tonumber(oldest[2]) + window - now end
return {0, count, retry}
"""

_script: Any = None
_script_lock = threading.Lock()

_local_lock = threading.Lock()
_local_windows: dict[str, deque[float]] = {}


def _prefix() -> str:
    return getattr(settings, "RATELIMIT_KEY_PREFIX", "sz:rl:")


def _redis() -> Any:
    """The Redis client behind the default cache, or None when the cache is not Redis."""
    backend = settings.CACHES["default"]["BACKEND"]
    if not backend.startswith("django_redis"):
        return None
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _hit_redis(client: Any, key: str, limit: int, window_ms: int, now_ms: int) -> RateResult:
    global _script
    with _script_lock:
        if _script is None or _script.registered_client is not client:
            _script = client.register_script(_SLIDING_WINDOW_LUA)
        script = _script
    allowed, count, retry_ms = script(
        keys=[f"{_prefix()}{key}"], args=[now_ms, window_ms, limit, uuid.uuid4().hex]
    )
    return RateResult(
        allowed=bool(allowed),
        remaining=max(0, limit - int(count)),
        retry_after=0 if allowed else max(1, math.ceil(int(retry_ms) / 1000)),
        limit=limit,
    )


def _hit_local(key: str, limit: int, window_seconds: int, now: float) -> RateResult:
    # One process only (dev/demo without Redis): a lock makes check-and-add atomic.
    with _local_lock:
        events = _local_windows.setdefault(key, deque())
        while events and events[0] <= now - window_seconds:
            events.popleft()
        if len(events) < limit:
            events.append(now)
            return RateResult(True, limit - len(events), 0, limit)
        retry = events[0] + window_seconds - now
        return RateResult(False, 0, max(1, math.ceil(retry)), limit)


def reset_local() -> None:
    """Forget the in-process windows (tests)."""
    with _local_lock:
        _local_windows.clear()


def hit(key: str, *, limit: int, window_seconds: int, on_outage: str | None = None) -> RateResult:
    """Count one event for ``key``; allowed while fewer than ``limit`` happened in the
    last ``window_seconds``. Refused events are not counted.

    ``on_outage`` (OPEN, LOCAL or CLOSED) is what to answer when Redis is unavailable;
    None means the setting ``RATELIMIT_FAIL_OPEN`` (OPEN when true, CLOSED when false).
    The answer is then marked ``degraded``."""
    if limit <= 0:
        return RateResult(False, 0, window_seconds, limit)
    if not getattr(settings, "RATELIMIT_ENABLED", True):
        return RateResult(True, limit, 0, limit)
    now = time.time()
    client = _redis()
    if client is None:
        return _hit_local(key, limit, window_seconds, now)
    try:
        return _hit_redis(client, key, limit, window_seconds * 1000, int(now * 1000))
    except Exception as exc:  # noqa: BLE001 - any Redis failure is an outage here
        logger.warning(
            "rate limiter unavailable for %s (%s)", key.split(":")[0], exc.__class__.__name__
        )
        return _outage_result(key, limit, window_seconds, now, on_outage)


def _outage_result(
    key: str, limit: int, window_seconds: int, now: float, policy: str | None
) -> RateResult:
    if policy is None:
        policy = OPEN if getattr(settings, "RATELIMIT_FAIL_OPEN", True) else CLOSED
    if policy == LOCAL:
        local = _hit_local(f"outage:{key}", limit, window_seconds, now)
        return RateResult(local.allowed, local.remaining, local.retry_after, limit, True)
    if policy == CLOSED:
        return RateResult(False, 0, window_seconds, limit, True)
    return RateResult(True, limit, 0, limit, True)


def enforce(
    key: str,
    *,
    limit: int,
    window_seconds: int,
    message: str | None = None,
    on_outage: str | None = None,
) -> None:
    """``hit`` or raise ``RateLimited`` (429, ``Retry-After``)."""
    result = hit(key, limit=limit, window_seconds=window_seconds, on_outage=on_outage)
    if not result.allowed:
        raise RateLimited(result.retry_after, message)


_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|m|min|h|hour|d|day)\s*$")
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/15m"`` -> (10, 900); ``"5/h"`` -> (5, 3600)."""
    match = _RATE.match(rate)
    if not match:
        raise ValueError(f"invalid rate {rate!r}; use e.g. '5/h' or '10/15m'")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _UNITS[unit]


class RateThrottle(BaseThrottle):
    """A Ninja throttle on the atomic limiter: ``throttle=RateThrottle("10/15m", scope="login")``.

    ``by`` is "ip" (default) or "user" (falls back to the IP for anonymous requests).
    The API's Throttled handler answers 429 in the error shape with ``Retry-After``.
    """

    def __init__(self, rate: str, *, scope: str, by: str = "ip") -> None:
        if by not in {"ip", "user"}:
            raise ValueError("by must be 'ip' or 'user'")
        self.limit, self.window = parse_rate(rate)
        self.scope = scope
        self.by = by
        # One throttle instance serves every thread: keep the last answer per thread.
        self._local = threading.local()

    def _ident(self, request: HttpRequest) -> str:
        if self.by == "user":
            auth = getattr(request, "auth", None) or getattr(request, "user", None)
            if getattr(auth, "is_authenticated", False) and getattr(auth, "pk", None):
                return f"user:{auth.pk}"
        return f"ip:{client_ip(request) or 'unknown'}"

    def allow_request(self, request: HttpRequest) -> bool:
        result = hit(
            f"{self.scope}:{self._ident(request)}", limit=self.limit, window_seconds=self.window
        )
        self._local.wait = None if result.allowed else float(result.retry_after)
        return result.allowed

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
