"""The worker consumes every queue the plugins declare: render.yaml, the Makefile and
``manage.py celery_queues`` agree, and bin/worker passes the command's output to ``-Q``."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from platform_core.plugins import get_plugins
from tests.ops.conftest import ROOT


def _celery_queues() -> list[str]:
    from io import StringIO

    out = StringIO()
    call_command("celery_queues", stdout=out)
    return out.getvalue().strip().split(",")


def test_celery_queues_is_the_union_of_the_plugins_queues() -> None:
    declared = {"celery"}
    for plugin in get_plugins():
        declared |= {*plugin.queues, *plugin.task_routes.values()}
    queues = _celery_queues()
    assert len(queues) == len(set(queues)), "a queue is listed twice"
    assert set(queues) == declared
    assert queues == [q.name for q in settings.CELERY_TASK_QUEUES]
    # Every routed task and every beat entry goes to a consumed queue.
    assert {r["queue"] for r in settings.CELERY_TASK_ROUTES.values()} <= set(queues)
    beat_queues = {t.queue for p in get_plugins() for t in p.periodic_tasks if t.queue}
    assert beat_queues <= set(queues)


def test_render_and_make_start_the_worker_through_bin_worker(inventory) -> None:
    doc = inventory.load_blueprint()
    (worker,) = [s for s in doc["services"] if s["name"] == "studiozens-worker"]
    argv = shlex.split(worker["startCommand"])
    assert argv[0] == "bin/worker" and "-Q" not in argv
    recipe = re.search(r"^worker:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert recipe, "Makefile has no worker target"
    assert recipe.group(1).split() == ["$(UV)", "run", "bin/worker"]
    # No queue list is written anywhere else in them.
    for text in ((ROOT / "Makefile").read_text(), (ROOT / "render.yaml").read_text()):
        assert "-Q celery" not in text


def _run_worker(
    venv_bin: Path, python: str, celery: str, *args: str
) -> subprocess.CompletedProcess:
    """bin/worker with stand-ins for the virtualenv's ``python`` and ``celery``."""
    for name, body in (("python", python), ("celery", celery)):
        (venv_bin / name).write_text(f"#!/bin/sh\n{body}\n")
        (venv_bin / name).chmod(0o755)
    env = {**os.environ, "VENV_BIN": str(venv_bin), "DJANGO_ENV": "test"}
    return subprocess.run(
        [str(ROOT / "bin/worker"), *args],
        env=env,
        cwd=venv_bin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_bin_worker_consumes_what_celery_queues_prints(tmp_path: Path) -> None:
    """Run the real script with a stand-in ``celery`` that prints its arguments."""
    python = f'exec "{sys.executable}" "$@"'
    result = _run_worker(tmp_path, python, 'printf "%s\\n" "$@"', "--concurrency", "2")
    assert result.returncode == 0, result.stderr
    argv = result.stdout.split("\n")
    assert argv[argv.index("-Q") + 1].split(",") == _celery_queues()
    assert argv[:4] == ["--workdir", "src", "-A", "studiozens"]
    assert "worker" in argv and argv[-3:-1] == ["--concurrency", "2"]


def test_bin_worker_refuses_output_that_is_not_a_queue_list(tmp_path: Path) -> None:
    result = _run_worker(tmp_path, "echo 'Traceback: settings broke'", "echo started")
    assert result.returncode != 0 and "started" not in result.stdout
    assert "not a queue list" in result.stderr
