"""The suite's per-test cache reset touches only its own process's keys (xdist workers share a
Redis db: a FLUSHDB from one would empty another's cache and limiter mid-test)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache

from tests.conftest import clear_own_cache_keys

pytestmark = pytest.mark.redis


def test_the_reset_empties_own_keys_and_leaves_other_processes_keys() -> None:
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    cache.set("mine", 1)
    limiter_key = f"{settings.RATELIMIT_KEY_PREFIX}login:probe"
    redis.set(limiter_key, 1)
    redis.set("szgw-other:1:theirs", 1)
    try:
        clear_own_cache_keys()
        assert cache.get("mine") is None
        assert not redis.exists(limiter_key)
        assert redis.exists("szgw-other:1:theirs")
    finally:
        redis.delete("szgw-other:1:theirs")


def test_tests_do_not_share_keys_with_a_development_server_on_the_same_db() -> None:
    """A `make dev` with REDIS_URL uses "sz"; a test run on that db once read the dev server's
    cached day (and the other way round)."""
    from django_redis import get_redis_connection

    assert settings.CACHES["default"]["KEY_PREFIX"].startswith("sztest")
    assert settings.RATELIMIT_KEY_PREFIX.startswith("sz:rl:test")
    redis = get_redis_connection("default")
    redis.set("sz:1:booking:dev-server", 1)
    try:
        clear_own_cache_keys()
        assert redis.exists("sz:1:booking:dev-server")
    finally:
        redis.delete("sz:1:booking:dev-server")
