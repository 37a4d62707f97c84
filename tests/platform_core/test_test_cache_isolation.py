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
