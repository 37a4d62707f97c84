"""A local Twilio: Messages API and Verify v2, in Twilio's JSON (``manage.py twilio_fake``).

- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` -> 201 Message (``SM...``, queued)
- ``POST /v2/Services/{ServiceSid}/Verifications`` -> 201 Verification (pending); the fake
  generates a 6-digit code and records it (Twilio would text it)
- ``POST /v2/Services/{ServiceSid}/VerificationCheck`` -> 200 approved/pending, or 404
  (code 20404) when there is no pending verification, as Twilio does
- ``GET /__requests`` -> what it received: ``[{"kind", "path", "form", "sid", "code"?}]``

Requests need HTTP Basic auth (the SDK always sends it), otherwise 401 (code 20003).
"""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from platform_core import provider_guard
from platform_core.fakes.http import FakeServer, form

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")
VERIFICATIONS = re.compile(r"^/v2/Services/(VA\w+)/(Verifications|VerificationCheck)$")


def _sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def _error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class TwilioFake:
    def __init__(self) -> None:
        self.pending: dict[tuple[str, str], dict[str, Any]] = {}  # (service, to) -> verification
        self.server: FakeServer | None = None

    def route(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any] | None:
        if method != "POST":
            return None
        provider_guard.check("Twilio (fake)", path)
        if not headers.get("authorization", "").startswith("Basic "):
            return _error(401, 20003, "Authenticate")
        data = form(body)
        if match := MESSAGES.match(path):
            return self._message(match.group(1), path, data)
        if match := VERIFICATIONS.match(path):
            service, kind = match.groups()
            if kind == "Verifications":
                return self._verification(service, path, data)
            return self._check(service, path, data)
        return None

    def _record(self, entry: dict[str, Any]) -> None:
        if self.server is not None:
            self.server.record(entry)

    def _message(self, account: str, path: str, data: dict[str, str]) -> tuple[int, Any]:
        if not data.get("To") or not (data.get("Body") or data.get("ContentSid")):
            return _error(400, 21602, "Message body is required.")
        sid, now = _sid("SM"), format_datetime(datetime.now(UTC))
        self._record({"kind": "message", "path": path, "form": data, "sid": sid})
        return 201, {
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": data.get("Body", ""),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": data.get("From") or None,
            "messaging_service_sid": data.get("MessagingServiceSid") or None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json"
            },
            "to": data["To"],
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
        }

    def _verification_json(self, v: dict[str, Any], status: str) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        return {
            "sid": v["sid"],
            "service_sid": v["service"],
            "account_sid": "AC" + "0" * 32,
            "to": v["to"],
            "channel": v["channel"],
            "status": status,
            "valid": status == "approved",
            "lookup": {},
            "amount": None,
            "payee": None,
            "send_code_attempts": [],
            "date_created": now,
            "date_updated": now,
            "sna": None,
            "url": f"https://verify.twilio.com/v2/Services/{v['service']}/Verifications/{v['sid']}",
        }

    def _verification(self, service: str, path: str, data: dict[str, str]) -> tuple[int, Any]:
        to, channel = data.get("To", ""), data.get("Channel", "")
        if not to.startswith("+") or channel not in {"sms", "whatsapp", "call", "email"}:
            return _error(400, 60200, "Invalid parameter")
        code = f"{secrets.randbelow(1_000_000):06d}"
        v = {"sid": _sid("VE"), "service": service, "to": to, "channel": channel, "code": code}
        self.pending[(service, to)] = v
        self._record(
            {"kind": "verification", "path": path, "form": data, "sid": v["sid"], "code": code}
        )
        return 201, self._verification_json(v, "pending")

    def _check(self, service: str, path: str, data: dict[str, str]) -> tuple[int, Any]:
        to = data.get("To", "")
        v = self.pending.get((service, to))
        self._record({"kind": "verification_check", "path": path, "form": data})
        if v is None:
            return _error(404, 20404, f"The requested resource {path} was not found")
        if data.get("Code") != v["code"]:
            return 200, self._verification_json(v, "pending")
        del self.pending[(service, to)]  # approved verifications are gone, as in Twilio
        return 200, self._verification_json(v, "approved")


def build_server(host: str = "127.0.0.1", port: int = 0) -> FakeServer:
    fake = TwilioFake()
    server = FakeServer((host, port), fake.route)
    fake.server = server
    return server
