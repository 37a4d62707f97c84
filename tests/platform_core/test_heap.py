"""The start-up heap is frozen once per process (platform_core.heap, docs/performance.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _freeze_count_after(statement: str) -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DJANGO_ENV": "test"}
    script = f"import gc\n{statement}\nprint(gc.get_freeze_count())"
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip().splitlines()[-1])


def test_the_asgi_application_freezes_django_and_every_route() -> None:
    # Tens of thousands of objects: Django, the apps, the URL conf and the API's views.
    assert _freeze_count_after("import studiozens.asgi") > 50_000


def test_freeze_imports_the_url_conf_first() -> None:
    statement = (
        "import os, sys\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'studiozens.settings')\n"
        "import django; django.setup()\n"
        "from platform_core.heap import freeze_startup_heap\n"
        "freeze_startup_heap()\n"
        "assert 'modules.booking.desk_api' in sys.modules, 'views not imported'"
    )
    assert _freeze_count_after(statement) > 50_000
