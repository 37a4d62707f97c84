"""Ops tests: templates, blueprint and scripts are checked against the settings' source."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import env_inventory  # noqa: E402


@pytest.fixture(scope="session")
def inventory() -> Any:
    return env_inventory


@pytest.fixture(scope="session")
def filled_env() -> dict[str, str]:
    """The production template filled as an operator would (secrets script + tokens)."""
    return env_inventory.filled_production_env()


@pytest.fixture(scope="session")
def production_probe(filled_env: dict[str, str]) -> dict[str, Any]:
    """Which variables production cannot start without (one subprocess per session)."""
    return env_inventory.probe(filled_env, env_inventory.settings_variables())
