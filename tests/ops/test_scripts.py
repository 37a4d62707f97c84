"""Every script answers --help; make e2e/load refuse to run without PostgreSQL/Redis and
leave no process behind; `python manage.py test` runs the pytest suite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ops.conftest import ROOT

SCRIPTS = sorted(
    p
    for p in (ROOT / "scripts").rglob("*")
    if p.suffix in {".sh", ".py"} and p.name != "__init__.py" and "__pycache__" not in p.parts
)


def _env(**overrides: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    env.update(overrides)
    return env


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_script_answers_help(script: Path) -> None:
    if script.suffix == ".sh":
        argv = ["bash", str(script), "--help"]
    else:
        module = ".".join(script.relative_to(ROOT).with_suffix("").parts)
        argv = [sys.executable, "-m", module, "--help"]
    proc = subprocess.run(
        argv,
        cwd=ROOT,
        env=_env(DATABASE_URL="", DJANGO_ENV="test"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.strip().splitlines()) >= 2, proc.stdout
    assert "Traceback" not in proc.stderr


def test_scripts_list_is_complete() -> None:
    names = {p.name for p in SCRIPTS}
    assert {"backup_db.sh", "restore_db.sh", "check_deploy.sh", "offsite_backup.py"} <= names


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "DATABASE_URL is not set"),
        ({"DATABASE_URL": "sqlite:///x.sqlite3"}, "DATABASE_URL is not PostgreSQL"),
        ({"DATABASE_URL": "postgres://u@127.0.0.1:1/db"}, "127.0.0.1:1 does not answer"),
    ],
)
def test_require_services_explains_what_is_missing(environ: dict[str, str], message: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    proc = subprocess.run(
        [sys.executable, "scripts/require_services.py", "--for", "make e2e"],
        cwd=ROOT,
        env={**env, **environ},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "make e2e needs PostgreSQL and Redis" in proc.stderr
    assert message in proc.stderr and "REDIS_URL is not set" in proc.stderr


def test_make_e2e_and_load_check_services_first() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for target in ("e2e", "load"):
        recipe = makefile.split(f"\n{target}: install\n", 1)[1].split("\n\n", 1)[0]
        first = recipe.strip().splitlines()[0]
        assert "scripts/require_services.py" in first, (target, first)


def test_live_server_refuses_sqlite_without_starting_anything() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    proc = subprocess.run(
        [sys.executable, "-m", "scripts.contract.live_server", "--", "true"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "DATABASE_URL is not set" in proc.stderr


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db
def test_sigterm_stops_the_live_server_and_its_command(tmp_path: Path) -> None:
    """`make load` stopped with SIGTERM: gunicorn and the command are gone afterwards."""
    marker = tmp_path / "child.pid"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scripts.contract.live_server",
            "--workers",
            "1",
            "--",
            "bash",
            "-c",
            f"echo $$ > {marker}; sleep 300",
        ],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        url = ""
        deadline = time.monotonic() + 150
        assert proc.stdout is not None
        while time.monotonic() < deadline and not url:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            if line.startswith("live server on "):
                url = line.split()[-1]
        assert url, "the live server did not start"
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        child = int(marker.read_text())
        import httpx

        assert httpx.get(f"{url}/api/core/health/", timeout=5).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) != 0
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{url}/api/core/health/", timeout=2)
        assert not _group_alive(child), "the command's process group survived SIGTERM"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_pytest_labels_from_manage_py_test() -> None:
    from studiozens.test_runner import pytest_args

    assert pytest_args(
        ["tests.ops", "tests/ops/test_scripts.py::test_scripts_list_is_complete"],
        root=ROOT,
        keyword="help",
        failfast=True,
        verbosity=2,
        parallel=2,
        extra="-m 'not slow'",
    ) == [
        "tests/ops",
        "tests/ops/test_scripts.py::test_scripts_list_is_complete",
        "-k",
        "help",
        "-x",
        "-v",
        "-n",
        "2",
        "-m",
        "not slow",
    ]


def test_manage_py_test_runs_pytest_and_reports_failure() -> None:
    ok = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "test",
            "tests/ops/test_scripts.py",
            "-k",
            "labels_from_manage_py_test",
            "-v",
            "2",
        ],
        cwd=ROOT,
        env=_env(DJANGO_ENV="development"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "1 passed" in ok.stdout and "test_pytest_labels_from_manage_py_test PASSED" in ok.stdout
    none = subprocess.run(
        [sys.executable, "manage.py", "test", "tests/ops/test_scripts.py", "-k", "no_such_test_zz"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert none.returncode != 0
