"""The production template, filled by the secrets script, passes `check --deploy` cleanly."""

from __future__ import annotations

import os
import subprocess
import sys

from cryptography.fernet import Fernet

from tests.ops.conftest import ROOT


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    return subprocess.run(
        [sys.executable, *args],
        env={**base, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_secrets_script_prints_three_distinct_usable_secrets() -> None:
    out = _run(["scripts/generate_production_secrets.py"], {}).stdout
    values = dict(line.split("=", 1) for line in out.strip().splitlines())
    assert list(values) == ["SECRET_KEY", "JWT_SIGNING_KEY", "FERNET_KEY"]
    assert values["SECRET_KEY"] != values["JWT_SIGNING_KEY"]
    assert len(values["SECRET_KEY"]) >= 50 and len(values["JWT_SIGNING_KEY"]) >= 50
    Fernet(values["FERNET_KEY"].encode())  # a real key, or this raises
    exported = _run(["scripts/generate_production_secrets.py", "--export"], {}).stdout
    assert all(line.startswith("export ") for line in exported.strip().splitlines())
    assert exported != out


def test_filled_template_passes_check_deploy_without_warnings(filled_env) -> None:
    assert filled_env["DJANGO_ENV"] == "production"
    assert not any("CAMBIAR" in v for v in filled_env.values())
    proc = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], filled_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "System check identified no issues" in proc.stdout


def test_unfilled_template_is_refused_by_production(inventory) -> None:
    raw = inventory.active_values(
        inventory.parse_template((ROOT / ".env.production.template").read_text())
    )
    proc = _run(["manage.py", "check", "--deploy"], raw)
    assert proc.returncode != 0
    assert "SECRET_KEY still holds a placeholder value" in proc.stderr
