"""Availability benchmark: seeds 20 therapists, 8 rooms, 30 services and 2,000
appointments in a throw-away PostgreSQL test database, then times a 14-day
availability search through the API (Django test client).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sz_booking \
        uv run python benchmarks/availability.py [--runs 60]

Prints p50/p95 latency and the query count, cold (every cache invalidated before every
request, i.e. the engine really runs and loads the schedule), booked (searches invalidated
as a booking does before every request: the engine runs on the cached schedule, the
steady state while clients book) and warm (served from the versioned cache).

``--processing``: every service has processing time (15 min active, 30 processing,
15 active) and so do the seeded appointments (their therapist is busy in two pieces).
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
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

THERAPISTS, ROOMS, SERVICES, APPOINTMENTS, DAYS = 20, 8, 30, 2000, 14


def seed(processing: bool = False) -> str:
    from modules.booking.availability import local_tz
    from modules.booking.models import (
        Appointment,
        OpeningHours,
        Room,
        Service,
        ServiceCategory,
        Therapist,
        TherapistBreak,
        WorkingHours,
    )

    tz = local_tz()
    User = get_user_model()
    users = User.objects.bulk_create(
        [
            User(phone_number=f"+5731100{i:05d}", first_name=f"T{i}", is_active=True)
            for i in range(THERAPISTS + 1)
        ]
    )
    client = users[-1]
    therapists = Therapist.objects.bulk_create(
        [
            Therapist(user=u, code=f"t{i}", display_name=f"Terapeuta {i}")
            for i, u in enumerate(users[:-1])
        ]
    )
    hours, breaks = [], []
    for t in therapists:
        for weekday in range(6):
            hours.append(WorkingHours(therapist=t, weekday=weekday, start=time(9), end=time(19)))
            breaks.append(
                TherapistBreak(therapist=t, weekday=weekday, start=time(13), end=time(14))
            )
    WorkingHours.objects.bulk_create(hours)
    TherapistBreak.objects.bulk_create(breaks)
    OpeningHours.objects.bulk_create(
        [OpeningHours(weekday=d, opens=time(9), closes=time(19)) for d in range(6)]
    )
    rooms = Room.objects.bulk_create([Room(name=f"Sala {i}", kind="cabina") for i in range(ROOMS)])
    category = ServiceCategory.objects.create(slug="bench", name="Bench")
    services = []
    for i in range(SERVICES):
        service = Service.objects.create(
            code=f"BENCH-{i:02d}",
            name=f"Servicio {i}",
            category=category,
            duration_minutes=60,
            buffer_after_minutes=15,
            price_cents=10_000_000,
            resource_kind="cabina" if i < 20 else "",
            processing_start_minutes=15 if processing else 0,
            processing_minutes=30 if processing else 0,
        )
        # The searched service (0) is performed by everybody; others by half.
        service.therapists.add(*(therapists if i == 0 else therapists[i % 2 :: 2]))
        services.append(service)
    starts = [time(9), time(10, 30), time(12), time(14), time(15, 30), time(17)]
    tomorrow = timezone.localdate() + timedelta(days=1)
    rows, day = [], tomorrow - timedelta(days=2)
    while len(rows) < APPOINTMENTS:
        if day.weekday() < 6:
            for slot in starts:
                for i, therapist in enumerate(therapists):
                    if len(rows) == APPOINTMENTS:
                        break
                    # Skip a few so that the agenda has holes to offer.
                    if (i + slot.hour + day.day) % 5 == 0:
                        continue
                    start = datetime.combine(day, slot, tz)
                    end = start + timedelta(minutes=60)
                    with_room = i < ROOMS
                    rows.append(
                        Appointment(
                            client=client,
                            service=services[0 if with_room else 25],
                            therapist=therapist,
                            room=rooms[i] if with_room else None,
                            start=start,
                            end=end,
                            blocked_start=start,
                            blocked_end=end + timedelta(minutes=15),
                            processing_start=start + timedelta(minutes=15) if processing else None,
                            processing_end=start + timedelta(minutes=45) if processing else None,
                            status="CONFIRMED",
                            price_cents=10_000_000,
                        )
                    )
        day += timedelta(days=1)
    Appointment.objects.bulk_create(rows, batch_size=500)
    return str(tomorrow)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def run(runs: int, processing: bool) -> None:
    from modules.booking.availability import bump_appointments, bump_version

    date_from = seed(processing)
    date_to = str(datetime.fromisoformat(date_from).date() + timedelta(days=DAYS - 1))
    http = Client()
    params = {"service": "BENCH-00", "date_from": date_from, "date_to": date_to}
    url = "/api/booking/availability/"
    response = http.get(url, params)
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    print(f"slots in 14 days: {len(body['slots'])}, therapists offered: {len(body['therapists'])}")
    modes = (
        ("cold (engine runs)", bump_version),
        ("booked (schedule cached)", bump_appointments),
        ("warm (cached)", None),
    )
    for label, invalidate in modes:
        timings, cpu, queries = [], [], []
        for _ in range(runs):
            if invalidate is not None:
                invalidate()
            with CaptureQueriesContext(connection) as ctx:
                t0, c0 = clock.perf_counter(), clock.process_time()
                response = http.get(url, params)
                timings.append((clock.perf_counter() - t0) * 1000)
                cpu.append((clock.process_time() - c0) * 1000)
            assert response.status_code == 200
            queries.append(len(ctx.captured_queries))
        print(
            f"{label:24s} runs={runs} p50={statistics.median(timings):.1f} ms "
            f"p95={percentile(timings, 95):.1f} ms max={max(timings):.1f} ms "
            f"| cpu p50={statistics.median(cpu):.1f} ms p95={percentile(cpu, 95):.1f} ms "
            f"| queries={max(queries)}"
        )


def main() -> None:
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--processing", action="store_true", help="processing-time services")
    args = parser.parse_args()
    if not settings.USING_POSTGRES:
        sys.exit("Set DATABASE_URL to a PostgreSQL database: the benchmark targets PostgreSQL.")
    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from django.core.cache import cache

        cache.clear()
        run(args.runs, args.processing)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
