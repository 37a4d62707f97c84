"""A local Gemini ``generateContent`` endpoint driven by a fixed script (``manage.py gemini_fake``).

``POST /v1*/models/{model}:generateContent`` answers in Gemini's JSON (``candidates[0].content
.parts`` with a ``functionCall`` or ``text``), so the real google-genai SDK parses it. The script
looks only at the request, like the model would:

- the last content carries a ``list_services`` result -> ``find_slots`` for the service whose
  name best matches the user's words, next Saturday (afternoon if they said "tarde");
- a ``find_slots`` result with slots -> ``book_appointment`` with the first slot (the app then
  asks the client "¿Confirmas?");
- any other tool result -> a short text;
- the user's last text mentions "masaje" -> ``list_services``;
- otherwise a greeting text.

``GET /__requests`` lists what it received (model, last user text, the answer given).
Requests without ``x-goog-api-key`` get Google's 403 error shape.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, timedelta
from typing import Any

from platform_core.fakes.http import FakeServer

GENERATE = re.compile(r"^/v1[^/]*/models/([^/:]+):generateContent$")
TODAY = re.compile(r"Hoy es \w+ (\d{4}-\d{2}-\d{2})")


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in folded if not unicodedata.combining(c))


def _user_text(contents: list[dict[str, Any]]) -> str:
    for content in reversed(contents):
        if content.get("role") == "user":
            texts = [p["text"] for p in content.get("parts") or [] if p.get("text")]
            if texts:
                return " ".join(texts)
    return ""


def _today(body: dict[str, Any]) -> date:
    instruction = body.get("systemInstruction") or {}
    text = " ".join(p.get("text", "") for p in instruction.get("parts") or [])
    match = TODAY.search(text)
    return date.fromisoformat(match.group(1)) if match else date.today()


def next_saturday(today: date) -> date:
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


def _last_call(contents: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for content in reversed(contents):
        for part in content.get("parts") or []:
            call = part.get("functionCall") or {}
            if call.get("name") == name:
                return dict(call.get("args") or {})
    return {}


def _best_service(services: list[dict[str, Any]], text: str) -> dict[str, Any]:
    words = set(re.findall(r"\w{4,}", _plain(text)))

    def score(service: dict[str, Any]) -> int:
        return len(words & set(re.findall(r"\w{4,}", _plain(service.get("name", "")))))

    return max(services, key=score)  # the first one on ties


def script(body: dict[str, Any]) -> dict[str, Any]:
    """The next part the "model" answers with: ``{"functionCall": ...}`` or ``{"text": ...}``."""
    contents = body.get("contents") or []
    text = _user_text(contents)
    last_parts = (contents[-1].get("parts") if contents else None) or []
    results = [p["functionResponse"] for p in last_parts if p.get("functionResponse")]
    if results:
        name = results[-1].get("name")
        result = results[-1].get("response") or {}
        if name == "list_services" and result.get("services"):
            service = _best_service(result["services"], text)
            day = next_saturday(_today(body)).isoformat()
            args = {"service_code": service["code"], "date_from": day, "date_to": day}
            if "tarde" in _plain(text):
                args["part_of_day"] = "afternoon"
            return {"functionCall": {"name": "find_slots", "args": args}}
        if name == "find_slots" and result.get("slots"):
            slot = result["slots"][0]
            args = {
                "service_code": _last_call(contents, "find_slots").get("service_code", ""),
                "start": slot["start"],
            }
            if slot.get("therapists"):
                args["therapist_id"] = slot["therapists"][0]["id"]
            return {"functionCall": {"name": "book_appointment", "args": args}}
        return {"text": "No encontré disponibilidad para eso. ¿Te sirve otro día?"}
    if "masaje" in _plain(text):
        return {"functionCall": {"name": "list_services", "args": {}}}
    return {"text": "¡Hola! Soy Zen, de StudioZens. ¿En qué te puedo ayudar?"}


class GeminiFake:
    def __init__(self) -> None:
        self.server: FakeServer | None = None

    def route(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any] | None:
        match = GENERATE.match(path)
        if method != "POST" or not match:
            return None
        if not headers.get("x-goog-api-key"):
            error = {"code": 403, "message": "API key missing.", "status": "PERMISSION_DENIED"}
            return 403, {"error": error}
        request = json.loads(body or b"{}")
        part = script(request)
        if self.server is not None:
            self.server.record(
                {
                    "model": match.group(1),
                    "user_text": _user_text(request.get("contents") or []),
                    "answer": part,
                }
            )
        return 200, {
            "candidates": [
                {"content": {"role": "model", "parts": [part]}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {
                "promptTokenCount": 10,
                "candidatesTokenCount": 5,
                "totalTokenCount": 15,
            },
            "modelVersion": match.group(1),
            "responseId": "fake-response",
        }


def build_server(host: str = "127.0.0.1", port: int = 0) -> FakeServer:
    fake = GeminiFake()
    server = FakeServer((host, port), fake.route)
    fake.server = server
    return server
