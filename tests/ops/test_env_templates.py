"""Settings and the env templates must agree in both directions (derived with ast)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from tests.ops.conftest import ROOT

TEMPLATES = [ROOT / ".env.production.template", ROOT / ".env.example"]


def test_settings_read_no_variable_with_a_computed_name(inventory) -> None:
    dynamic = [
        r.where
        for r in inventory.scan_env_reads(inventory.settings_files())
        if r.name == "<dynamic>"
    ]
    assert dynamic == [], f"use literal names so the templates can be checked: {dynamic}"


def test_scanner_sees_the_core_variables(inventory) -> None:
    names = set(inventory.settings_variables())
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "WOMPI_EVENT_SECRET", "FERNET_KEY"} <= names
    assert len(names) > 50


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_template_and_settings_agree(inventory, path: Path) -> None:
    drift = inventory.template_drift(
        inventory.parse_template(path.read_text()),
        inventory.settings_variables(),
        inventory.known_variables(),
    )
    assert drift == {"missing": [], "unknown": []}, (
        f"{path.name} drifted from src/studiozens/settings (run "
        f"`uv run python scripts/env_inventory.py`): {drift}"
    )


def test_removing_a_variable_from_the_template_is_detected(inventory) -> None:
    text = (ROOT / ".env.production.template").read_text()
    lines = [ln for ln in text.splitlines() if not ln.startswith("WOMPI_EVENT_SECRET=")]
    lines = [ln for ln in lines if not ln.startswith("# GEMINI_TIMEOUT=")]
    drift = inventory.template_drift(
        inventory.parse_template("\n".join(lines)),
        inventory.settings_variables(),
        inventory.known_variables(),
    )
    assert drift["missing"] == ["GEMINI_TIMEOUT", "WOMPI_EVENT_SECRET"]


def test_a_template_variable_nobody_reads_is_detected(inventory) -> None:
    text = (ROOT / ".env.production.template").read_text() + "\nWOMPI_EVENTS_SECRET=typo\n"
    drift = inventory.template_drift(
        inventory.parse_template(text),
        inventory.settings_variables(),
        inventory.known_variables(),
    )
    assert drift["unknown"] == ["WOMPI_EVENTS_SECRET"]


def test_a_new_setting_missing_from_the_templates_is_detected(inventory, tmp_path) -> None:
    settings_copy = tmp_path / "settings"
    shutil.copytree(inventory.SETTINGS_DIR, settings_copy)
    with (settings_copy / "__init__.py").open("a") as fh:
        fh.write('\nOPS_NEW_KNOB = env.int("OPS_NEW_KNOB", 3)\n')
    drift = inventory.template_drift(
        inventory.parse_template((ROOT / ".env.example").read_text()),
        inventory.settings_variables(settings_copy),
        inventory.known_variables(settings_copy),
    )
    assert drift == {"missing": ["OPS_NEW_KNOB"], "unknown": []}


def test_scanner_understands_every_read_form(inventory, tmp_path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        textwrap.dedent(
            """
            import os
            A = env.str("A_STR", "x")
            B = env.int("B_INT", 1)
            C = env.bool("C_BOOL", False)
            D = env.float("D_FLOAT", 0.5)
            E = env.list("E_LIST")
            F = os.environ.get("F_ENV")
            G = os.getenv("G_ENV", "")
            H = os.environ["H_ENV"]
            I = env.str(name)
            J = other.str("NOT_ENV")
            """
        )
    )
    reads = inventory.scan_env_reads([source])
    assert [r.name for r in reads] == [
        "A_STR", "B_INT", "C_BOOL", "D_FLOAT", "E_LIST", "F_ENV", "G_ENV", "H_ENV", "<dynamic>",
    ]  # fmt: skip
    assert reads[0].kind == "str" and reads[5].kind == "os.environ"
    assert reads[0].where.endswith("sample.py:3")


def test_parse_template_active_commented_and_quoted() -> None:
    from env_inventory import active_values, parse_template

    parsed = parse_template(
        "# prose with NAME=value inside is ignored\n"
        "A=1\n"
        "# B=2\n"
        '#C="quoted value"\n'
        "D='x'\n"
        "# A=ignored-commented-duplicate\n"
        "# D=\n"
        "lower=skip\n"
    )
    assert set(parsed) == {"A", "B", "C", "D"}
    assert parsed["B"].active is False and parsed["C"].value == "quoted value"
    assert active_values(parsed) == {"A": "1", "D": "x"}


def test_production_template_lists_required_variables_as_active(
    inventory, production_probe
) -> None:
    assert production_probe["base_error"] is None, production_probe["base_error"]
    template = inventory.parse_template((ROOT / ".env.production.template").read_text())
    inactive = [n for n in production_probe["required"] if not template[n].active]
    assert inactive == []
    assert template["DJANGO_ENV"].value == "production"


def test_inventory_report_is_clean(inventory, capsys) -> None:
    assert inventory.report() == 0, capsys.readouterr().out
    assert capsys.readouterr().out.strip().endswith("OK")
