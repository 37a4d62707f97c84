"""The local Gemini fake, driven through the real google-genai SDK via GEMINI_BASE_URL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from io import StringIO
from typing import Any

import httpx
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from modules.assistant import gemini
from modules.assistant.fakes.gemini import build_server, next_saturday, script
from platform_core.fakes.http import FakeServer
from platform_core.plugins import ToolContext


@pytest.fixture
def gemini_fake(settings: Any) -> Iterator[FakeServer]:
    server = build_server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.GEMINI_API_KEY = "fake-key"
    settings.GEMINI_BASE_URL = server.url
    settings.ASSISTANT_GEMINI_ATTEMPTS = 1
    gemini._client.cache_clear()
    yield server
    server.shutdown()
    server.server_close()
    gemini._client.cache_clear()


def test_base_url_is_passed_to_the_sdk() -> None:
    client = gemini._client("k", 5, "http://127.0.0.1:9/")
    assert client._api_client._http_options.base_url.startswith("http://127.0.0.1:9")
    default = gemini._client("k", 5)
    assert "googleapis.com" in default._api_client._http_options.base_url
    gemini._client.cache_clear()


@pytest.mark.django_db
def test_tool_loop_through_the_real_sdk(gemini_fake: FakeServer, tools: Any, user: Any) -> None:
    history = gemini.build_history([("user", "¿tienen masaje relajante el sábado en la tarde?")])
    from tests.modules.assistant import fake_tools

    registry = {tool.name: tool for tool in fake_tools.get_tools()}
    reply = gemini.respond(
        history=history,
        tools=registry,
        ctx=ToolContext(user=user, conversation_id="c1"),
        instruction=gemini.system_instruction(now=timezone.now(), registered=True),
    )
    assert reply.tools_used == ["list_services", "find_slots", "book_appointment"]
    assert reply.action is not None
    assert reply.action.args["service_code"] == "masaje-relajante"
    assert reply.action.args["start"] == fake_tools.SLOTS[0]["start"]
    received = httpx.get(f"{gemini_fake.url}/__requests").json()
    assert [r["answer"].get("functionCall", {}).get("name") for r in received] == [
        "list_services",
        "find_slots",
        "book_appointment",
    ]


@pytest.mark.django_db
def test_plain_text_answer(gemini_fake: FakeServer) -> None:
    reply = gemini.respond(
        history=gemini.build_history([("user", "hola")]),
        tools={},
        ctx=ToolContext(user=None, conversation_id="c1"),
        instruction="Hoy es sábado 2026-11-28 y son las 10:00",
    )
    assert "Hola" in reply.text


def test_missing_key_and_unknown_paths(gemini_fake: FakeServer) -> None:
    url = f"{gemini_fake.url}/v1beta/models/m:generateContent"
    denied = httpx.post(url, json={})
    assert denied.status_code == 403
    assert denied.json()["error"]["status"] == "PERMISSION_DENIED"
    assert httpx.post(f"{gemini_fake.url}/nope", json={}).status_code == 404
    bad = httpx.post(url, content=b"{not json", headers={"x-goog-api-key": "k"})
    assert bad.status_code == 400


def test_script_branches() -> None:
    services = [{"code": "A", "name": "Facial"}, {"code": "B", "name": "Masaje relajante"}]
    user = {"role": "user", "parts": [{"text": "¿masaje relajante el sábado?"}]}
    instruction = {"parts": [{"text": "Hoy es sábado 2026-11-28 y son las 10:00"}]}

    def tool(name: str, response: dict[str, Any]) -> dict[str, Any]:
        return {
            "role": "tool",
            "parts": [{"functionResponse": {"name": name, "response": response}}],
        }

    body = {
        "contents": [user, tool("list_services", {"services": services})],
        "systemInstruction": instruction,
    }
    call = script(body)["functionCall"]
    assert call["args"] == {"service_code": "B", "date_from": "2026-12-05", "date_to": "2026-12-05"}
    assert "text" in script({"contents": [user, tool("find_slots", {"slots": []})]})
    assert "text" in script({"contents": [user, tool("my_appointments", {})]})
    assert script({"contents": [user]}) == {"functionCall": {"name": "list_services", "args": {}}}
    assert "text" in script({"contents": []})
    assert next_saturday(date(2026, 11, 27)) == date(2026, 11, 28)
    assert next_saturday(date(2026, 11, 28)) == date(2026, 12, 5)
    assert json.dumps(script(body))  # plain JSON


def test_command_refuses_production(settings: Any) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("gemini_fake", "--port", "0", stdout=StringIO())


def test_command_serves(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[FakeServer] = []
    monkeypatch.setattr("platform_core.fakes.http.serve", served.append)
    out = StringIO()
    call_command("gemini_fake", "--port", "0", stdout=out)
    assert "GEMINI_BASE_URL=http://127.0.0.1:" in out.getvalue()
    served[0].server_close()
