"""Shared plumbing for the local fakes: a threaded JSON HTTP server with a request log."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# (method, path, headers, body bytes) -> (status, JSON payload)
Route = Callable[[str, str, dict[str, str], bytes], "tuple[int, Any] | None"]


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], route: Route) -> None:
        super().__init__(address, _Handler)
        self.route = route
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.requests.append(entry)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the request log is at /__requests

    def _send(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        if method == "GET" and path == "/__requests":
            with self.server.lock:
                self._send(200, list(self.server.requests))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            result = self.server.route(method, path, headers, body)
        except (ValueError, KeyError, TypeError) as exc:
            result = (400, {"error": f"bad request: {exc}"})
        if result is None:
            result = (404, {"code": 20404, "message": f"{path} not found", "status": 404})
        self._send(*result)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")


def form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


def serve(server: FakeServer) -> None:  # pragma: no cover - blocking, run by the commands
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
