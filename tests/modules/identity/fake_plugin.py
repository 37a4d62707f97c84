"""A throw-away plugin standing in for another module's personal data (tests only)."""

from __future__ import annotations

from typing import Any

from platform_core.plugins import ModulePlugin

# user pk -> notes a "loyalty" module would keep about that person
STORE: dict[int, list[dict[str, str]]] = {}


def export_user(user: Any) -> dict[str, Any]:
    return {"notes": [dict(n) for n in STORE.get(user.pk, [])]}


def erase_user(user: Any) -> None:
    STORE[user.pk] = [{"text": "[borrado]", "phone": ""} for _ in STORE.get(user.pk, [])]


def broken_eraser(user: Any) -> None:
    raise RuntimeError("storage offline")


plugin = ModulePlugin(
    name="loyalty_test",
    app="tests.modules.identity",
    label="loyalty_test",
    exporter="tests.modules.identity.fake_plugin:export_user",
    eraser="tests.modules.identity.fake_plugin:erase_user",
)

broken = ModulePlugin(
    name="broken_test",
    app="tests.modules.identity",
    label="broken_test",
    eraser="tests.modules.identity.fake_plugin:broken_eraser",
)
