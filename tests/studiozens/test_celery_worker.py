"""A real Celery worker process consumes a task sent through the Redis broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from studiozens.celery import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.redis
@pytest.mark.slow
def test_worker_process_runs_a_task_through_the_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    # This process only sends and waits; it must not act as an eager worker itself.
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "studiozens",
            "worker",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "-Q",
            "celery",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert settings.CELERY_BROKER_URL.startswith("redis")
        started = time.monotonic()
        result = app.send_task("platform_core.ping", queue="celery")
        assert result.get(timeout=60) == "pong"
        assert time.monotonic() - started < 60
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_celery_limits_come_from_settings() -> None:
    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert app.conf.task_soft_time_limit == settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert app.conf.worker_max_tasks_per_child == settings.CELERY_WORKER_MAX_TASKS_PER_CHILD
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.broker_transport_options["visibility_timeout"] >= 3600
    assert app.conf.beat_scheduler.endswith("DatabaseScheduler")


def test_ping_task_runs_eagerly_in_tests() -> None:
    from platform_core.tasks import ping

    assert ping.delay().get() == "pong"
