"""Run a snippet in a fresh Python process with the app's environment (src/ on the path, the
test settings): for what only a new process shows (imports, start-up heap, open sockets)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def last_line_printed_by(script: str) -> str:
    """Run ``script`` with ``python -c`` from the project root; the last line it printed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DJANGO_ENV": "test"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]
