"""A Redis connection pool that stops trying for a moment after Redis failed to connect.

The cache, the rate limiter and the lockouts all go through django-redis's pool. Without a
breaker, each of a request's several Redis calls waits out its own connect timeout (and
redis-py's retries) when Redis is unreachable; with it, the first failure opens the breaker
for ``REDIS_OUTAGE_BACKOFF_SECONDS`` and the calls after it fail at once, so a request
degrades in milliseconds (cache misses, the limiter's outage policy). Process-local on
purpose: it must work exactly when the shared store is the thing that is down.
"""

from __future__ import annotations

from typing import Any

from redis import ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from platform_core.backoff import ProcessBackoff

_redis = ProcessBackoff("REDIS_OUTAGE_BACKOFF_SECONDS", 2.0)


def redis_available() -> bool:
    return _redis.available()


def note_redis_failure() -> None:
    _redis.failed()


def reset() -> None:
    _redis.reset()


class OutageAwareConnectionPool(ConnectionPool):
    """``CONNECTION_POOL_CLASS`` for django-redis (settings.CACHES)."""

    def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        if not redis_available():
            raise RedisConnectionError("Redis unavailable (backing off after a failure)")
        try:
            return super().get_connection(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError):
            note_redis_failure()
            raise
