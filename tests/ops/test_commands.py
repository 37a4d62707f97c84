"""create_admin (idempotent, env-driven) and celery_ping (a real broker round trip)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.ops.conftest import ROOT

PASSWORD = "Zen-Ops-2026!long"


def _admin_env(monkeypatch, **values: str) -> None:
    for key in ("ADMIN_PHONE", "ADMIN_PASSWORD", "ADMIN_EMAIL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in values.items():
        monkeypatch.setenv(key, value)


@pytest.mark.django_db
def test_create_admin_creates_then_updates_one_superuser(monkeypatch) -> None:
    Group.objects.get_or_create(name="admin")  # identity's migration may create it
    _admin_env(monkeypatch, ADMIN_PHONE="300 123 4567", ADMIN_PASSWORD=PASSWORD)
    out = StringIO()
    call_command("create_admin", stdout=out)
    assert "created" in out.getvalue() and "4567" in out.getvalue()
    assert "3001234567" not in out.getvalue()  # the phone is masked

    user = get_user_model().objects.get(phone_number="+573001234567")
    assert user.is_superuser and user.is_staff and user.is_active
    assert user.check_password(PASSWORD)
    assert user.groups.filter(name="admin").exists()

    _admin_env(
        monkeypatch,
        ADMIN_PHONE="+57 300 123 4567",
        ADMIN_PASSWORD=PASSWORD + "2",
        ADMIN_EMAIL="Ops@StudioZens.co",
    )
    out = StringIO()
    call_command("create_admin", stdout=out)
    assert "updated" in out.getvalue()
    assert get_user_model().objects.filter(phone_number="+573001234567").count() == 1
    user.refresh_from_db()
    assert user.check_password(PASSWORD + "2") and user.email == "Ops@studiozens.co"

    _admin_env(monkeypatch, ADMIN_PHONE="+573001234567", ADMIN_PASSWORD="whatever-Else-99")
    call_command("create_admin", "--keep-password", stdout=StringIO())
    user.refresh_from_db()
    assert user.check_password(PASSWORD + "2")


@pytest.mark.django_db
def test_create_admin_without_admin_group(monkeypatch) -> None:
    Group.objects.filter(name="admin").delete()
    _admin_env(monkeypatch, ADMIN_PHONE="+573109876543", ADMIN_PASSWORD=PASSWORD)
    call_command("create_admin", stdout=StringIO())
    user = get_user_model().objects.get(phone_number="+573109876543")
    assert user.is_superuser and not user.groups.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"ADMIN_PASSWORD": PASSWORD}, "ADMIN_PHONE and ADMIN_PASSWORD must be set"),
        ({"ADMIN_PHONE": "+573001234567"}, "ADMIN_PHONE and ADMIN_PASSWORD must be set"),
        ({"ADMIN_PHONE": "12", "ADMIN_PASSWORD": PASSWORD}, "not a valid phone number"),
        ({"ADMIN_PHONE": "+573001234567", "ADMIN_PASSWORD": "123"}, "ADMIN_PASSWORD:"),
    ],
)
def test_create_admin_refuses_bad_input(monkeypatch, values: dict[str, str], message: str) -> None:
    _admin_env(monkeypatch, **values)
    with pytest.raises(CommandError, match=message):
        call_command("create_admin", stdout=StringIO())
    assert not get_user_model().objects.exists()


class _Result:
    def __init__(self, answer: Any = "pong", error: Exception | None = None) -> None:
        self.answer, self.error = answer, error

    def get(self, timeout: float, propagate: bool) -> Any:
        if self.error:
            raise self.error
        return self.answer


def test_celery_ping_refuses_eager_mode() -> None:
    assert settings.CELERY_TASK_ALWAYS_EAGER
    with pytest.raises(CommandError, match="eagerly"):
        call_command("celery_ping", stdout=StringIO())


@pytest.mark.parametrize(
    ("result", "outcome"),
    [
        (_Result("pong"), "pong in"),
        (_Result("ping?"), "unexpected answer"),
        (_Result(error=TimeoutError("The operation timed out.")), "no pong from a worker"),
    ],
)
def test_celery_ping_outcomes(monkeypatch, settings, result: _Result, outcome: str) -> None:
    from platform_core.tasks import ping

    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent: dict[str, Any] = {}

    def fake_apply_async(**kwargs: Any) -> _Result:
        sent.update(kwargs)
        return result

    monkeypatch.setattr(ping, "apply_async", fake_apply_async)
    out = StringIO()
    if outcome == "pong in":
        call_command("celery_ping", "--timeout", "3", "--queue", "bot", stdout=out)
        assert "pong in" in out.getvalue()
    else:
        with pytest.raises(CommandError, match=outcome):
            call_command("celery_ping", "--timeout", "3", stdout=out)
    assert sent["queue"] in {"bot", "celery"} and sent["expires"] == 3


@pytest.mark.redis
@pytest.mark.slow
def test_worker_healthcheck_against_a_real_worker() -> None:
    """bin/worker-healthcheck exits 0 with a live worker and 1 once it is gone."""
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PYTHON": sys.executable,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "--workdir", "src", "-A", "studiozens", "worker",
         "-Q", "celery", "--pool", "solo", "-l", "WARNING", "--without-gossip",
         "--without-mingle", "-n", f"ops-test-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        alive = None
        while time.monotonic() < deadline:
            alive = subprocess.run(
                ["bin/worker-healthcheck", "--timeout", "5"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            if alive.returncode == 0:
                break
        assert alive is not None and alive.returncode == 0, alive.stderr if alive else ""
        assert "pong in" in alive.stdout
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    dead = subprocess.run(
        ["bin/worker-healthcheck", "--timeout", "2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert dead.returncode == 1 and "no pong from a worker" in dead.stderr
