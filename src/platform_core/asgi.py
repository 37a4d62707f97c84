"""Django's ASGI handler, serving each request's synchronous work in one hop to a thread of a
fixed pool, with the one error shape for requests it refuses before any middleware runs (an
oversize body, an undecodable query string): Django answers those with plain text or HTML.

Why not Django's own ASGI path: every middleware and view of the project is synchronous.
Django's ``ASGIHandler`` starts a new thread for every request (``ThreadSensitiveContext``)
and crosses between the event loop and that thread several times per request: the
``request_started`` signal, the (synchronous) middleware chain, whose innermost handler is
async again (URL resolution and view dispatch go back to the loop), the view, and
``response.close()``. Each crossing costs a future, a context copy and two thread switches;
measured on a loopback server, the liveness probe cost ~2.7 ms of worker CPU against ~1 ms
for the same request through the test client (issue 21).

Here the event loop reads the body, then one hop to a pool thread runs what a WSGI server
would: ``request_started``, the request, the sync middleware chain and view, the body of a
streaming response (Django's ASGI path also reads a synchronous iterator into a list), and
``response.close()`` (``request_finished``: the database connection goes back to the pool
before the bytes go out). The loop then sends the answer. The thread pool is sized by
``WEB_THREADS`` (by default the concurrency limiter's lanes plus room for the liveness probe,
which never queues): threads are reused, so a thread's database connection settings
(``CONN_MAX_AGE``) behave as under a threaded WSGI server.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import HttpResponse, HttpResponseBase
from django.urls import set_script_prefix

from platform_core.api_errors import payload_too_large, unreadable_body


class StudioZensASGIHandler(ASGIHandler):
    def __init__(self, *, threads: int = 8) -> None:
        # Not ASGIHandler.__init__: it builds the async middleware chain.
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.threads = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="http")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(
                "Django can only handle ASGI/HTTP connections, not {}.".format(scope["type"])
            )
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()  # this request's context vars stay its own
        response, body = await loop.run_in_executor(
            self.threads, context.run, self.serve, scope, body_file
        )
        if body is None:  # an asynchronous streaming response: Django's own path
            try:
                await self.send_response(response, send)
            finally:
                await loop.run_in_executor(self.threads, response.close)
            return
        await self.send_body(response, body, send)

    def serve(
        self, scope: dict[str, Any], body_file: Any
    ) -> tuple[HttpResponseBase, list[bytes] | None]:
        """In a pool thread: the whole synchronous request, closed unless its body is an
        asynchronous iterator (then the caller streams it and closes it)."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            error.close()
            return error, [error.content]
        response: HttpResponseBase | None = None
        body: list[bytes] | None = []
        try:
            response = self.get_response(request)
            response._handler_class = self.__class__  # type: ignore[attr-defined]
            if not response.streaming:
                body = [response.content]
            elif not response.is_async:
                body = list(response.streaming_content)
            else:
                body = None  # the caller streams it, then closes it
            return response, body
        finally:
            if response is None or body is not None:
                if response is not None:
                    response.close()
                body_file.close()

    def create_request(self, scope: dict[str, Any], body_file: Any) -> tuple[Any, Any]:
        request, error = super().create_request(scope, body_file)
        if error is not None and str(scope.get("path", "")).startswith("/api/"):
            return None, _shaped(error)
        return request, error

    async def send_body(self, response: HttpResponseBase, body: Iterable[bytes], send: Any) -> None:
        """The status, headers (cookies included) and body, as Django's send_response."""
        headers = []
        for header, value in response.items():
            headers.append(
                (
                    header.encode("ascii") if isinstance(header, str) else bytes(header),
                    value.encode("latin1") if isinstance(value, str) else bytes(value),
                )
            )
        for cookie in response.cookies.values():
            headers.append((b"Set-Cookie", cookie.output(header="").encode("ascii").strip()))
        chunks = [chunk for part in body for chunk, _last in self.chunk_bytes(part) if chunk]
        try:
            await send(
                {"type": "http.response.start", "status": response.status_code, "headers": headers}
            )
            if not chunks:
                await send({"type": "http.response.body"})
            for number, chunk in enumerate(chunks, start=1):
                await send(
                    {
                        "type": "http.response.body",
                        "body": chunk,
                        "more_body": number < len(chunks),
                    }
                )
        except asyncio.CancelledError:
            pass  # the client left while we were sending (as Django's handler)


def _shaped(error: HttpResponse) -> HttpResponse:
    if error.status_code == 413:
        return payload_too_large()
    return unreadable_body()
