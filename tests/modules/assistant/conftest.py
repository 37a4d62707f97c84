"""Fixtures for the assistant: a scripted Gemini behind the real SDK, signed Twilio posts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from django.test import Client

from modules.assistant import gemini, webhook
from modules.assistant.models import Message
from platform_core import provider_guard
from tests.modules.assistant import fake_tools

WEBHOOK = "/api/assistant/webhooks/whatsapp/"


class FakeGemini:
    """Answers generateContent with Gemini's wire JSON, one scripted step per request."""

    def __init__(self) -> None:
        self.steps: list[Any] = []
        self.requests: list[dict[str, Any]] = []
        self.urls: list[str] = []

    def script(self, *steps: Any) -> None:
        self.steps.extend(steps)

    def handler(self, request: httpx.Request) -> httpx.Response:
        # Stands in for Gemini: a call while the conversation's row lock is held fails.
        provider_guard.check("Gemini", request.url.path)
        self.urls.append(str(request.url))
        self.requests.append(json.loads(request.content))
        if not self.steps:
            return httpx.Response(200, json=text("(sin guion)"))
        step = self.steps.pop(0)
        if isinstance(step, type) and issubclass(step, Exception):
            raise step("scripted failure", request=request)
        if callable(step):  # computed from what the model has seen so far
            return httpx.Response(200, json=step(self.requests[-1]))
        if isinstance(step, tuple):
            return httpx.Response(step[0], json=step[1])
        return httpx.Response(200, json=step)

    def function_responses(self, index: int = -1) -> list[dict[str, Any]]:
        contents = self.requests[index]["contents"]
        return [
            part["functionResponse"]
            for content in contents
            for part in content["parts"]
            if "functionResponse" in part
        ]


def _candidate(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "candidates": [
            {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
        ],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15},
        "modelVersion": "gemini-3.5-flash",
    }


def text(value: str) -> dict[str, Any]:
    return _candidate([{"text": value}])


def call(name: str, **args: Any) -> dict[str, Any]:
    return _candidate([{"functionCall": {"name": name, "args": args}}])


QUOTA = (
    429,
    {
        "error": {
            "code": 429,
            "message": "Resource has been exhausted (e.g. check quota).",
            "status": "RESOURCE_EXHAUSTED",
        }
    },
)
UNAVAILABLE = (503, {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}})
TIMEOUT = httpx.ReadTimeout


@pytest.fixture
def fake_gemini(settings: Any) -> Iterator[FakeGemini]:
    settings.GEMINI_API_KEY = "test-gemini-key"
    settings.GEMINI_MODEL = "gemini-3.5-flash"
    settings.ASSISTANT_GEMINI_ATTEMPTS = 1  # no backoff sleeps; one test turns retries on
    fake = FakeGemini()
    gemini.inject_httpx_client(httpx.Client(transport=httpx.MockTransport(fake.handler)))
    yield fake
    gemini.inject_httpx_client(None)


@pytest.fixture
def no_gemini(settings: Any) -> None:
    settings.GEMINI_API_KEY = ""


@pytest.fixture(autouse=True)
def tools(monkeypatch: pytest.MonkeyPatch) -> Iterator[fake_tools.Diary]:
    fake_tools.DIARY.appointments.clear()
    fake_tools.DIARY.calls.clear()
    registry = {tool.name: tool for tool in fake_tools.get_tools()}
    monkeypatch.setattr("modules.assistant.toolbox.assistant_tools", lambda: registry)
    yield fake_tools.DIARY


@pytest.fixture(autouse=True)
def _sent(db: Any) -> Iterator[None]:
    from platform_core.notifications import clear_sent_messages
    from platform_core.ratelimit import reset_local

    clear_sent_messages()
    reset_local()  # without Redis the limiter keeps in-process windows between tests
    yield


def twilio_params(phone: str, body: str, *, sid: str, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": "AC" + "1" * 32,
        "From": f"whatsapp:{phone}",
        "To": "whatsapp:+14155238886",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "ProfileName": "Cliente",
        "WaId": phone.lstrip("+"),
        **extra,
    }


class WhatsApp:
    """Plays Twilio: signs and posts inbound messages; reads what the assistant answered."""

    def __init__(self, capture: Callable[..., Any]) -> None:
        self.client = Client()
        self.capture = capture
        self.counter = 0

    def post(self, params: dict[str, str], **headers: Any) -> Any:
        with self.capture(execute=True):
            return self.client.post(WEBHOOK, params, **headers)

    def send(self, phone: str, body: str, *, sid: str | None = None, **extra: str) -> list[str]:
        """Send a signed message; returns the bodies of the replies it produced."""
        self.counter += 1
        params = twilio_params(phone, body, sid=sid or f"SM{self.counter:032d}", **extra)
        before = set(
            Message.objects.filter(direction=Message.Direction.OUTBOUND).values_list(
                "pk", flat=True
            )
        )
        signature = webhook.sign(f"http://testserver{WEBHOOK}", params)
        response = self.post(params, HTTP_X_TWILIO_SIGNATURE=signature)
        assert response.status_code == 200, response.content
        return [
            m.body
            for m in Message.objects.filter(direction=Message.Direction.OUTBOUND)
            .exclude(pk__in=before)
            .order_by("created_at", "id")
        ]


@pytest.fixture
def whatsapp(settings: Any, django_capture_on_commit_callbacks: Any) -> WhatsApp:
    settings.SITE_URL = "http://testserver"
    return WhatsApp(django_capture_on_commit_callbacks)
