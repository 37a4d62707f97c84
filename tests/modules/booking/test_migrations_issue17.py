"""Issue 17: processing time (0005) and the waitlist (0006) lose no appointment.

The database is rolled back to booking 0004, filled through the historical models with
active and closed appointments, then migrated forward: every row and column is kept, the
new columns are empty (no processing phase: the therapist's busy range is the blocked range,
one active piece), and the replaced exclusion constraint still refuses an overlap of an old
row's blocked range. Then backwards and forwards again. Real commits: PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = [("booking", "0004_appointment_client_start_index")]
TZ = ZoneInfo("America/Bogota")
COLUMNS = (
    'id, public_id, client_id, service_id, therapist_id, room_id, start, "end", '
    "blocked_start, blocked_end, status, price_cents, deposit_cents, notes"
)


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _rows() -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {COLUMNS} FROM booking_appointment ORDER BY id")
        return list(cursor.fetchall())


def test_old_appointments_keep_their_rows_and_their_whole_blocked_range() -> None:
    latest = _latest()
    try:
        apps = _migrate(BEFORE)
        Service = apps.get_model("booking", "Service")
        Therapist = apps.get_model("booking", "Therapist")
        Appointment = apps.get_model("booking", "Appointment")
        service = Service.objects.create(
            code="OLD-60", name="Masaje", duration_minutes=60, price_cents=100
        )
        user = UserFactory()
        ana = Therapist.objects.create(user_id=UserFactory().id, code="ana", display_name="Ana")
        start = datetime(2030, 3, 5, 10, tzinfo=TZ)
        for n, status in enumerate(["CONFIRMED", "PENDING_PAYMENT", "CANCELLED", "COMPLETED"]):
            begin = start + timedelta(hours=2 * n)
            Appointment.objects.create(
                client_id=user.id,
                service=service,
                therapist=ana,
                start=begin,
                end=begin + timedelta(hours=1),
                blocked_start=begin,
                blocked_end=begin + timedelta(hours=1, minutes=15),
                status=status,
                price_cents=100,
                notes=f"nota {n}",
            )
        before = _rows()

        apps = _migrate(latest)
        assert _rows() == before
        Appointment = apps.get_model("booking", "Appointment")
        assert set(
            Appointment.objects.values_list("processing_start", "processing_end").distinct()
        ) == {(None, None)}
        assert set(
            apps.get_model("booking", "Service").objects.values_list(
                "processing_start_minutes", "processing_minutes"
            )
        ) == {(0, 0)}
        # The new therapist constraint sees an old row's whole blocked range (buffer too).
        first = Appointment.objects.get(status="CONFIRMED")
        clash = {
            f.attname: getattr(first, f.attname)
            for f in Appointment._meta.concrete_fields
            if f.name not in ("id", "public_id")
        }
        inside_buffer = start + timedelta(hours=1, minutes=5)
        clash.update(
            start=inside_buffer,
            end=inside_buffer + timedelta(minutes=30),
            blocked_start=inside_buffer,
            blocked_end=inside_buffer + timedelta(minutes=30),
        )
        with (
            pytest.raises(IntegrityError, match="booking_appt_no_therapist_overlap"),
            transaction.atomic(),
        ):
            Appointment.objects.create(**clash)

        # Backwards (to 0004) and forwards again keep every row.
        _migrate(BEFORE)
        assert _rows() == before
        _migrate(latest)
        assert _rows() == before
    finally:
        _migrate(latest)
