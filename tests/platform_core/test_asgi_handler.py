"""The ASGI handler (platform_core.asgi): each request's synchronous work runs in one hop to a
thread of a fixed pool (request_started, the sync middleware chain and view, close and
request_finished), and the loop sends the answer Django would have sent."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import signals
from django.http import StreamingHttpResponse
from django.urls import path

from platform_core.asgi import StudioZensASGIHandler


def _stream(request: Any) -> StreamingHttpResponse:
    response = StreamingHttpResponse(iter([b"uno,", b"dos,", b"tres"]), content_type="text/csv")
    response["X-Stream"] = "yes"
    return response


urlpatterns = [path("stream/", _stream)]


async def _call(
    app: Any, path: str, *, query: bytes = b"", headers: list | None = None
) -> dict[str, Any]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query,
        "headers": headers or [],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)
    start = sent[0]
    assert start["type"] == "http.response.start"
    assert all(m["type"] == "http.response.body" for m in sent[1:])
    assert not sent[-1].get("more_body", False)
    return {
        "status": start["status"],
        "headers": {k.decode().lower(): v.decode() for k, v in start["headers"]},
        "body": b"".join(m.get("body", b"") for m in sent[1:]),
        "messages": len(sent),
    }


@pytest.fixture
def signals_seen() -> Iterator[list[tuple[str, int]]]:
    seen: list[tuple[str, int]] = []

    def started(**kwargs: Any) -> None:
        seen.append(("started", threading.get_ident()))

    def finished(**kwargs: Any) -> None:
        seen.append(("finished", threading.get_ident()))

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    yield seen
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


def test_the_middleware_chain_is_synchronous() -> None:
    handler = StudioZensASGIHandler(threads=2)
    assert not asyncio.iscoroutinefunction(handler._middleware_chain)


def test_a_request_runs_in_one_pool_thread_and_closes_before_sending(signals_seen) -> None:
    handler = StudioZensASGIHandler(threads=2)
    loop_thread = threading.get_ident()

    async def main() -> list[dict[str, Any]]:
        return [await _call(handler, "/api/core/health/") for _ in range(12)]

    answers = asyncio.run(main())
    assert {a["status"] for a in answers} == {200}
    answer = answers[0]
    assert json.loads(answer["body"])["status"] == "ok"
    assert answer["headers"]["content-type"].startswith("application/json")
    assert answer["headers"]["x-request-id"]  # the middleware chain ran
    assert answer["headers"]["x-content-type-options"] == "nosniff"
    assert answer["messages"] == 2  # start + the whole body, as Django sends a small body
    # Each request: started and finished once, in the same thread, never the loop's.
    assert [name for name, _ in signals_seen] == ["started", "finished"] * 12
    for i in range(0, len(signals_seen), 2):
        assert signals_seen[i][1] == signals_seen[i + 1][1] != loop_thread
    assert len({ident for _, ident in signals_seen}) <= 2  # the pool's threads, reused


def test_errors_keep_the_error_shape() -> None:
    handler = StudioZensASGIHandler(threads=1)
    missing = asyncio.run(_call(handler, "/api/no/such/thing/"))
    assert missing["status"] == 404
    assert json.loads(missing["body"])["error"]["code"] == "not_found"
    unreadable = asyncio.run(_call(handler, "/api/booking/services/", query=b"q=\xff\xfe"))
    assert unreadable["status"] == 400
    assert json.loads(unreadable["body"])["error"]["code"] == "bad_request"


def test_a_streaming_response_is_sent_whole(settings, signals_seen) -> None:
    settings.ROOT_URLCONF = __name__
    handler = StudioZensASGIHandler(threads=1)
    answer = asyncio.run(_call(handler, "/stream/"))
    assert answer["status"] == 200
    assert answer["body"] == b"uno,dos,tres"
    assert answer["headers"]["x-stream"] == "yes"
    assert [name for name, _ in signals_seen] == ["started", "finished"]


def test_the_served_application_sizes_its_pool_from_the_settings(settings) -> None:
    from studiozens.asgi import application as served

    handler = getattr(served, "app", served)
    assert isinstance(handler, StudioZensASGIHandler)
    assert handler.threads._max_workers == settings.WEB_THREADS
    assert settings.WEB_THREADS > settings.WEB_MAX_CONCURRENCY + settings.WEB_LOGIN_LANE_CONCURRENCY
