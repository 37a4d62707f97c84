"""Bounded concurrency per web worker (platform_core.concurrency): requests beyond the limit
wait in a bounded queue, then get a 503 in the error shape; the login lane and the general
lane never take each other's slots; liveness never waits."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from django.conf import settings

from platform_core.concurrency import ConcurrencyLimiter, Lane, from_settings

LOGIN = "/api/users/token/"


class BlockingApp:
    """An ASGI app whose requests finish only when the test releases them."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.release = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.started.append(scope["path"])
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def call(app: Any, path: str) -> dict[str, Any]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "http", "path": path, "method": "GET"}, receive, send)
    start = sent[0]
    return {
        "status": start["status"],
        "headers": dict(start["headers"]),
        "body": b"".join(m.get("body", b"") for m in sent[1:]),
    }


def limiter(inner: Any, **kwargs: Any) -> ConcurrencyLimiter:
    options = {"limit": 1, "queue": 1, "timeout": 5.0}
    options.update(kwargs)
    login = Lane("login", limit=1, queue=1, timeout=5.0, paths=frozenset({LOGIN}))
    return ConcurrencyLimiter(inner, lanes=[login], exempt=["/api/core/health/"], **options)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_beyond_limit_and_queue_the_answer_is_an_immediate_503():
    async def scenario() -> None:
        inner = BlockingApp()
        app = limiter(inner)
        running = asyncio.create_task(call(app, "/api/shop/products"))
        queued = asyncio.create_task(call(app, "/api/shop/products"))
        await settle()
        assert inner.started == ["/api/shop/products"]  # the second one waits, not running

        refused = await call(app, "/api/booking/services")  # queue full: no waiting
        assert refused["status"] == 503
        assert refused["headers"][b"retry-after"] == b"3"
        body = json.loads(refused["body"])
        assert body["error"]["code"] == "overloaded"
        assert set(body["error"]) == {"code", "message", "details"}

        inner.release.set()
        assert (await running)["status"] == 200
        assert (await queued)["status"] == 200  # served in turn once the slot freed
        assert inner.started == ["/api/shop/products"] * 2

    asyncio.run(scenario())


def test_a_queued_request_gives_up_after_the_timeout():
    async def scenario() -> None:
        inner = BlockingApp()
        app = limiter(inner, timeout=0.05)
        running = asyncio.create_task(call(app, "/a"))
        await settle()
        waited = await call(app, "/b")
        assert waited["status"] == 503
        assert inner.started == ["/a"]
        inner.release.set()
        await running
        assert (await call(app, "/c"))["status"] == 200  # the slot is back

    asyncio.run(scenario())


def test_a_login_burst_cannot_take_the_other_routes_slots_and_vice_versa():
    async def scenario() -> None:
        inner = BlockingApp()
        app = limiter(inner, queue=0)
        logins = [asyncio.create_task(call(app, LOGIN)) for _ in range(2)]  # 1 runs, 1 waits
        await settle()
        assert inner.started == [LOGIN]
        catalog = asyncio.create_task(call(app, "/api/booking/services"))
        await settle()
        assert inner.started == [LOGIN, "/api/booking/services"]  # not behind the logins
        # The general lane is full now (limit 1, queue 0); a third login still only queues
        # behind the logins, and one more login is refused by its own lane.
        assert (await call(app, "/api/shop/products"))["status"] == 503
        assert (await call(app, LOGIN))["status"] == 503
        # Liveness never waits.
        health = asyncio.create_task(call(app, "/api/core/health/"))
        await settle()
        assert inner.started[-1] == "/api/core/health/"
        inner.release.set()
        results = await asyncio.gather(*logins, catalog, health)
        assert [r["status"] for r in results] == [200, 200, 200, 200]

    asyncio.run(scenario())


def test_non_http_scopes_pass_through():
    async def scenario() -> None:
        seen = []

        async def inner(scope: Any, receive: Any, send: Any) -> None:
            seen.append(scope["type"])

        app = limiter(inner, limit=1, queue=0)
        await app({"type": "lifespan"}, None, None)
        assert seen == ["lifespan"]

    asyncio.run(scenario())


def test_settings_put_the_password_routes_in_the_login_lane():
    app = from_settings(lambda *a: None, settings)
    assert isinstance(app, ConcurrencyLimiter)
    for path in ("/api/users/token/", "/api/users/register/", "/api/users/password/reset/confirm/"):
        assert app.lane_for(path).name == "login"
    assert app.lane_for("/api/users/token/refresh/").name == "default"
    assert app.lane_for("/api/core/health/") is None
