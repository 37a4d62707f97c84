"""Front-desk calendar feed benchmark: 20 therapists working one day with 300
appointments (15 each), in a throw-away PostgreSQL test database; times
GET /api/booking/desk/calendar/ as a receptionist (admin session, Django test client).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sz_desk \
        uv run python benchmarks/calendar_feed.py [--runs 60]

Prints p50/p95 latency and the query count, for 2 therapists / 20 appointments and
for 20 / 300: the count must be the same (no query per therapist or appointment).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time as clock
from datetime import datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studiozens.settings")
os.environ.setdefault("DJANGO_ENV", "test")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def seed(therapists_n: int, per_therapist: int, tag: str) -> None:
    from modules.booking.availability import local_tz
    from modules.booking.models import (
        Appointment,
        OpeningHours,
        Room,
        Service,
        Therapist,
        TherapistBreak,
        WorkingHours,
    )

    tz = local_tz()
    User = get_user_model()
    users = User.objects.bulk_create(
        [
            User(phone_number=f"+57311{tag}{i:05d}", first_name=f"T{i}", is_active=True)
            for i in range(therapists_n + 1)
        ]
    )
    client = users[-1]
    therapists = Therapist.objects.bulk_create(
        [
            Therapist(user=u, code=f"{tag}t{i}", display_name=f"Terapeuta {tag}{i:02d}")
            for i, u in enumerate(users[:-1])
        ]
    )
    WorkingHours.objects.bulk_create(
        [
            WorkingHours(therapist=t, weekday=d, start=time(8), end=time(20))
            for t in therapists
            for d in range(7)
        ]
    )
    TherapistBreak.objects.bulk_create(
        [
            TherapistBreak(therapist=t, weekday=d, start=time(13), end=time(13, 30))
            for t in therapists
            for d in range(7)
        ]
    )
    if not OpeningHours.objects.exists():
        OpeningHours.objects.bulk_create(
            [OpeningHours(weekday=d, opens=time(8), closes=time(20)) for d in range(7)]
        )
    room = Room.objects.create(name=f"Sala {tag}", kind=f"cabina{tag}")
    service = Service.objects.create(
        code=f"BENCH-{tag}", name="Masaje", duration_minutes=30, price_cents=10_000_000
    )
    day = datetime.now(tz).date()
    rows = []
    for i, therapist in enumerate(therapists):
        for k in range(per_therapist):
            start = datetime.combine(day, time(8), tz) + timedelta(minutes=40 * k)
            end = start + timedelta(minutes=30)
            rows.append(
                Appointment(
                    client=client,
                    service=service,
                    therapist=therapist,
                    room=room if (i + k) % 20 == 0 else None,
                    start=start,
                    end=end,
                    blocked_start=start,
                    blocked_end=end,
                    status=("CONFIRMED", "ARRIVED", "COMPLETED", "PENDING_PAYMENT")[k % 4],
                    price_cents=10_000_000,
                )
            )
    Appointment.objects.bulk_create(rows, batch_size=500)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def measure(http: Client, runs: int, label: str) -> None:
    url = "/api/booking/desk/calendar/"
    response = http.get(url)
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    shown = len([e for e in body["events"] if e.get("id")])
    timings, queries = [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            t0 = clock.perf_counter()
            response = http.get(url)
            timings.append((clock.perf_counter() - t0) * 1000)
        assert response.status_code == 200
        queries.append(len(ctx.captured_queries))
    print(
        f"{label:32s} columns={len(body['resources'])} appointments={shown} runs={runs} "
        f"p50={statistics.median(timings):.1f} ms p95={percentile(timings, 95):.1f} ms "
        f"max={max(timings):.1f} ms | queries={max(queries)}"
    )


def run(runs: int) -> None:
    from platform_core.heap import freeze_startup_heap

    # As the server does once it has started (studiozens.asgi): the harness's own heap
    # (test database creation, the migration graph) would otherwise be walked by every
    # full collection and charged to whichever request triggered it.
    print(f"start-up heap frozen: {freeze_startup_heap():,} objects")
    receptionist = get_user_model().objects.create_user(
        "+573009999999", "x", is_staff=True, is_active=True
    )
    receptionist.groups.add(Group.objects.get_or_create(name="reception")[0])
    http = Client()
    http.force_login(receptionist)
    seed(2, 10, "a")
    measure(http, runs, "2 therapists, 20 appointments")
    seed(18, 15, "b")
    from modules.booking.models import Appointment

    Appointment.objects.filter(therapist__code__startswith="a").update(status="CANCELLED")
    seed_extra = 300 - 18 * 15  # top up to 300 visible appointments
    if seed_extra:
        seed(2, seed_extra // 2, "c")
    measure(http, runs, "20 therapists, 300 appointments")


def main() -> None:
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    if not settings.USING_POSTGRES:
        sys.exit("Set DATABASE_URL to a PostgreSQL database: the benchmark targets PostgreSQL.")
    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args.runs)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
