"""The demo path (SQLite, ``BEGIN IMMEDIATE``) keeps the no-double-booking guarantee.

Runs ``sqlite_race.py`` in a fresh process against a file database in ``tmp_path`` (see
its docstring for why not in this process). Independent of the suite's own database,
so it runs on PostgreSQL runs too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_ten_threads_one_slot_on_sqlite(tmp_path: Path) -> None:
    env: dict[str, Any] = {
        **os.environ,
        "DJANGO_ENV": "test",
        "SQLITE_PATH": str(tmp_path / "race.sqlite3"),
    }
    for name in ("DATABASE_URL", "DB_NAME", "REDIS_URL"):
        env.pop(name, None)
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("sqlite_race.py"))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["database"] == env["SQLITE_PATH"]
    results = sorted(map(tuple, summary["results"]), reverse=True)
    assert results == [(409, "slot_taken")] * 9 + [(201, "")], run.stderr[-3000:]
    assert summary["appointments"] == 1 and summary["active_for_slot"] == 1
