"""The load ladder (``make load-ladder``): the mixed load at 50, 150 and 300 users and the
liveness-only ceiling at 300 users, against one server, in one run.

    uv run python benchmarks/ladder.py            # or: make load-ladder
    uv run python benchmarks/ladder.py --step-seconds 30 --users 50,150

What runs: ``scripts/contract/live_server.py`` migrates and seeds DATABASE_URL's database
(``seed_demo`` + 300 load-test accounts) and starts the production command (gunicorn,
gunicorn.conf.py, 3 uvicorn workers, DB_POOL_MAX_SIZE=4 as render.yaml sets it) on a free
loopback port, with the settings of ``make load`` (rate limits off: see docs/performance.md,
"Load test") except two: DEBUG is off (its query log is a cost production does not pay) and a
real Celery worker consumes every plugin queue beside the server instead of eager tasks (as on
Render; ``--celery eager`` and ``--debug`` bring back the old settings for comparison).
Then, one after the other, locust (benchmarks/locustfile.py, headless, on the same machine)
runs each step: the users spawn at ``--spawn-rate`` per second, the statistics are reset
once all are running (``--reset-stats``) and ``--step-seconds`` are measured.

Signing in is realistic: before each mixed step every account gets a refresh token, and 90 %
of the clients start by rotating it (``token/refresh/``), 10 % log in with the password
(Argon2id). During the 150-user step, ``--burst`` logins with the password arrive within
``--burst-seconds`` (100 in 10 s: a WhatsApp campaign), sent by this script next to locust's
traffic; their own latency and errors are printed on a line of their own.

Printed: one line per step (users, requests, throughput, p50/p95/p99, errors, the load
average when it started), the ratio of each mixed step's throughput to the ceiling, and the
acceptance checks of issue 21 (150 users: p95 < 250 ms, 0 % errors; 300 users: throughput
>= 90 % of the best step, errors < 1 %; best mixed step >= 50 % of the ceiling). JSON in
var/ladder/summary.json. Exit status 0 even when a check fails: the figures are the output
(the machine is shared; read them with the load average).

Loopback only; bounded: about (spawn + step) x 4 + ~1 min of setup (~4 min by default).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.contract.live_server import (  # noqa: E402
    LOADTEST_PASSWORD,
    _django_snippet,
    live_server,
    server_environment,
)

OUT = ROOT / "var" / "ladder"
ACCOUNTS = 300

ISSUE_TOKENS = """
import json, sys
from django.contrib.auth import get_user_model
from modules.identity import tokens
count, path = int(sys.argv[-2]), sys.argv[-1]
accounts = get_user_model().objects.filter(phone_number__startswith="+57301")
users = {u.phone_number: u for u in accounts}
refresh = [tokens.issue_pair(users[f"+57301{i:07d}"])["refresh"] for i in range(count)]
open(path, "w").write(json.dumps(refresh))
"""


def issue_refresh_tokens(env: dict[str, str], path: Path) -> None:
    """One refresh token per load account (single use: rotation blacklists it)."""
    subprocess.run(
        [sys.executable, "-c", _django_snippet(ISSUE_TOKENS), str(ACCOUNTS), str(path)],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=180,
    )


def load_average() -> float:
    return os.getloadavg()[0]


class Burst:
    """``count`` password logins spread evenly over ``seconds``, each on its own thread."""

    def __init__(self, url: str, count: int, seconds: float) -> None:
        self.url, self.count, self.seconds = url, count, seconds
        self.results: list[tuple[int, float]] = []
        self._lock = threading.Lock()

    def _login(self, number: int) -> None:
        body = json.dumps(
            {"phone_number": f"+57301{number:07d}", "password": LOADTEST_PASSWORD}
        ).encode()
        request = urllib.request.Request(
            f"{self.url}/api/users/token/",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        with self._lock:
            self.results.append((status, (time.perf_counter() - started) * 1000))

    def run(self) -> None:
        with ThreadPoolExecutor(max_workers=self.count) as pool:
            for number in range(self.count):
                pool.submit(self._login, number % ACCOUNTS)
                time.sleep(self.seconds / self.count)

    def summary(self) -> dict[str, Any]:
        times = sorted(ms for _, ms in self.results)
        errors = sum(1 for status, _ in self.results if status != 200)

        def pct(p: float) -> float:
            return times[min(len(times) - 1, int(p * len(times)))] if times else 0.0

        return {
            "logins": len(self.results),
            "errors": errors,
            "p50_ms": round(pct(0.50)),
            "p95_ms": round(pct(0.95)),
            "max_ms": round(times[-1]) if times else 0,
        }


def run_step(
    url: str,
    env: dict[str, str],
    *,
    kind: str,
    users: int,
    args: argparse.Namespace,
    burst: Burst | None = None,
) -> dict[str, Any]:
    OUT.mkdir(parents=True, exist_ok=True)
    summary_path = OUT / f"{kind}-{users}.json"
    summary_path.unlink(missing_ok=True)
    step_env = {**env, "LOAD_SUMMARY_PATH": str(summary_path), "LOADTEST_USERS": str(ACCOUNTS)}
    if kind == "mixed":
        tokens_path = OUT / "refresh-tokens.json"
        issue_refresh_tokens(env, tokens_path)
        step_env["LOAD_TOKENS_PATH"] = str(tokens_path)
    ramp = users / args.spawn_rate
    classes = ["Visitor", "Client"] if kind == "mixed" else ["Liveness"]
    argv = [
        *(sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py")),
        *("--headless", "-u", str(users), "-r", str(args.spawn_rate)),
        *("-t", f"{int(ramp + args.step_seconds + 1)}s", "--reset-stats"),
        *("--host", url, "--only-summary", "--exit-code-on-error", "0", "--stop-timeout", "5"),
        *classes,
    ]
    load = load_average()
    log = (OUT / f"{kind}-{users}.log").open("w")
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=step_env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    burst_thread = None
    if burst is not None:
        time.sleep(ramp + args.burst_at)
        burst_thread = threading.Thread(target=burst.run)
        burst_thread.start()
    proc.wait(timeout=ramp + args.step_seconds + 120)
    if burst_thread is not None:
        burst_thread.join()
    log.close()
    result = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    result.update(kind=kind, users=users, load_avg=round(load, 1))
    result["wall_s"] = round(time.monotonic() - started)
    if burst is not None:
        result["burst"] = burst.summary()
    return result


def line(result: dict[str, Any]) -> str:
    label = "liveness only" if result["kind"] == "liveness" else "mixed"
    if not result.get("requests"):
        return f"{label:>14} {result['users']:>5}  (no result: see var/ladder/*.log)"
    return (
        f"{label:>14} {result['users']:>5} {result['requests']:>9} "
        f"{result['requests_per_s']:>8.1f} {result['p50_ms']:>7.0f} {result['p95_ms']:>7.0f} "
        f"{result['p99_ms']:>7.0f} {result['error_rate'] * 100:>7.2f} % {result['load_avg']:>8}"
    )


def report(results: list[dict[str, Any]]) -> dict[str, Any]:
    print("\n=== StudioZens load ladder ===")
    print(
        f"{'':>14} {'users':>5} {'requests':>9} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'errors':>9} {'load avg':>8}"
    )
    for result in results:
        print(line(result))
        if "burst" in result:
            b = result["burst"]
            print(
                f"{'burst logins':>14} {'':>5} {b['logins']:>9} {'':>8} {b['p50_ms']:>7} "
                f"{b['p95_ms']:>7} {'max ' + str(b['max_ms']):>7} {b['errors']:>7} errors"
            )
    mixed = {r["users"]: r for r in results if r["kind"] == "mixed" and r.get("requests")}
    ceiling = next((r for r in results if r["kind"] == "liveness" and r.get("requests")), None)
    checks: dict[str, Any] = {}
    if ceiling and mixed:
        for users, result in mixed.items():
            ratio = result["requests_per_s"] / ceiling["requests_per_s"]
            print(f"mixed {users} users / liveness ceiling: {ratio * 100:.0f} %")
        best = max(r["requests_per_s"] for r in mixed.values())
        checks["mixed best >= 50 % of the ceiling"] = best >= 0.5 * ceiling["requests_per_s"]
    if 150 in mixed:
        r = mixed[150]
        checks["150 users: p95 < 250 ms"] = r["p95_ms"] < 250
        checks["150 users: 0 % errors"] = r["failures"] == 0
    if 300 in mixed:
        r = mixed[300]
        best = max(m["requests_per_s"] for m in mixed.values())
        checks["300 users: throughput >= 90 % of the best step"] = r["requests_per_s"] >= 0.9 * best
        checks["300 users: errors < 1 %"] = r["error_rate"] < 0.01
    for name, ok in checks.items():
        print(f"{'MET   ' if ok else 'MISSED'} {name}")
    return {"steps": results, "checks": checks}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", default="50,150,300", help="mixed steps, comma-separated")
    parser.add_argument("--ceiling-users", type=int, default=300, help="0 skips the ceiling")
    parser.add_argument("--step-seconds", type=float, default=40)
    parser.add_argument("--spawn-rate", type=float, default=50)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--pool", type=int, default=4, help="DB_POOL_MAX_SIZE per worker")
    parser.add_argument("--burst", type=int, default=100, help="password logins (150-user step)")
    parser.add_argument("--burst-seconds", type=float, default=10)
    parser.add_argument("--burst-at", type=float, default=10, help="seconds into the step")
    parser.add_argument(
        "--warmup-seconds",
        type=float,
        default=15,
        help="unrecorded mixed load first (imports, pools, caches of every worker)",
    )
    parser.add_argument(
        "--celery",
        choices=("worker", "eager"),
        default="worker",
        help="a real Celery worker beside the server (as on Render), or eager tasks",
    )
    parser.add_argument(
        "--debug", action="store_true", help="DEBUG on (the query log costs every request)"
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra server setting, e.g. WEB_MAX_CONCURRENCY=0 (the limiter off)",
    )
    args = parser.parse_args(argv)

    env = server_environment(eager=args.celery == "eager", debug=args.debug)
    env["DB_POOL_MAX_SIZE"] = str(args.pool)
    for item in args.server_env:
        name, _, value = item.partition("=")
        env[name] = value
    if args.server_env:
        print(f"server settings: {' '.join(args.server_env)}", flush=True)
    steps = [int(u) for u in args.users.split(",") if u.strip()]
    results = []
    print(f"load average before: {load_average():.1f} (2 cores shared)", flush=True)
    print(
        f"settings: DEBUG {'on' if args.debug else 'off'}, Celery "
        f"{'eager (tasks inside the requests)' if args.celery == 'eager' else 'worker'}",
        flush=True,
    )
    with live_server(
        env,
        workers=args.workers,
        seed=True,
        load_users=ACCOUNTS,
        celery_worker=args.celery == "worker",
    ) as url:
        print(f"server on {url}", flush=True)
        if args.warmup_seconds:
            warm = argparse.Namespace(**{**vars(args), "step_seconds": args.warmup_seconds})
            run_step(url, env, kind="mixed", users=30, args=warm)
        for users in steps:
            bursting = users == 150 and args.burst > 0
            burst = Burst(url, args.burst, args.burst_seconds) if bursting else None
            results.append(run_step(url, env, kind="mixed", users=users, args=args, burst=burst))
            print(line(results[-1]), flush=True)
        if args.ceiling_users:
            results.append(run_step(url, env, kind="liveness", users=args.ceiling_users, args=args))
            print(line(results[-1]), flush=True)
    summary = report(results)
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
