"""Memory and start-up of the production web process (Render Starter: 512 MB, 0.5 CPU).

    uv run python benchmarks/memory.py            # or: make memory

Starts the production ASGI app exactly as render.yaml does (gunicorn + 3 uvicorn workers,
DJANGO_ENV=production with freshly generated secrets) against PostgreSQL and Redis
(DATABASE_URL / REDIS_URL from the environment, else local defaults), migrates the database,
warms every GET route listed in /api/openapi.json plus every POST route (with an empty body),
then prints the RSS (VmRSS) and PSS of each worker and the master, the totals, and the
import time of the app. Exit status 1 when a target is missed.
Targets: <= 150 MB RSS per worker, <= 460 MB RSS for the workers together. The master's RSS
and the PSS of everything (shared pages counted once) are printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from env_inventory import filled_production_env  # noqa: E402

WORKER_TARGET_MB = 150.0
TOTAL_TARGET_MB = 460.0
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/studiozens"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def production_env(port: int, workers: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    env.update(filled_production_env())
    env.update(
        DATABASE_URL=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        REDIS_URL=os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SENTRY_DSN="",  # no events to a fake DSN
        PORT=str(port),
        WEB_CONCURRENCY=str(workers),
    )
    for name in ("MALLOC_ARENA_MAX", "PYTHONMALLOC"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def import_time(env: dict[str, str]) -> float:
    code = (
        "import sys, time; sys.path.insert(0, 'src'); t = time.perf_counter();"
        "from studiozens.asgi import application; import studiozens.urls;"
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def proc_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MB from /proc (psutil is not a dependency)."""
    rss = pss = 0.0
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    if match:
        rss = int(match.group(1)) / 1024
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        match = re.search(r"^Pss:\s+(\d+) kB", rollup, re.M)
        if match:
            pss = int(match.group(1)) / 1024
    except OSError:
        pss = float("nan")
    return rss, pss


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def request(base: str, method: str, path: str) -> int:
    data = b"{}" if method == "POST" else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("X-Forwarded-Proto", "https")  # as behind Render's proxy
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        try:
            if request(base, "GET", "/api/core/health/") == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the app did not answer /api/core/health/ in time")


def routes(base: str) -> list[tuple[str, str]]:
    req = urllib.request.Request(base + "/api/openapi.json")
    req.add_header("X-Forwarded-Proto", "https")
    with urllib.request.urlopen(req, timeout=30) as resp:
        schema = json.load(resp)
    out = []
    for path, ops in schema["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        for method in ("get", "post"):
            if method in ops:
                out.append((method.upper(), concrete))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=6, help="passes over every route")
    parser.add_argument("--no-migrate", action="store_true")
    args = parser.parse_args()

    port = free_port()
    env = production_env(port, args.workers)
    print(f"database {env['DATABASE_URL']}  redis {env['REDIS_URL']}")
    if not args.no_migrate:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    seconds = import_time(env)
    print(f"import time of the app (studiozens.asgi + urls): {seconds:.2f} s")

    cmd = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--chdir", "src",
           "studiozens.asgi:application"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        boot = wait_ready(base, proc)
        print(f"gunicorn ready (first 200 from /api/core/health/) after {boot:.1f} s")
        table = routes(base)
        statuses: dict[int, int] = {}
        with ThreadPoolExecutor(max_workers=args.workers * 3) as pool:
            for _ in range(args.rounds):
                for status in pool.map(lambda r: request(base, *r), table):
                    statuses[status] = statuses.get(status, 0) + 1
        gets = sum(1 for m, _ in table if m == "GET")
        print(
            f"warmed {gets} GET + {len(table) - gets} POST routes x {args.rounds} rounds; "
            f"statuses {dict(sorted(statuses.items()))}"
        )
        time.sleep(1)
        workers = children(proc.pid)
        master_rss, master_pss = proc_mb(proc.pid)
        print(f"{'process':<16}{'RSS MB':>10}{'PSS MB':>10}")
        print(f"{'master ' + str(proc.pid):<16}{master_rss:>10.1f}{master_pss:>10.1f}")
        workers_rss, workers_pss, worst = 0.0, 0.0, 0.0
        for pid in workers:
            rss, pss = proc_mb(pid)
            workers_rss += rss
            workers_pss += pss
            worst = max(worst, rss)
            print(f"{'worker ' + str(pid):<16}{rss:>10.1f}{pss:>10.1f}")
        print(f"{'workers total':<16}{workers_rss:>10.1f}{workers_pss:>10.1f}")
        print(
            f"{'all processes':<16}{workers_rss + master_rss:>10.1f}"
            f"{workers_pss + master_pss:>10.1f}   (PSS counts shared pages once: the real "
            "footprint against the 512 MB limit)"
        )
        ok = (
            worst <= WORKER_TARGET_MB
            and workers_rss <= TOTAL_TARGET_MB
            and len(workers) == args.workers
        )
        print(
            f"targets: RSS per worker <= {WORKER_TARGET_MB:.0f} MB (max {worst:.1f}), "
            f"workers' RSS total <= {TOTAL_TARGET_MB:.0f} MB ({workers_rss:.1f}) -> "
            f"{'PASS' if ok else 'FAIL'}"
        )
        return 0 if ok else 1
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    sys.exit(main())
