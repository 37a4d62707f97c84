"""Where a request's time goes: the load test's mix, in process, under pyinstrument.

    DATABASE_URL=postgres://... uv run python benchmarks/profile_mix.py [--rounds 30]
    (or: make profile)

Seeds the demo data (``seed_demo``) and one client in a throw-away PostgreSQL database
(``<name>_profile``), then replays the mix of benchmarks/locustfile.py through Django's
test client (middleware, Ninja, the renderer; no HTTP server) ``--rounds`` times: the
catalogs (first fetch and a revalidation with the ETag), availability over 3 days, my
appointments / orders / profile, a booking and its cancellation, a cart, a checkout and its
cancellation, one password login. pyinstrument samples it all; the text tree (frames of 2 %+ of
the time) is printed and the HTML report written to var/profile-mix.html.

Development settings as in ``make load`` (DEBUG off here: its query log is not production
cost), Celery eager, the in-process payments sandbox.
"""

from __future__ import annotations

import argparse
import uuid
from datetime import timedelta
from io import StringIO

import inprocess

ROOT = inprocess.ROOT
inprocess.setup(
    DJANGO_ENV="development",
    DEBUG="false",
    CELERY_TASK_ALWAYS_EAGER="true",
    RATELIMIT_ENABLED="false",
)

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

PASSWORD = "Perfil-Zen-2030!"


def json_post(http: Client, path: str, body: dict, **headers: str) -> object:
    import json

    return http.post(path, json.dumps(body), content_type="application/json", **headers)


def round_trip(http: Client, auth: dict[str, str], day: int) -> None:
    etags: dict[str, str] = {}
    for path in (
        "/api/booking/categories/",
        "/api/booking/services/",
        "/api/shop/categories/",
        "/api/shop/products/?page_size=20",
    ):
        first = http.get(path)
        etags[path] = first.get("ETag", "")
        http.get(path, HTTP_IF_NONE_MATCH=etags[path])
    services = [s["code"] for s in http.get("/api/booking/services/?page_size=50").json()["items"]]
    products = [p["id"] for p in http.get("/api/shop/products/?page_size=100").json()["items"]]
    http.get(f"/api/booking/services/{services[0]}/")
    http.get(f"/api/shop/products/{products[0]}/")
    start = timezone.localdate() + timedelta(days=1 + day % 60)
    slots = http.get(
        "/api/booking/availability/",
        {
            "service": services[day % len(services)],
            "date_from": str(start),
            "date_to": str(start + timedelta(days=2)),
        },
    ).json()["slots"]
    http.get("/api/users/me/", **auth)
    http.get("/api/booking/appointments/mine/", **auth)
    http.get("/api/shop/orders/", **auth)
    http.get("/api/core/health/")
    if slots:
        booked = json_post(
            http,
            "/api/booking/appointments/",
            {"service": services[day % len(services)], "start": slots[0]["start"]},
            **auth,
        )
        if booked.status_code == 201:
            appointment = booked.json()["appointment"]["id"]
            json_post(
                http,
                f"/api/booking/appointments/{appointment}/cancel/",
                {"reason": "perfil"},
                **auth,
            )
    json_post(
        http,
        "/api/shop/cart/items/",
        {"product_id": products[day % len(products)], "quantity": 1},
        **auth,
    )
    order = json_post(
        http,
        "/api/shop/checkout/",
        {"fulfilment": "pickup"},
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        **auth,
    )
    if order.status_code == 201:
        http.post(f"/api/shop/orders/{order.json()['order']['id']}/cancel/", **auth)


def seeded_client() -> tuple[Client, dict[str, str], dict[str, str]]:
    """In the throw-away database: the demo data and one client signed in. Returns the test
    client, its Authorization header and the login body (for a password login)."""
    call_command("seed_demo", stdout=StringIO())
    client = get_user_model().objects.create(
        phone_number="+573015550000", first_name="Perfil", is_active=True
    )
    client.set_password(PASSWORD)
    client.save()
    client.groups.add(Group.objects.get_or_create(name="client")[0])
    http = Client()
    login = {"phone_number": client.phone_number, "password": PASSWORD}
    token = json_post(http, "/api/users/token/", login).json()["access"]
    return http, {"HTTP_AUTHORIZATION": f"Bearer {token}"}, login


def main() -> None:
    from pyinstrument import Profiler

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with inprocess.throwaway_database("profile"):
        http, auth, login = seeded_client()
        round_trip(http, auth, 0)  # warm-up: imports, caches
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for day in range(args.rounds):
            round_trip(http, auth, day)
        json_post(http, "/api/users/token/", login)
        profiler.stop()
        print(
            profiler.output_text(unicode=True, color=False, show_all=False, time="percent_of_total")
        )
        out = ROOT / "var" / "profile-mix.html"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(profiler.output_html(), encoding="utf-8")
        print(f"HTML: {out}")


if __name__ == "__main__":
    main()
