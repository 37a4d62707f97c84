"""Outbound HTTP: a circuit breaker shared through the cache (Redis in production) and
an httpx client factory with timeouts, safe retries and the breaker.

Used by the Twilio delivery (breaker only: the SDK has its own HTTP client) and later by
the Wompi and Gemini adapters.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from platform_core.errors import ServiceUnavailable

logger = logging.getLogger(__name__)
T = TypeVar("T")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class CircuitOpen(ServiceUnavailable):
    """The provider failed repeatedly; calls are refused until the breaker resets."""

    code = "circuit_open"
    default_message = _("El servicio externo no está disponible. Intenta más tarde.")

    def __init__(self, name: str, retry_after: float) -> None:
        self.breaker = name
        self.retry_after = max(0.0, retry_after)
        super().__init__(details={"service": name, "retry_after": round(self.retry_after)})


class CircuitBreaker:
    """Consecutive-failure breaker whose state lives in the shared cache, so every web
    and worker process sees the same state.

    closed → (``failures`` consecutive failures) → open for ``reset_seconds`` → half-open:
    one caller probes (the others are still refused); success closes, failure re-opens.
    Wall-clock timestamps (``time.time``) are stored, so tests control time with
    time-machine even when the cache is Redis.
    """

    def __init__(self, name: str, *, failures: int, reset_seconds: int) -> None:
        self.name = name
        self.failures = max(1, int(failures))
        self.reset_seconds = max(1, int(reset_seconds))
        self._count_key = f"cb:{name}:failures"
        self._open_key = f"cb:{name}:open_until"
        self._probe_key = f"cb:{name}:probe"

    # State -------------------------------------------------------------------------------
    def open_until(self) -> float | None:
        value = cache.get(self._open_key)
        return float(value) if value is not None else None

    def retry_after(self) -> float:
        until = self.open_until()
        return max(0.0, until - time.time()) if until else 0.0

    @property
    def state(self) -> str:
        until = self.open_until()
        if until is None:
            return "closed"
        return "open" if time.time() < until else "half-open"

    def allow(self) -> bool:
        until = self.open_until()
        if until is None:
            return True
        if time.time() < until:
            return False
        # Half-open: exactly one caller gets the probe until it reports back.
        return bool(cache.add(self._probe_key, "1", timeout=self.reset_seconds))

    def record_success(self) -> None:
        cache.delete_many([self._count_key, self._open_key, self._probe_key])

    def record_failure(self) -> None:
        ttl = self.reset_seconds * 10
        cache.add(self._count_key, 0, timeout=ttl)
        try:
            count = cache.incr(self._count_key)
        except ValueError:  # expired between add and incr
            cache.set(self._count_key, 1, timeout=ttl)
            count = 1
        if count >= self.failures:
            until = time.time() + self.reset_seconds
            # Keep the key well past the reset so half-open is observable; a success clears it.
            cache.set(self._open_key, until, timeout=ttl)
            cache.delete(self._probe_key)
            logger.warning(
                "circuit %s open for %ss after %s failures", self.name, self.reset_seconds, count
            )

    def reset(self) -> None:
        self.record_success()

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` through the breaker: refused with CircuitOpen while open; any
        exception counts as a failure and is re-raised."""
        if not self.allow():
            raise CircuitOpen(self.name, self.retry_after())
        try:
            result = fn(*args, **kwargs)
        except Exception:
            self.record_failure()
            raise
        self.record_success()
        return result


def backoff_delay(attempt: int, *, base: float = 0.5, cap: float = 30.0) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base * 2**attempt))."""
    return random.uniform(0, min(cap, base * (2 ** max(0, attempt))))  # noqa: S311


class RetryTransport(httpx.BaseTransport):
    """Retries connection failures for every method (the request never left) and 429 /
    502 / 503 / 504 answers only for idempotent methods; reports to a breaker."""

    def __init__(
        self,
        *,
        retries: int = 2,
        breaker: CircuitBreaker | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.retries = max(0, retries)
        self.breaker = breaker
        self.transport = transport or httpx.HTTPTransport()
        self.sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.breaker is not None and not self.breaker.allow():
            raise CircuitOpen(self.breaker.name, self.breaker.retry_after())
        idempotent = request.method.upper() in IDEMPOTENT_METHODS
        attempt = 0
        while True:
            try:
                response = self.transport.handle_request(request)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                retry = attempt < self.retries
                if not retry:
                    self._failed()
                    raise
                logger.info("retrying %s %s after %s", request.method, request.url.host, exc)
            except httpx.TransportError:
                # Read timeouts etc.: the server may have acted; never retry a POST.
                if not idempotent or attempt >= self.retries:
                    self._failed()
                    raise
            else:
                if response.status_code in RETRY_STATUSES and idempotent and attempt < self.retries:
                    response.close()
                elif response.status_code >= 500 or response.status_code == 429:
                    self._failed()
                    return response
                else:
                    if self.breaker is not None:
                        self.breaker.record_success()
                    return response
            attempt += 1
            self.sleep(backoff_delay(attempt))

    def _failed(self) -> None:
        if self.breaker is not None:
            self.breaker.record_failure()

    def close(self) -> None:
        self.transport.close()


def make_client(
    *,
    base_url: str = "",
    timeout: float,
    headers: dict | None = None,
    retries: int = 2,
    breaker: CircuitBreaker | None = None,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """An httpx client with a total timeout, safe retries and an optional shared breaker.
    ``transport`` lets tests plug ``httpx.MockTransport`` underneath the retry layer."""
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(timeout),
        headers=headers,
        transport=RetryTransport(retries=retries, breaker=breaker, transport=transport),
        follow_redirects=False,
    )
