"""Atomic rate limiting (Redis, real threads), the Ninja throttle, 429 shape, the breaker
and the outbound httpx client."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import httpx
import pytest
import time_machine
from ninja import NinjaAPI, Router
from ninja.testing import TestClient

from platform_core import api_errors
from platform_core.http import CircuitBreaker, CircuitOpen, backoff_delay, make_client
from platform_core.ratelimit import RateThrottle, enforce, hit, parse_rate

START = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


@pytest.mark.redis
def test_fifty_concurrent_requests_against_limit_ten_let_exactly_ten_through(settings):
    assert settings.CACHES["default"]["BACKEND"].startswith("django_redis")
    key = f"otp:phone:{uuid.uuid4().hex}"
    barrier = threading.Barrier(50)
    results: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        allowed = hit(key, limit=10, window_seconds=60).allowed
        with lock:
            results.append(allowed)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 50
    assert results.count(True) == 10
    refused = hit(key, limit=10, window_seconds=60)
    assert not refused.allowed and 1 <= refused.retry_after <= 60


def test_locmem_fallback_is_atomic_too():
    key = f"k:{uuid.uuid4().hex}"
    results: list[bool] = []
    barrier = threading.Barrier(30)

    def worker() -> None:
        barrier.wait()
        results.append(hit(key, limit=10, window_seconds=60).allowed)

    threads = [threading.Thread(target=worker) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 10


def test_sliding_window_frees_slots_over_time(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with time_machine.travel(START, tick=False) as traveller:
        assert hit("w", limit=2, window_seconds=10).allowed
        traveller.shift(5)
        assert hit("w", limit=2, window_seconds=10).allowed
        refused = hit("w", limit=2, window_seconds=10)
        assert not refused.allowed and refused.retry_after == 5
        traveller.shift(5.5)
        assert hit("w", limit=2, window_seconds=10).allowed


def test_disabled_and_zero_limits(settings):
    assert not hit("z", limit=0, window_seconds=5).allowed
    settings.RATELIMIT_ENABLED = False
    assert all(hit("z2", limit=1, window_seconds=5).allowed for _ in range(3))


def test_redis_outage_fails_open_or_closed(settings, monkeypatch):
    class Broken:
        def register_script(self, _):
            raise ConnectionError("redis down")

    monkeypatch.setattr("platform_core.ratelimit._redis", lambda: Broken())
    assert hit("o", limit=1, window_seconds=5).allowed
    settings.RATELIMIT_FAIL_OPEN = False
    assert not hit("o", limit=1, window_seconds=5).allowed


def test_parse_rate():
    assert parse_rate("5/h") == (5, 3600)
    assert parse_rate("10/15m") == (10, 900)
    assert parse_rate("30 / 10min") == (30, 600)
    with pytest.raises(ValueError):
        parse_rate("lots")
    with pytest.raises(ValueError):
        RateThrottle("1/s", scope="x", by="phone")


def _api() -> NinjaAPI:
    api = NinjaAPI(urls_namespace=f"rl-{uuid.uuid4().hex}")
    api_errors.install(api)
    router = Router()

    @router.post("/login", auth=None, throttle=RateThrottle("2/15m", scope="login"))
    def login(request):
        return {"ok": True}

    @router.post("/me", auth=None, throttle=RateThrottle("1/m", scope="me", by="user"))
    def me(request):
        return {"ok": True}

    @router.post("/otp", auth=None)
    def otp(request):
        enforce("otp:+573001112233", limit=1, window_seconds=3600)
        return {"ok": True}

    api.add_router("/", router)
    return api


def test_throttle_and_enforce_answer_429_with_retry_after(settings):
    client = TestClient(_api())
    assert client.post("/login").status_code == 200
    assert client.post("/login").status_code == 200
    refused = client.post("/login")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 900
    other_ip = client.post("/login", META={"REMOTE_ADDR": "10.9.9.9"})
    assert other_ip.status_code == 200

    assert client.post("/otp").status_code == 200
    refused = client.post("/otp")
    assert refused.status_code == 429
    assert refused.json()["error"]["details"]["retry_after"] == int(refused["Retry-After"])


@pytest.mark.django_db
def test_user_throttle_is_per_user(user, other_user):
    client = TestClient(_api())
    assert client.post("/me", user=user).status_code == 200
    assert client.post("/me", user=user).status_code == 429
    assert client.post("/me", user=other_user).status_code == 200


# --- Circuit breaker --------------------------------------------------------------------------
def test_breaker_opens_half_opens_and_closes():
    breaker = CircuitBreaker("unit", failures=3, reset_seconds=30)
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(2):
            breaker.record_failure()
        assert breaker.state == "closed" and breaker.allow()
        breaker.record_failure()
        assert breaker.state == "open" and not breaker.allow()
        assert 29 <= breaker.retry_after() <= 30
        with pytest.raises(CircuitOpen) as exc:
            breaker.call(lambda: "never")
        assert exc.value.status_code == 503
        traveller.shift(31)
        assert breaker.state == "half-open"
        assert breaker.allow()  # the probe
        assert not breaker.allow()  # everyone else waits for the probe
        breaker.record_failure()  # the probe failed: open again for a full period
        assert breaker.state == "open"
        traveller.shift(31)
        assert breaker.call(lambda: "ok") == "ok"
        assert breaker.state == "closed"


def test_breaker_call_counts_exceptions():
    breaker = CircuitBreaker("unit2", failures=2, reset_seconds=30)

    def boom():
        raise RuntimeError("x")

    for _ in range(2):
        with pytest.raises(RuntimeError):
            breaker.call(boom)
    assert breaker.state == "open"
    breaker.reset()
    assert breaker.state == "closed"


def test_backoff_delay_is_bounded():
    for attempt in range(10):
        assert 0 <= backoff_delay(attempt, base=0.5, cap=4) <= 4


# --- Outbound HTTP client ---------------------------------------------------------------------
def _client(responses: list, **kwargs):
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        item = responses.pop(0)
        if isinstance(item, Exception):
            raise item
        return httpx.Response(item, json={"n": len(calls)})

    transport = httpx.MockTransport(handler)
    client = make_client(
        base_url="https://api.example.com", timeout=3, transport=transport, **kwargs
    )
    client._transport.sleep = lambda _: None
    return client, calls


def test_get_is_retried_on_503_and_connect_errors():
    client, calls = _client([503, httpx.ConnectError("down"), 200])
    response = client.get("/v1/things")
    assert response.status_code == 200 and len(calls) == 3
    assert client.timeout.read == 3


def test_post_is_not_retried_on_503_but_is_on_connect_error():
    client, calls = _client([503])
    assert client.post("/v1/pay", json={}).status_code == 503 and len(calls) == 1
    client, calls = _client([httpx.ConnectError("down"), 201])
    assert client.post("/v1/pay", json={}).status_code == 201 and len(calls) == 2
    client, calls = _client([httpx.ReadTimeout("slow")])
    with pytest.raises(httpx.ReadTimeout):
        client.post("/v1/pay", json={})
    assert len(calls) == 1


def test_client_reports_to_breaker_and_refuses_while_open():
    breaker = CircuitBreaker("wompi", failures=2, reset_seconds=60)
    client, calls = _client([500, 500, 200], retries=0, breaker=breaker)
    assert client.get("/a").status_code == 500
    assert client.get("/a").status_code == 500
    with pytest.raises(CircuitOpen):
        client.get("/a")
    assert len(calls) == 2
    breaker.reset()
    assert client.get("/a").status_code == 200
    client, calls = _client([httpx.ConnectError("x")] * 3, retries=2, breaker=breaker)
    with pytest.raises(httpx.ConnectError):
        client.get("/a")
    assert len(calls) == 3
    client, calls = _client([httpx.ReadTimeout("x")] * 2, retries=1)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/a")
    assert len(calls) == 2
    client.close()
