"""Small pieces: formatting, splitting, keyword matching, tool guards, the chat loop."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from modules.assistant import formatting as fmt
from modules.assistant import keywords
from modules.assistant.toolbox import propose_text, run_tool, sanitize_args
from platform_core.plugins import AssistantTool, ToolContext

pytestmark = pytest.mark.django_db


def test_money_and_items() -> None:
    assert fmt.money(12_000_000) == "$ 120.000"
    assert fmt.money(100, "USD") == "$ 1 USD"
    assert fmt.money("x") == ""
    assert fmt.items_of({"other": [{"a": 1}, "junk"]}, "services") == [{"a": 1}]
    assert fmt.items_of({"n": 1}) == []


def test_describe_helpers() -> None:
    assert fmt.describe_service({"name": "Facial", "price": "$90.000"}) == "Facial — $90.000"
    assert fmt.describe_service({"code": "X"}) == "X"
    slot = {"start": "2030-03-09T14:00:00-05:00", "therapists": [{"id": "1", "name": "Ana"}]}
    assert fmt.describe_slot(slot) == "sáb 09/03 02:00 p. m. con Ana"
    assert fmt.describe_slot({"label": "sábado 2 p. m.", "therapist": {"name": "Luz"}}) == (
        "sábado 2 p. m. con Luz"
    )
    assert fmt.when("2030-03-09T09:30:00") == "sáb 09/03 09:30 a. m."
    assert fmt.when("no es fecha") == "no es fecha"
    appt = {"service": {"name": "Facial"}, "when": "sábado 9", "status": "confirmed"}
    assert fmt.describe_appointment(appt) == "Facial — sábado 9 (confirmada)"
    assert fmt.describe_product({"sku": "A1"}) == "A1"
    assert fmt.error_text({"ok": False, "error": "gone"}) == "gone"
    assert fmt.error_text({"ok": True}) is None


def test_split_message_boundaries() -> None:
    assert fmt.split_message("  hola  ") == ["hola"]
    assert fmt.split_message("x" * 3500) == ["x" * 1600, "x" * 1600, "x" * 300]
    parts = fmt.split_message("a" * 1000 + "\n\n" + "b" * 1000)
    assert parts == ["a" * 1000, "b" * 1000]


@pytest.mark.parametrize(
    "word",
    [
        "sí",
        "Si!",
        "CONFIRMO",
        "sí, confirmo",
        "dale",
        "siii dale porfa",
        "sisas",
        "Sí, gracias",
        "ok perfecto",
    ],
)
def test_confirmation_words(word: str) -> None:
    assert keywords.is_confirmation(word)


@pytest.mark.parametrize(
    "word", ["si pero mañana", "sí reserva para mi mamá", "tal vez", "si pero mejor a las 5"]
)
def test_not_confirmations(word: str) -> None:
    assert not keywords.is_confirmation(word)
    assert not keywords.is_refusal(word)


@pytest.mark.parametrize("word", ["no", "nooo mejor no", "No, gracias", "nel"])
def test_refusals(word: str) -> None:
    assert keywords.is_refusal(word) and not keywords.is_confirmation(word)


def _tool(**kw: Any) -> AssistantTool:
    return AssistantTool(
        "t",
        "d",
        {"type": "object", "properties": {"a": {}, "user_id": {}}},
        lambda ctx, **a: 7,
        **kw,
    )


def test_tool_guards(user: Any) -> None:
    tool = _tool()
    assert sanitize_args(tool, {"a": 1, "user_id": 2, "zzz": 3}) == {"a": 1}
    assert "cuenta" in run_tool(tool, ToolContext(user=None, conversation_id="c"), {})["error"]
    assert run_tool(tool, ToolContext(user=user, conversation_id="c"), {}) == {"result": 7}
    gated = _tool(needs_confirmation=True)
    assert (
        "confirmación" in run_tool(gated, ToolContext(user=user, conversation_id="c"), {})["error"]
    )
    assert propose_text(gated, ToolContext(user=user, conversation_id="c"), {}) == (
        "Voy a ejecutar: t."
    )


def test_bot_chat_interactive_loop(
    no_gemini: None, user: Any, monkeypatch: Any, capsys: Any
) -> None:
    lines = iter(["", "1"])

    def fake_input(prompt: str) -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("builtins.input", fake_input)
    call_command("bot_chat", phone=user.phone_number)
    assert "Masaje relajante" in capsys.readouterr().out
