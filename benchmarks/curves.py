"""Cost curves: the reads whose data grows with time, timed with their query counts at 1x,
10x and 100x the data (issue 21).

    DATABASE_URL=postgres://... uv run python benchmarks/curves.py [--runs 20] [--scales 1,10,100]
    (or: make curves)

Data (PostgreSQL, a throw-away database ``<name>_curves``, created and dropped): 20
therapists (Mon-Sat 9-19), 8 rooms, 30 services; then, per scale factor s:

- appointments: 2,000 x s. Each client's history is 2,000 appointments and the number of
  clients with a history grows (1 -> 10 -> 100): client 0 holds the 2,000 around today
  (the searched fortnight, as in benchmarks/availability.py), the others' are in the past,
  day after day (history accumulates in time, not in density: 120 per day, so 100x is
  ~4.5 years of history), written by PostgreSQL (INSERT ... SELECT generate_series);
- products: 50 x s (one in ten named "aceite ..."), with a tag and an image each.

Data is added incrementally (1x, then +9x, then +90x); products with bulk_create. Never
part of ``make test``.

Timed through the API with Django's test client (the renderer and middleware included),
``--runs`` requests each after one warm-up, cache versions bumped before every availability
request (the engine runs):

- availability: GET /api/booking/availability, 14 days, the service all therapists perform;
- staff agenda: GET /api/booking/appointments?date=<tomorrow> as reception (the day view);
- staff calendar feed: GET /api/booking/desk/calendar/?date=<tomorrow> as reception (the
  front desk's day: every working therapist's column, appointments, shading);
- product search: GET /api/shop/products?q=aceite (page of 20);
- my appointments: GET /api/booking/appointments/mine as client 0 (page of 20).

Printed: a table (p50 / p95 ms, queries) per read and scale, and the ratio of the 100x to
the 1x p50.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time as clock
from datetime import datetime, time, timedelta
from typing import Any

import inprocess

inprocess.setup(DJANGO_ENV="test")

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

THERAPISTS, ROOMS, SERVICES = 20, 8, 30
HISTORY = 2000  # appointments per client history
PRODUCTS = 50
STARTS = (time(9), time(10, 30), time(12), time(14), time(15, 30), time(17))
BATCH = 5000


class World:
    """What was seeded so far, and how to add more."""

    def __init__(self) -> None:
        from modules.booking.models import (
            OpeningHours,
            Room,
            Service,
            ServiceCategory,
            Therapist,
            TherapistBreak,
            WorkingHours,
        )
        from modules.shop.models import Category, Tag

        User = get_user_model()
        self.users = User
        staff = User.objects.create(
            phone_number="+573119999999", first_name="Recepción", is_active=True
        )
        staff.groups.add(Group.objects.get_or_create(name="reception")[0])
        self.staff = staff
        therapist_users = User.objects.bulk_create(
            [User(phone_number=f"+5731100{i:05d}", first_name=f"T{i}") for i in range(THERAPISTS)]
        )
        self.therapists = Therapist.objects.bulk_create(
            [
                Therapist(user=u, code=f"t{i}", display_name=f"Terapeuta {i}")
                for i, u in enumerate(therapist_users)
            ]
        )
        WorkingHours.objects.bulk_create(
            [
                WorkingHours(therapist=t, weekday=d, start=time(9), end=time(19))
                for t in self.therapists
                for d in range(6)
            ]
        )
        TherapistBreak.objects.bulk_create(
            [
                TherapistBreak(therapist=t, weekday=d, start=time(13), end=time(14))
                for t in self.therapists
                for d in range(6)
            ]
        )
        OpeningHours.objects.bulk_create(
            [OpeningHours(weekday=d, opens=time(9), closes=time(19)) for d in range(6)]
        )
        self.rooms = Room.objects.bulk_create(
            [Room(name=f"Sala {i}", kind="cabina") for i in range(ROOMS)]
        )
        category = ServiceCategory.objects.create(slug="bench", name="Bench")
        self.services = []
        for i in range(SERVICES):
            service = Service.objects.create(
                code=f"BENCH-{i:02d}",
                name=f"Servicio {i}",
                category=category,
                duration_minutes=60,
                buffer_after_minutes=15,
                price_cents=10_000_000,
                resource_kind="cabina" if i < 20 else "",
            )
            service.therapists.add(*(self.therapists if i == 0 else self.therapists[i % 2 :: 2]))
            self.services.append(service)
        self.shop_category = Category.objects.create(slug="bench", name="Bench")
        self.tag = Tag.objects.create(slug="relajante", name="Relajante")
        self.clients: list[Any] = []
        self.products = 0
        self.tomorrow = timezone.localdate() + timedelta(days=1)
        self.past_day = self.tomorrow - timedelta(days=3)  # history goes back from here

    def _client(self) -> Any:
        n = len(self.clients)
        client = self.users.objects.create(
            phone_number=f"+5732{n:08d}", first_name=f"Cliente {n}", is_active=True
        )
        client.groups.add(Group.objects.get_or_create(name="client")[0])
        self.clients.append(client)
        return client

    def _appointment(self, client: Any, day: Any, slot: time, i: int, status: str) -> Any:
        from modules.booking.availability import local_tz
        from modules.booking.models import Appointment

        start = datetime.combine(day, slot, local_tz())
        end = start + timedelta(minutes=60)
        with_room = i < ROOMS
        return Appointment(
            client=client,
            service=self.services[0 if with_room else 25],
            therapist=self.therapists[i],
            room=self.rooms[i] if with_room else None,
            start=start,
            end=end,
            blocked_start=start,
            blocked_end=end + timedelta(minutes=15),
            status=status,
            price_cents=10_000_000,
        )

    def _insert(self, rows: list[Any]) -> None:
        from modules.booking.models import Appointment

        Appointment.objects.bulk_create(rows, batch_size=BATCH)

    def add_current_client(self) -> None:
        """Client 0: 2,000 appointments from 2 days ago on (the searched fortnight)."""
        client, rows, day = self._client(), [], self.tomorrow - timedelta(days=2)
        while len(rows) < HISTORY:
            if day.weekday() < 6:
                for slot in STARTS:
                    for i in range(THERAPISTS):
                        if len(rows) < HISTORY and (i + slot.hour + day.day) % 5:
                            rows.append(self._appointment(client, day, slot, i, "CONFIRMED"))
            day += timedelta(days=1)
        self._insert(rows)

    def add_past_clients(self, count: int) -> None:
        """``count`` more clients, each with 2,000 completed appointments further back in
        time, generated by PostgreSQL in one INSERT ... SELECT (200,000 rows in seconds): day
        after day backwards, 6 starts x 20 therapists a day, rooms for the first 8."""
        if count <= 0:
            return
        first = len(self.clients) - 1  # history rows already written by past clients
        clients = [self._client() for _ in range(count)]
        done = max(0, first) * HISTORY
        total = count * HISTORY
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO booking_appointment (
                    public_id, client_id, service_id, therapist_id, room_id,
                    start, "end", blocked_start, blocked_end, status, price_cents,
                    vip_price_applied, currency, deposit_cents, deposit_paid_cents,
                    payment_reference, checkout, needs_attention, notes, staff_notes,
                    cancelled_by, cancellation_reason, completed_at, created_at, updated_at
                )
                SELECT gen_random_uuid(), (%(clients)s::bigint[])[(g - %(done)s) / %(history)s + 1],
                       CASE WHEN t < %(rooms)s THEN %(with_room)s ELSE %(without_room)s END,
                       (%(therapists)s::bigint[])[t + 1],
                       CASE WHEN t < %(rooms)s THEN (%(room_ids)s::bigint[])[t + 1] END,
                       s, s + interval '60 minutes', s, s + interval '75 minutes', 'COMPLETED',
                       10000000, false, 'COP', 0, 0, '', '{}'::jsonb, '', '', '', '', '',
                       s + interval '60 minutes', now(), now()
                FROM (
                    SELECT g, g %% %(therapist_count)s AS t,
                           ((%(base)s::date - (g / %(per_day)s)::int)
                             + (%(starts)s::time[])[(g %% %(per_day)s) / %(therapist_count)s + 1])
                             AT TIME ZONE %(tz)s AS s
                    FROM generate_series(%(done)s, %(last)s) AS g
                ) AS rows
                """,
                {
                    "clients": [c.pk for c in clients],
                    "done": done,
                    "last": done + total - 1,
                    "history": HISTORY,
                    "rooms": ROOMS,
                    "with_room": self.services[0].pk,
                    "without_room": self.services[25].pk,
                    "therapists": [t.pk for t in self.therapists],
                    "room_ids": [r.pk for r in self.rooms],
                    "therapist_count": THERAPISTS,
                    "per_day": THERAPISTS * len(STARTS),
                    "starts": [slot.isoformat() for slot in STARTS],
                    "base": self.past_day,
                    "tz": settings.TIME_ZONE,
                },
            )

    def add_products(self, count: int) -> None:
        from modules.shop.models import Product, ProductImage

        start = self.products
        products = Product.objects.bulk_create(
            [
                Product(
                    sku=f"BENCH-{n:06d}",
                    name=f"{'Aceite' if n % 10 == 0 else 'Crema'} número {n}",
                    description="Producto de prueba para las curvas de costo.",
                    category=self.shop_category,
                    price_cents=1_000_000 + n,
                    stock=10,
                )
                for n in range(start, start + count)
            ],
            batch_size=BATCH,
        )
        Product.tags.through.objects.bulk_create(
            [Product.tags.through(product_id=p.pk, tag_id=self.tag.pk) for p in products],
            batch_size=BATCH,
        )
        ProductImage.objects.bulk_create(
            [ProductImage(product=p, url=f"https://cdn.example.com/{p.sku}.jpg") for p in products],
            batch_size=BATCH,
        )
        self.products += count

    def grow_to(self, scale: int) -> float:
        started = clock.perf_counter()
        if not self.clients:
            self.add_current_client()
        self.add_past_clients(scale - len(self.clients))
        self.add_products(PRODUCTS * scale - self.products)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return clock.perf_counter() - started


def bearer(user: Any) -> dict[str, str]:
    from ninja_jwt.tokens import RefreshToken

    return {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(user).access_token}"}


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def rows_of(body: dict[str, Any]) -> int:
    """A page's total, the availability's slots or the calendar's appointments."""
    if "count" in body:
        return int(body["count"])
    if "events" in body:
        return len([e for e in body["events"] if e.get("id")])
    return len(body.get("slots", []))


def measure(world: World, runs: int) -> dict[str, dict[str, float]]:
    from modules.booking.availability import bump_version

    http = Client()
    tomorrow = world.tomorrow
    reads = {
        "availability (14 days)": (
            "/api/booking/availability/",
            {
                "service": "BENCH-00",
                "date_from": str(tomorrow),
                "date_to": str(tomorrow + timedelta(days=13)),
            },
            {},
            True,
        ),
        "staff agenda (a day)": (
            "/api/booking/appointments/",
            {"date": str(tomorrow)},
            bearer(world.staff),
            False,
        ),
        "staff calendar feed (a day)": (
            "/api/booking/desk/calendar/",
            {"date": str(tomorrow)},
            bearer(world.staff),
            False,
        ),
        "product search": ("/api/shop/products/", {"q": "aceite"}, {}, False),
        "my appointments": (
            "/api/booking/appointments/mine/",
            {},
            bearer(world.clients[0]),
            False,
        ),
    }
    results = {}
    for name, (url, params, headers, cold) in reads.items():
        response = http.get(url, params, **headers)
        assert response.status_code == 200, (name, response.status_code, response.content[:300])
        timings, cpu, queries = [], [], []
        for _ in range(runs):
            if cold:
                bump_version()
            with CaptureQueriesContext(connection) as ctx:
                t0, c0 = clock.perf_counter(), clock.process_time()
                response = http.get(url, params, **headers)
                timings.append((clock.perf_counter() - t0) * 1000)
                cpu.append((clock.process_time() - c0) * 1000)
            assert response.status_code == 200
            queries.append(len(ctx.captured_queries))
        results[name] = {
            "p50": statistics.median(timings),
            "p95": percentile(timings, 95),
            "cpu": statistics.median(cpu),
            "queries": max(queries),
            "rows": rows_of(response.json()),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--scales", default="1,10,100")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    table: dict[int, dict[str, dict[str, float]]] = {}
    with inprocess.throwaway_database("curves"):
        from django.core.cache import cache

        cache.clear()
        world = World()
        from platform_core.heap import freeze_startup_heap

        freeze_startup_heap()  # as the server does (docs/performance.md, "Garbage collection")
        for scale in [int(s) for s in args.scales.split(",")]:
            seconds = world.grow_to(scale)
            appointments = HISTORY * len(world.clients)
            print(
                f"{scale}x: {appointments:,} appointments, {len(world.clients)} clients, "
                f"{world.products:,} products (seeded in {seconds:.0f} s; "
                f"load average {os.getloadavg()[0]:.1f})",
                flush=True,
            )
            table[scale] = measure(world, args.runs)
            for name, r in table[scale].items():
                print(
                    f"  {name:24s} p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  "
                    f"CPU p50 {r['cpu']:6.1f} ms  queries {r['queries']:.0f}  (count {r['rows']})",
                    flush=True,
                )
    scales = sorted(table)
    head = " | ".join(f"{s}x p50 / p95 / CPU p50 (queries)" for s in scales)
    print(f"\n| read | {head} | last/first p50 | last/first CPU |")
    print("| --- | " + " | ".join("---:" for _ in scales) + " | ---: | ---: |")
    for name in table[scales[0]]:
        cells = [
            f"{table[s][name]['p50']:.1f} / {table[s][name]['p95']:.1f} / "
            f"{table[s][name]['cpu']:.1f} ms ({table[s][name]['queries']:.0f})"
            for s in scales
        ]
        first, last = table[scales[0]][name], table[scales[-1]][name]
        print(
            f"| {name} | " + " | ".join(cells) + f" | {last['p50'] / first['p50']:.2f} | "
            f"{last['cpu'] / first['cpu']:.2f} |"
        )


if __name__ == "__main__":
    main()
