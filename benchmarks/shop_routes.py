"""CPU per request of the shop routes a signed-in client uses in the load mix.

    CELERY_TASK_ALWAYS_EAGER=false DATABASE_URL=postgres://... \\
        uv run python benchmarks/shop_routes.py [--rounds 60]

Seeds the demo data and one client in a throw-away PostgreSQL database (``<name>_shoproutes``),
lets the client accumulate 25 orders, then repeats ``--rounds`` times: the order list (a full
page of 20), the profile (an authenticated request's floor), add to cart, check out with an
Idempotency-Key, cancel. Prints the median and first quartile of thread CPU (ms) and the
statements per request. Compare before/after in back-to-back runs: the figures move with
what else runs on the machine; the statement counts are exact.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import profile_mix  # sets Django up as the mix does
from django.db import connection

STATS: dict[str, list[tuple[float, int]]] = defaultdict(list)


def timed(name: str, request: Callable[[], Any]) -> Any:
    sent = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        sent[0] += 1
        return execute(sql, params, many, context)

    start = time.thread_time()
    with connection.execute_wrapper(count):
        response = request()
    STATS[name].append(((time.thread_time() - start) * 1000, sent[0]))
    return response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()

    with profile_mix.inprocess.throwaway_database("shoproutes"):
        http, auth, _ = profile_mix.seeded_client()
        products = [p["id"] for p in http.get("/api/shop/products/?page_size=100").json()["items"]]
        gc.freeze()  # as the workers do (platform_core.heap)
        warm_up = 25
        for n in range(warm_up + args.rounds):
            product = products[n % len(products)]

            def run(name: str, request: Callable[[], Any], measured: bool = n >= warm_up) -> Any:
                return timed(name, request) if measured else request()

            run("GET shop orders", lambda: http.get("/api/shop/orders/", **auth))
            run("GET users me", lambda: http.get("/api/users/me/", **auth))
            run(
                "POST shop cart items",
                lambda product=product: profile_mix.json_post(
                    http, "/api/shop/cart/items/", {"product_id": product, "quantity": 1}, **auth
                ),
            )
            order = run(
                "POST shop checkout",
                lambda: profile_mix.json_post(
                    http,
                    "/api/shop/checkout/",
                    {"fulfilment": "pickup"},
                    HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
                    **auth,
                ),
            )
            assert order.status_code == 201, order.content
            path = f"/api/shop/orders/{order.json()['order']['id']}/cancel/"
            cancelled = run(
                "POST shop orders {id} cancel", lambda path=path: http.post(path, **auth)
            )
            assert cancelled.status_code == 200, cancelled.content
    print(f"{'route':32} {'n':>4} {'cpu p50':>8} {'cpu p25':>8} {'stmts':>6}")
    for name, rows in STATS.items():
        cpu = sorted(row[0] for row in rows)
        statements = statistics.mean(row[1] for row in rows)
        print(
            f"{name:32} {len(rows):4} {statistics.median(cpu):8.2f} "
            f"{cpu[len(cpu) // 4]:8.2f} {statements:6.1f}"
        )


if __name__ == "__main__":
    main()
