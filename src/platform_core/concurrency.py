"""Bounded concurrency per web worker: an ASGI middleware in front of Django.

Under ASGI, Django runs every request's sync code in a thread of its own, so a worker
takes as many requests at once as clients send. Past the point where the CPU and the
database pool (DB_POOL_MAX_SIZE connections per worker) are busy, more concurrent requests
only add threads that wait for the GIL and for a connection (up to DB_POOL_TIMEOUT, then a
500): throughput collapses instead of levelling off (docs/performance.md, "Overload").

This middleware lets ``limit`` requests run at once per worker; the next ones wait, in
arrival order and without a thread, in a queue of at most ``queue`` requests for at most
``timeout`` seconds; beyond that the answer is an immediate 503 with ``Retry-After`` in the
one error shape. Latency rises under overload, throughput holds.

Lanes give some paths their own slots and queue, so they cannot take the general ones: the
routes that hash a password (plugins' ``hashing_routes``) run in the "login" lane, so a
burst of logins waits for its own slots while catalog reads and bookings keep theirs.
Paths in ``exempt`` (liveness) never wait.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class Lane:
    """``limit`` requests at once; at most ``queue`` waiting, each at most ``timeout`` s."""

    name: str
    limit: int
    queue: int
    timeout: float
    paths: frozenset[str] = frozenset()
    waiting: int = 0
    running: int = 0
    rejected: int = 0
    _slots: asyncio.Semaphore | None = field(default=None, repr=False)

    @property
    def slots(self) -> asyncio.Semaphore:
        # Created on first use, inside the worker's event loop (after gunicorn's fork).
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        return self._slots

    async def acquire(self) -> bool:
        if self.running < self.limit and not self.waiting:
            await self.slots.acquire()  # free slot, nobody queued: does not wait
            self.running += 1
            return True
        if self.waiting >= self.queue:
            self.rejected += 1
            return False
        self.waiting += 1
        try:
            await asyncio.wait_for(self.slots.acquire(), self.timeout)
        except TimeoutError:
            self.rejected += 1
            return False
        finally:
            self.waiting -= 1
        self.running += 1
        return True

    def release(self) -> None:
        self.running -= 1
        self.slots.release()


class ConcurrencyLimiter:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        queue: int,
        timeout: float,
        lanes: Iterable[Lane] = (),
        exempt: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.default = Lane("default", limit=limit, queue=queue, timeout=timeout)
        self.lanes: Mapping[str, Lane] = {path: lane for lane in lanes for path in lane.paths}
        self.exempt = frozenset(exempt)

    def lane_for(self, path: str) -> Lane | None:
        if path in self.exempt:
            return None
        return self.lanes.get(path, self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lane = self.lane_for(scope.get("path", ""))
        if lane is None:
            await self.app(scope, receive, send)
            return
        if not await lane.acquire():
            await _overloaded(send, retry_after=max(1, math.ceil(lane.timeout / 2)))
            return
        try:
            await self.app(scope, receive, send)
        finally:
            lane.release()


async def _overloaded(send: Send, *, retry_after: int) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "overloaded",
                "message": _(
                    "Hay mucha demanda en este momento. Intenta de nuevo en unos segundos."
                ),
                "details": {"retry_after": retry_after},
            }
        },
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def from_settings(app: ASGIApp, settings: Any) -> ASGIApp:
    """The limiter as configured (WEB_MAX_CONCURRENCY <= 0 turns it off)."""
    if int(settings.WEB_MAX_CONCURRENCY) <= 0:
        return app
    lanes = []
    login_paths: Mapping[str, Any] | Iterable[str] = settings.WEB_LOGIN_LANE_PATHS
    if login_paths:
        lanes.append(
            Lane(
                "login",
                limit=int(settings.WEB_LOGIN_LANE_CONCURRENCY),
                queue=int(settings.WEB_LOGIN_LANE_QUEUE),
                timeout=float(settings.WEB_QUEUE_TIMEOUT),
                paths=frozenset(login_paths),
            )
        )
    return ConcurrencyLimiter(
        app,
        limit=int(settings.WEB_MAX_CONCURRENCY),
        queue=int(settings.WEB_QUEUE_LIMIT),
        timeout=float(settings.WEB_QUEUE_TIMEOUT),
        lanes=lanes,
        exempt=settings.WEB_UNLIMITED_PATHS,
    )
