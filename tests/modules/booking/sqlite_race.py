"""The SQLite demo path under a real race, run in its own process by
``test_sqlite_race.py``: the project's settings as shipped (no DATABASE_URL, so a file
SQLite database opened with ``transaction_mode: IMMEDIATE``), migrated from scratch,
``THREADS`` threads POSTing the same therapist and slot at once. Prints a JSON summary.

pytest-django's SQLite test database lives in memory with a shared cache, where SQLite
locks tables instead of the file and a waiting writer fails at once instead of
honouring the busy timeout, so the race cannot be run inside the test process.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
THREADS = 10


def main() -> None:
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studiozens.settings")
    import django

    django.setup()
    import time_machine
    from django.core.management import call_command
    from django.db import connection

    from modules.booking.models import Appointment
    from tests.conftest import ApiClient
    from tests.factories import UserFactory
    from tests.modules.booking.conftest import NOW, TUESDAY, build_spa, iso

    database = connection.settings_dict
    assert connection.vendor == "sqlite", connection.vendor
    assert database["OPTIONS"].get("transaction_mode") == "IMMEDIATE", database["OPTIONS"]
    call_command("migrate", verbosity=0, interactive=False)
    with time_machine.travel(NOW, tick=False):
        spa = build_spa()
        clients = [ApiClient(UserFactory()) for _ in range(THREADS)]
        payload = {
            "service": "MASAJE-60",
            "start": iso(TUESDAY, 10),
            "therapist": str(spa.ana.public_id),
        }
        connection.close()
        barrier = threading.Barrier(THREADS)
        results: list[Any] = [None] * THREADS

        def book(i: int) -> None:
            try:
                barrier.wait()
                response = clients[i].post("/api/booking/appointments", payload)
                body = response.json()
                results[i] = [response.status_code, body.get("error", {}).get("code", "")]
            except Exception as exc:  # noqa: BLE001 - reported to the test
                results[i] = [0, repr(exc)]
            finally:
                connection.close()

        threads = [threading.Thread(target=book, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        summary = {
            "database": str(database["NAME"]),
            "results": results,
            "appointments": Appointment.objects.count(),
            "active_for_slot": Appointment.objects.filter(
                therapist=spa.ana, status__in=["PENDING_PAYMENT", "CONFIRMED"]
            ).count(),
        }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
