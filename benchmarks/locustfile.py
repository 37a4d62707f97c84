"""StudioZens load test: the launch mix of anonymous browsing and signed-in clients.

Run it with ``make load`` (60 s, 50 users, gunicorn with 3 uvicorn workers on PostgreSQL and
Redis, demo data and load-test accounts created by ``scripts/contract/live_server.py``), with
``make load-ladder`` (50 / 150 / 300 users and the liveness ceiling, benchmarks/ladder.py),
or against any server::

    uv run locust -f benchmarks/locustfile.py --headless -u 50 -r 10 -t 60s \
        --host http://127.0.0.1:8000 Visitor Client

The mix (weights): visitors browse the service and product catalogs, check availability and
the health endpoint; signed-in clients (accounts ``+57301000000{n}``) also look at
availability, book an appointment with a deposit and then cancel it, fill a cart, check out
(with an ``Idempotency-Key``) and cancel the unpaid order, and read their appointments and
orders. Cancelling keeps the demo's slots and stock available for the whole run, as
abandoned checkouts do in production. ``Liveness`` (not in the default mix) only asks
``/api/core/health/`` without think time: the ceiling of the stack.

Signing in as real clients do: a returning client's app holds a refresh token and rotates
it (``token/refresh/``); only LOAD_LOGIN_FRACTION of the clients (10 %) type their password
(``token/``, Argon2id). Refresh tokens come from LOAD_TOKENS_PATH (JSON list, one per
account, written by benchmarks/ladder.py); without it every client logs in with a password.

Visitors behave like browsers with the catalogs' validators: they remember each catalog
URL's ETag and revalidate with ``If-None-Match`` (a 304 is a success). A browser would not
even ask within Cache-Control's max-age, so this is the pessimistic side of real traffic.
LOAD_CONDITIONAL=0 turns it off (every catalog read renders).

Business refusals (a slot taken by another user meanwhile: 409; out of stock: 409/422) are
correct answers, not errors: they are counted as successes under their own names. Anything
else (5xx, an unexpected 4xx, a timeout) is an error. At the end the run prints requests/s,
p50/p95/p99 and the error rate, and exits 1 when the targets (p95 < 500 ms, errors < 1 %)
are missed.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, constant, events, task

LOADTEST_PASSWORD = os.environ.get("LOADTEST_PASSWORD", "Carga-Zen-2030!")
LOADTEST_USERS = int(os.environ.get("LOADTEST_USERS", "50"))
P95_TARGET_MS = float(os.environ.get("LOAD_P95_TARGET_MS", "500"))
ERROR_TARGET = float(os.environ.get("LOAD_ERROR_TARGET", "0.01"))
SUMMARY_PATH = Path(os.environ.get("LOAD_SUMMARY_PATH", "var/load-summary.json"))
TOKENS_PATH = os.environ.get("LOAD_TOKENS_PATH", "")
LOGIN_FRACTION = float(os.environ.get("LOAD_LOGIN_FRACTION", "0.1"))
CONDITIONAL = os.environ.get("LOAD_CONDITIONAL", "1") != "0"

_account_numbers = itertools.count()
_catalog: dict[str, list[Any]] = {}
_refresh_tokens: list[str] = json.loads(Path(TOKENS_PATH).read_text()) if TOKENS_PATH else []


def _catalog_items(client: Any, key: str, path: str, field: str) -> list[Any]:
    """The ids of the demo catalog, fetched once per process."""
    if key not in _catalog:
        with client.get(path, name=path, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"catalog {path}: {response.status_code}")
                return []
            # A service with a card guarantee needs a saved card and the policy's consent:
            # these clients have no card, so they book the others (as such a client would).
            _catalog[key] = [
                item[field]
                for item in response.json()["items"]
                if not (item.get("guarantee") or {}).get("requires_card")
            ]
    return _catalog[key]


def _expect(response: Any, *ok: int) -> bool:
    """Mark a response as success when its status is one of ``ok`` (failures are grouped by
    request name and status, not by URL)."""
    if response.status_code in ok:
        response.success()
        return True
    response.failure(f"HTTP {response.status_code}")
    return False


class _Catalog:
    client: Any
    auth: dict[str, str]

    def on_start(self) -> None:
        self.auth = {}
        self.etags: dict[str, str] = {}

    def catalog_get(self, path: str, name: str | None = None) -> None:
        """A catalog read as a browser does it: revalidate with the ETag it remembers."""
        headers = dict(self.auth)
        if CONDITIONAL and path in self.etags:
            headers["If-None-Match"] = self.etags[path]
        with self.client.get(
            path, name=name or path.split("?")[0], headers=headers, catch_response=True
        ) as response:
            if _expect(response, 200, 304) and response.status_code == 200:
                etag = response.headers.get("ETag")
                if etag:
                    self.etags[path] = etag

    def services(self) -> list[str]:
        return _catalog_items(
            self.client, "services", "/api/booking/services/?page_size=50", "code"
        )

    def products(self) -> list[str]:
        return _catalog_items(self.client, "products", "/api/shop/products/?page_size=100", "id")

    def availability(self) -> list[dict[str, Any]]:
        services = self.services()
        if not services:
            return []
        start = date.today() + timedelta(days=random.randint(1, 60))
        params = {
            "service": random.choice(services),
            "date_from": start.isoformat(),
            "date_to": (start + timedelta(days=2)).isoformat(),
        }
        with self.client.get(
            "/api/booking/availability/",
            params=params,
            headers=self.auth,
            name="/api/booking/availability/",
            catch_response=True,
        ) as response:
            if not _expect(response, 200):
                return []
            body = response.json()
            return [{"service": params["service"], **slot} for slot in body["slots"]]


class Visitor(_Catalog, FastHttpUser):
    """Someone on the website, not signed in."""

    weight = 3
    wait_time = between(0.5, 2.0)

    @task(4)
    def browse_services(self) -> None:
        self.catalog_get("/api/booking/categories/")
        self.catalog_get("/api/booking/services/")
        services = self.services()
        if services:
            self.catalog_get(
                f"/api/booking/services/{random.choice(services)}/",
                name="/api/booking/services/{code}/",
            )

    @task(4)
    def browse_products(self) -> None:
        self.catalog_get("/api/shop/categories/")
        self.catalog_get("/api/shop/products/?page_size=20")
        products = self.products()
        if products:
            self.catalog_get(
                f"/api/shop/products/{random.choice(products)}/", name="/api/shop/products/{id}/"
            )

    @task(3)
    def check_availability(self) -> None:
        self.availability()

    @task(1)
    def health(self) -> None:
        self.client.get("/api/core/health/")


class Client(_Catalog, FastHttpUser):
    """A signed-in client who books and buys."""

    weight = 2
    wait_time = between(1.0, 3.0)

    def on_start(self) -> None:
        super().on_start()
        number = next(_account_numbers) % LOADTEST_USERS
        if _refresh_tokens and random.random() >= LOGIN_FRACTION:
            self._sign_in("/api/users/token/refresh/", {"refresh": _refresh_tokens[number]})
        else:
            credentials = {"phone_number": f"+57301{number:07d}", "password": LOADTEST_PASSWORD}
            self._sign_in("/api/users/token/", credentials)

    def _sign_in(self, path: str, payload: dict[str, str]) -> None:
        with self.client.post(path, json=payload, name=path, catch_response=True) as response:
            if _expect(response, 200):
                self.auth = {"Authorization": f"Bearer {response.json()['access']}"}

    @task(3)
    def book_and_cancel(self) -> None:
        slots = self.availability()
        if not slots:
            return
        slot = random.choice(slots)
        with self.client.post(
            "/api/booking/appointments/",
            json={"service": slot["service"], "start": slot["start"]},
            headers=self.auth,
            name="/api/booking/appointments/",
            catch_response=True,
        ) as response:
            if response.status_code == 409:  # taken by another user since the availability read
                response.success()
                return
            if not _expect(response, 201):
                return
            appointment = response.json()["appointment"]["id"]
        with self.client.post(
            f"/api/booking/appointments/{appointment}/cancel/",
            json={"reason": "prueba de carga"},
            headers=self.auth,
            name="/api/booking/appointments/{id}/cancel/",
            catch_response=True,
        ) as response:
            _expect(response, 200)

    @task(2)
    def checkout_and_cancel(self) -> None:
        products = self.products()
        if not products:
            return
        with self.client.post(
            "/api/shop/cart/items/",
            json={"product_id": random.choice(products), "quantity": 1},
            headers=self.auth,
            name="/api/shop/cart/items/",
            catch_response=True,
        ) as response:
            if response.status_code in (409, 422):  # out of stock: a correct refusal
                response.success()
                return
            if not _expect(response, 200):
                return
        with self.client.post(
            "/api/shop/checkout/",
            json={"fulfilment": "pickup"},
            headers={**self.auth, "Idempotency-Key": str(uuid.uuid4())},
            name="/api/shop/checkout/",
            catch_response=True,
        ) as response:
            if response.status_code in (409, 422):
                response.success()
                self.client.delete("/api/shop/cart/", headers=self.auth)
                return
            if not _expect(response, 201):
                return
            order = response.json()["order"]["id"]
        with self.client.post(
            f"/api/shop/orders/{order}/cancel/",
            headers=self.auth,
            name="/api/shop/orders/{id}/cancel/",
            catch_response=True,
        ) as response:
            _expect(response, 200)

    @task(2)
    def my_account(self) -> None:
        self.client.get("/api/users/me/", headers=self.auth)
        self.client.get("/api/booking/appointments/mine/", headers=self.auth)
        self.client.get("/api/shop/orders/", headers=self.auth)

    @task(1)
    def health(self) -> None:
        self.client.get("/api/core/health/")


class Liveness(FastHttpUser):
    """The ceiling: liveness only (no I/O behind it), no think time. Not in the default mix:
    name it on the command line (``locust ... Liveness``)."""

    wait_time = constant(0)

    @task
    def health(self) -> None:
        self.client.get("/api/core/health/")


def summarize(stats: Any) -> dict[str, float]:
    total = stats.total
    requests = total.num_requests
    return {
        "requests": requests,
        "failures": total.num_failures,
        "requests_per_s": round(total.total_rps, 1),
        "p50_ms": total.get_response_time_percentile(0.50) or 0,
        "p95_ms": total.get_response_time_percentile(0.95) or 0,
        "p99_ms": total.get_response_time_percentile(0.99) or 0,
        "avg_ms": round(total.avg_response_time, 1),
        "error_rate": round(total.num_failures / requests, 4) if requests else 1.0,
    }


@events.quitting.add_listener
def _report(environment: Any, **_: Any) -> None:
    result = summarize(environment.stats)
    meets = (
        result["requests"] > 0
        and result["p95_ms"] < P95_TARGET_MS
        and result["error_rate"] < ERROR_TARGET
    )
    result["meets_targets"] = meets
    print("\n=== StudioZens load test ===")
    print(
        f"requests {result['requests']}  failures {result['failures']}  "
        f"throughput {result['requests_per_s']} req/s"
    )
    print(
        f"latency p50 {result['p50_ms']:.0f} ms  p95 {result['p95_ms']:.0f} ms  "
        f"p99 {result['p99_ms']:.0f} ms  avg {result['avg_ms']:.0f} ms"
    )
    print(
        f"error rate {result['error_rate'] * 100:.2f} %  "
        f"targets (p95 < {P95_TARGET_MS:.0f} ms, errors < {ERROR_TARGET * 100:.0f} %): "
        f"{'MET' if meets else 'MISSED'}"
    )
    SUMMARY_PATH.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY_PATH.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if not meets:
        environment.process_exit_code = 1
