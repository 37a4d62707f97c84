"""Test doubles shared by every module's tests (no internet).

``ScriptedTwilioHttpClient`` plugs into the REAL Twilio SDK client: it records each
request and answers with scripted responses in Twilio's real JSON shape, so the SDK's
own parsing and error handling (``TwilioRestException``) run in tests.

    with use_scripted_twilio(twilio_error(500, 20500), twilio_message()) as twilio:
        ...  # notifications go through the real adapter
    assert len(twilio.requests) == 2
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from twilio.http import HttpClient
from twilio.http.response import Response

from platform_core.notifications import adapters

ACCOUNT_SID = "AC" + "0" * 32
_DATE = "Sat, 28 Nov 2026 09:00:00 +0000"

Scripted = Response | Exception | Callable[[dict[str, Any]], Response]


def twilio_message(
    *, sid: str | None = None, status: str = "queued", to: str = "", from_: str = "", body: str = ""
) -> Response:
    """A 201 answer of ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``."""
    sid = sid or f"SM{uuid.uuid4().hex}"
    payload = {
        "account_sid": ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": body,
        "date_created": _DATE,
        "date_sent": None,
        "date_updated": _DATE,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": from_,
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": status,
        "subresource_uris": {
            "media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"
        },
        "to": to,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
    }
    return Response(201, json.dumps(payload), {"Content-Type": "application/json"})


def twilio_error(status: int, code: int, message: str = "") -> Response:
    """An error answer in Twilio's shape (``code``, ``message``, ``more_info``, ``status``)."""
    payload = {
        "code": code,
        "message": message or f"Error {code}",
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Response(status, json.dumps(payload), {"Content-Type": "application/json"})


class ScriptedTwilioHttpClient(HttpClient):
    """Answers requests from a script; when the script is exhausted, every message
    create succeeds. Thread-safe; ``delay`` simulates a slow provider."""

    def __init__(self, *script: Scripted, delay: float = 0.0) -> None:
        super().__init__(logger=None, is_async=False, timeout=None)  # type: ignore[arg-type]
        self.script: list[Scripted] = list(script)
        self.requests: list[dict[str, Any]] = []
        self.delay = delay
        self._lock = threading.Lock()

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        call = {"method": method, "url": url, "data": dict(data or {}), "timeout": timeout}
        with self._lock:
            self.requests.append(call)
            item = self.script.pop(0) if self.script else None
        if self.delay:
            time.sleep(self.delay)
        if isinstance(item, Exception):
            raise item
        if callable(item):
            response = item(call)
        elif item is None:
            response = twilio_message(
                to=str(call["data"].get("To", "")), body=str(call["data"].get("Body", ""))
            )
        else:
            response = item
        call["status"] = response.status_code
        call["ok"] = response.status_code < 400
        return response

    @property
    def created(self) -> list[dict[str, Any]]:
        """Requests the script answered with success (messages Twilio would send)."""
        return [r for r in self.requests if r.get("ok")]


@contextmanager
def use_scripted_twilio(
    *script: Scripted, delay: float = 0.0
) -> Iterator[ScriptedTwilioHttpClient]:
    """Route the Twilio adapter's SDK client through a scripted HTTP client."""
    client = ScriptedTwilioHttpClient(*script, delay=delay)
    adapters.set_twilio_http_client_factory(lambda: client)
    try:
        yield client
    finally:
        adapters.set_twilio_http_client_factory(None)
