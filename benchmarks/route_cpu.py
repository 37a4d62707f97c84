"""Thread-CPU and statement count per route of the load test's mix, in process.

    DATABASE_URL=postgres://... REDIS_URL=redis://... uv run python benchmarks/route_cpu.py [ROUNDS]

Replays ``profile_mix.round_trip`` (the mix of benchmarks/locustfile.py through Django's test
client, DEBUG off, Celery eager: a cancel's figure includes the message delivery a real worker
does elsewhere) in a throw-away database seeded with the demo: three warm-up rounds, then
ROUNDS (default 20) measured ones. Prints, per route (ids folded), the median
``time.thread_time()`` of a request (this thread's CPU: other processes on the machine do not
count, their cache pressure does) and its median number of SQL statements.
"""

from __future__ import annotations

import collections
import re
import statistics
import sys
import time
from typing import Any

import profile_mix as pm  # sets Django up
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

CPU_MS: dict[str, list[float]] = collections.defaultdict(list)
STATEMENTS: dict[str, list[int]] = collections.defaultdict(list)
_generic = Client.generic


def route(method: str, path: str, conditional: bool) -> str:
    path = path.split("?")[0]
    path = re.sub(r"/[0-9a-f-]{8,}/", "/{id}/", path)
    path = re.sub(r"/\d+/", "/{id}/", path)
    path = re.sub(r"/services/[A-Za-z0-9_-]+/$", "/services/{code}/", path)
    return f"{method} {path}" + (" (304)" if conditional else "")


def measured(self: Client, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
    key = route(method, path, "HTTP_IF_NONE_MATCH" in kwargs)
    with CaptureQueriesContext(connection) as queries:
        start = time.thread_time()
        response = _generic(self, method, path, *args, **kwargs)
        CPU_MS[key].append((time.thread_time() - start) * 1000)
    STATEMENTS[key].append(len(queries.captured_queries))
    return response


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    Client.generic = measured  # type: ignore[method-assign]
    with pm.inprocess.throwaway_database("routecpu"):
        http, auth, _ = pm.seeded_client()
        for day in range(3):
            pm.round_trip(http, auth, day)
        CPU_MS.clear()
        STATEMENTS.clear()
        for day in range(rounds):
            pm.round_trip(http, auth, day + 3)
    for key in sorted(CPU_MS, key=lambda k: -statistics.median(CPU_MS[k])):
        print(
            f"{statistics.median(CPU_MS[key]):7.2f} ms  {statistics.median(STATEMENTS[key]):4.0f} q"
            f"  n={len(CPU_MS[key]):3d}  {key}"
        )


if __name__ == "__main__":
    main()
