"""Shared fixtures. Module-specific factories live beside their tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import UserFactory


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    skip_redis = pytest.mark.skip(reason="needs Redis (set REDIS_URL)")
    for item in items:
        if "postgres" in item.keywords and not settings.USING_POSTGRES:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_redis)


class ApiClient:
    """Django's test client speaking JSON to /api/, optionally as a user (JWT)."""

    def __init__(self, user: Any = None) -> None:
        self.client = Client()
        self.user = user
        self.headers: dict[str, str] = {}
        if user is not None:
            from ninja_jwt.tokens import RefreshToken

            token = RefreshToken.for_user(user).access_token
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"

    def _call(self, method: str, path: str, data: Any = None, **extra: Any) -> Any:
        kwargs: dict[str, Any] = {**self.headers, **extra}
        if data is not None and method != "get":
            kwargs["data"] = json.dumps(data)
            kwargs["content_type"] = "application/json"
        elif data is not None:
            kwargs["data"] = data
        elif method != "get":
            # No body at all, as a browser's bodiless POST (Django's client would send an
            # empty multipart form, which an operation with an optional JSON body refuses).
            kwargs.setdefault("content_type", "application/json")
            kwargs.setdefault("data", "")
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self._call("get", path, data, **extra)

    def post(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self._call("post", path, data, **extra)

    def put(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self._call("put", path, data, **extra)

    def patch(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self._call("patch", path, data, **extra)

    def delete(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self._call("delete", path, data, **extra)


@pytest.fixture
def api() -> ApiClient:
    """Anonymous API client."""
    return ApiClient()


@pytest.fixture
def api_as() -> Callable[[Any], ApiClient]:
    """api_as(user) -> an API client authenticated as that user."""
    return ApiClient


@pytest.fixture
def user(db: Any) -> Any:
    return UserFactory()


@pytest.fixture
def other_user(db: Any) -> Any:
    return UserFactory()


@pytest.fixture
def fake_tenders(db: Any, settings: Any) -> Any:
    """A test plugin accepting the tender kind ``test_card`` (tests/fake_tenders.py): cards
    issued with ``fake_tenders.issue(code, balance)``; yields the provider (its call log)."""
    from tests import fake_tenders

    yield from fake_tenders.enabled(settings)


@pytest.fixture
def staff_role_permissions(db: Any) -> None:
    """The role groups hold what the plugins grant them, as after a migrate (for tests that
    log staff into the admin after the database was emptied)."""
    from modules.identity.staff import sync_role_permissions

    sync_role_permissions()


@pytest.fixture(autouse=True)
def _no_provider_call_under_lock() -> Any:
    """Issue 16 (3): the local stand-ins for Wompi, Twilio and Gemini refuse a call made inside
    a transaction the code opened (platform_core.provider_guard). The refusal may be caught by
    the caller (a provider error is often a handled case), so any test during which one
    happened fails here."""
    from platform_core import provider_guard

    provider_guard.clear_violations()
    yield
    found = provider_guard.violations()
    provider_guard.clear_violations()
    assert not found, found


@pytest.fixture
def provider_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, int]]:
    """Every call the local provider stand-ins received, as (provider, operation, open
    transactions of the code at that moment): a test of "no provider call under a lock"
    first proves the call happened, through the guard."""
    from platform_core import provider_guard

    calls: list[tuple[str, str, int]] = []
    check = provider_guard.check

    def recording(provider: str, operation: str = "") -> None:
        calls.append((provider, operation, provider_guard.open_atomic_blocks()))
        check(provider, operation)

    monkeypatch.setattr(provider_guard, "check", recording)
    return calls


@pytest.fixture(autouse=True)
def _no_outage_left_over() -> Any:
    """The process-local Redis and broker backoffs: one test's simulated outage must not
    make the next test's first call fail fast."""
    from platform_core import outbox, redis_pool

    outbox.reset_breaker()
    redis_pool.reset()
    yield
    outbox.reset_breaker()
    redis_pool.reset()


@pytest.fixture(autouse=True)
def _joins_allowed() -> Any:
    """Celery's eager ``apply_async`` sets a process-wide "joins would block" flag around the
    task and restores the value it saw: two threads running eager tasks at once (the race
    tests) can leave it set, and every later ``result.get()`` in this process then fails with
    "Never call result.get() within a task!". The test process is never a worker."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield


def clear_own_cache_keys() -> None:
    """Empty this test process's cache and rate-limit keys. On Redis, only the keys under this
    process's prefixes: a FLUSHDB would also wipe the keys of the other xdist workers sharing
    the db, in the middle of their tests."""
    from django.conf import settings
    from django.core.cache import cache

    if "django_redis" not in settings.CACHES["default"]["BACKEND"]:
        cache.clear()
        return
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    prefixes = (f"{settings.CACHES['default']['KEY_PREFIX']}:", settings.RATELIMIT_KEY_PREFIX)
    for prefix in prefixes:
        keys = list(redis.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            redis.delete(*keys)


@pytest.fixture(autouse=True)
def _clear_cache() -> Any:
    clear_own_cache_keys()
    yield
