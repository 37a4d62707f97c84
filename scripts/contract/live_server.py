"""Run the production ASGI app (gunicorn + uvicorn workers) on loopback, and helpers to manage
the other real processes (Celery worker, local fakes) used by the e2e suite, the contract run
(newman, Schemathesis) and the load test.

As a command: migrate, optionally seed the demo data and create load-test accounts, start
gunicorn on a free loopback port, wait for /api/core/health/, run the given command with
``BASE_URL`` set, stop everything and exit with the command's status::

    uv run python -m scripts.contract.live_server --workers 3 --seed -- \
        npx newman run docs/postman/studiozens.postman_collection.json \
        --env-var baseUrl='${BASE_URL}'

``${BASE_URL}`` in the command's arguments is replaced by the server's URL.
Everything runs against DATABASE_URL / REDIS_URL from the environment.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / "var" / "contract-logs"
LOADTEST_PASSWORD = "Carga-Zen-2030!"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(**overrides: str) -> dict[str, str]:
    """The environment for child processes: the project on PYTHONPATH, no eager Celery leak."""
    env = {**os.environ}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH", "")])]
    )
    env.setdefault("DJANGO_SETTINGS_MODULE", "studiozens.settings")
    env.update(overrides)
    return env


_RUNNING: set[Proc] = set()


def stop_all() -> None:
    """Stop every child still running (at exit, even after SIGTERM or Ctrl-C)."""
    for proc in list(_RUNNING):
        proc.stop(timeout=10)


atexit.register(stop_all)


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def stop_children_on_signals() -> None:
    """Turn SIGTERM/SIGHUP into KeyboardInterrupt, as Ctrl-C is: ``finally`` blocks, pytest
    teardowns and the atexit hook then stop the children's process groups. Without it a
    SIGTERM ends Python at once and leaves gunicorn, Celery and the fakes running."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)


class Proc:
    """A child process in its own process group, output to a log file, stopped cleanly."""

    def __init__(
        self, name: str, argv: Sequence[str], env: Mapping[str, str], *, log: bool = True
    ) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = LOG_DIR / f"{name}-{os.getpid()}.log"
        # log=False: the child writes to our terminal (the command the user asked for).
        self._log = self.log_path.open("wb") if log else open(os.devnull, "wb")  # noqa: SIM115
        self.popen = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=ROOT,
            stdout=self._log if log else None,
            stderr=subprocess.STDOUT if log else None,
            start_new_session=True,
        )
        _RUNNING.add(self)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        self._log.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 20) -> None:
        # The whole group, even when its leader already exited (its children may not have).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)  # stragglers that ignored SIGTERM
        _RUNNING.discard(self)
        self._log.close()


def wait_http(url: str, *, proc: Proc | None = None, timeout: float = 60) -> None:
    """Poll a URL until it answers 2xx (or fail with the process's log)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{proc.name} exited early:\n{proc.tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if 200 <= response.status < 300:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = exc
        time.sleep(0.2)
    tail = proc.tail() if proc is not None else ""
    raise TimeoutError(f"{url} not ready after {timeout}s ({last})\n{tail}")


def manage(*args: str, env: Mapping[str, str], timeout: float = 300) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        env=dict(env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def start_gunicorn(env: Mapping[str, str], *, port: int, workers: int = 3) -> Proc:
    """The production command (gunicorn.conf.py) bound to loopback instead of 0.0.0.0."""
    argv = [sys.executable, "-m", "gunicorn"]
    if (ROOT / "gunicorn.conf.py").exists():
        argv += ["-c", str(ROOT / "gunicorn.conf.py")]
    else:
        argv += ["-k", "uvicorn_worker.UvicornWorker", "--chdir", "src"]
    argv += [
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--max-requests",
        "0",
        "studiozens.asgi:application",
    ]
    proc = Proc("gunicorn", argv, {**env, "PORT": str(port)})
    wait_http(f"http://127.0.0.1:{port}/api/core/health/", proc=proc, timeout=90)
    return proc


def _celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "studiozens", *args, "-l", "INFO"]


def start_celery_worker(env: Mapping[str, str], *, queues: str | None = None) -> Proc:
    """A worker on ``queues``, by default every queue the plugins declare (as bin/worker)."""
    queues = queues or manage("celery_queues", env=env).strip()
    argv = _celery(
        "worker",
        *("--pool", "threads", "--concurrency", "4", "-Q", queues),
        *("--without-heartbeat", "--without-gossip", "--without-mingle"),
    )
    return Proc("celery-worker", argv, env)


def start_celery_beat(env: Mapping[str, str], *, max_interval: int = 1) -> Proc:
    """The production beat command (render.yaml): django-celery-beat's DatabaseScheduler, so
    it sends what the PeriodicTask rows of the database say (seeded by sync_periodic_tasks).
    ``max_interval`` bounds its sleep between schedule checks (shortened schedules)."""
    argv = _celery(
        "beat",
        *("--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"),
        *("--max-interval", str(max_interval)),
    )
    return Proc("celery-beat", argv, env)


SHORTEN_SCHEDULES = """
import json, sys
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks
every = json.loads(sys.argv[-1])
for task, seconds in every.items():
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=seconds, period=IntervalSchedule.SECONDS
    )
    rows = PeriodicTask.objects.filter(task=task, enabled=True)
    if rows.count() != 1:
        raise SystemExit(f"no single enabled beat entry runs {task}")
    rows.update(interval=interval, crontab=None, last_run_at=None)
PeriodicTasks.update_changed()
print(json.dumps(sorted(every)))
"""


def shorten_schedules(env: Mapping[str, str], every_seconds: Mapping[str, int]) -> None:
    """Make the beat entries of the given tasks (by task name) run every N seconds, in the
    database ``env`` points at (after ``sync_periodic_tasks``, before beat starts)."""
    result = subprocess.run(
        [sys.executable, "-c", _django_snippet(SHORTEN_SCHEDULES), json.dumps(every_seconds)],
        env=dict(env),
        cwd=ROOT,
        check=False,
        timeout=120,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"shortening the beat schedules failed:\n{result.stdout}{result.stderr}")


CREATE_USERS = """
import sys
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
User = get_user_model()
count, password = int(sys.argv[-2]), sys.argv[-1]
hashed = make_password(password)
for i in range(count):
    phone = f"+57301{i:07d}"
    user, _ = User.objects.get_or_create(
        phone_number=phone, defaults={"first_name": f"Carga{i}", "is_active": True}
    )
    user.password = hashed
    user.is_active = True
    user.save()
print(count)
"""


def create_load_users(env: Mapping[str, str], count: int) -> None:
    """Active clients +57301000000{i} with LOADTEST_PASSWORD (the load test logs in as them)."""
    subprocess.run(
        [sys.executable, "-c", _django_snippet(CREATE_USERS), str(count), LOADTEST_PASSWORD],
        env=dict(env),
        cwd=ROOT,
        check=True,
        timeout=120,
    )


def _django_snippet(body: str) -> str:
    return "import django\ndjango.setup()\n" + body


@contextlib.contextmanager
def live_server(
    env: Mapping[str, str],
    *,
    workers: int = 3,
    seed: bool = True,
    load_users: int = 0,
    celery_worker: bool = False,
) -> Iterator[str]:
    """The production server on a free loopback port (and, with ``celery_worker``, a Celery
    worker on every plugin queue, for settings that are not eager)."""
    manage("migrate", "--noinput", env=env)
    if seed:
        manage("seed_demo", env=env)
    if load_users:
        create_load_users(env, load_users)
    port = free_port()
    worker = start_celery_worker(env) if celery_worker else None
    server = start_gunicorn(env, port=port, workers=workers)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        if worker is not None:
            worker.stop()


def server_environment(*, eager: bool, debug: bool = True) -> dict[str, str]:
    """Development settings (local adapters; with ``debug``, DEBUG and its dev outbox, which
    the contract run reads one-time codes from) without rate limits, so a single loopback
    client can exercise the whole API. Load runs pass ``debug=False``: DEBUG keeps every
    query's SQL in memory, a cost production does not pay."""
    return base_env(
        DJANGO_ENV="development",
        DEBUG="true" if debug else "false",
        RATELIMIT_ENABLED="false",
        CELERY_TASK_ALWAYS_EAGER="true" if eager else "false",
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a command against a live server.")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--seed", action="store_true", help="run manage.py seed_demo first")
    parser.add_argument("--load-users", type=int, default=0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = [c for c in args.command if c != "--"]
    if not command:
        parser.error("give the command to run after --")
    sys.path.insert(0, str(ROOT / "scripts"))
    from require_services import main as require_services

    if require_services(["--for", "the live server (make load, the contract run)"]):
        return 2
    stop_children_on_signals()
    env = server_environment(eager=True)
    with live_server(env, workers=args.workers, seed=args.seed, load_users=args.load_users) as url:
        print(f"live server on {url}", flush=True)
        command = [c.replace("${BASE_URL}", url) for c in command]
        child = Proc("command", command, {**env, "BASE_URL": url}, log=False)
        try:
            return child.popen.wait()
        finally:
            child.stop()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as stop:  # Ctrl-C or SIGTERM: children already stopped
        print(f"live server stopped ({stop or 'interrupted'})", file=sys.stderr)
        sys.exit(130)
