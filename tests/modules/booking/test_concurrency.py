"""Real threads racing against PostgreSQL: the database decides, never the code."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from modules.booking import reminders, services
from modules.booking.models import Appointment, AppointmentReminder, AppointmentStatus
from platform_core.models import Notification
from tests.conftest import ApiClient
from tests.factories import UserFactory
from tests.modules.booking.conftest import TUESDAY, at, build_spa, iso, staff_book

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(n: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported to the assertion
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_twenty_threads_one_slot(clock: Any) -> None:
    spa = build_spa()
    clients = [ApiClient(UserFactory()) for _ in range(20)]
    payload = {
        "service": "MASAJE-60",
        "start": iso(TUESDAY, 10),
        "therapist": str(spa.ana.public_id),
    }

    def book(i: int) -> Any:
        response = clients[i].post("/api/booking/appointments", payload)
        return response.status_code, response.json()

    results = _race(20, book)
    statuses = sorted(r[0] for r in results)
    assert statuses == [201] + [409] * 19, results
    assert all(r[1]["error"]["code"] == "slot_taken" for r in results if r[0] == 409)
    assert Appointment.objects.count() == 1


def test_exclusion_constraints_reject_overlaps_without_the_locks(clock: Any) -> None:
    """Even code that skips the service layer cannot store an overlap."""
    spa = build_spa()
    first = staff_book(at(TUESDAY, 10), therapist=spa.ana)

    def clone(**changes: Any) -> Appointment:
        data = {
            f.attname: getattr(first, f.attname)
            for f in Appointment._meta.concrete_fields
            if f.name not in ("id", "public_id")
        }
        data.update(changes)
        return Appointment(**data)

    buffered = at(TUESDAY, 11, 10)  # inside the 15-minute buffer after
    for changes in (
        {"therapist_id": spa.ana.pk, "room_id": None},  # same therapist
        {"therapist_id": spa.beto.pk},  # same room
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            clone(
                start=buffered,
                end=buffered + timedelta(hours=1),
                blocked_start=buffered,
                blocked_end=buffered + timedelta(hours=1),
                **changes,
            ).save()
    # Half-open ranges: starting exactly when the blocked range ends is fine,
    # and inactive rows never conflict.
    edge = at(TUESDAY, 11, 15)
    clone(
        start=edge,
        end=edge + timedelta(hours=1),
        blocked_start=edge,
        blocked_end=edge + timedelta(hours=1),
    ).save()
    clone(status=AppointmentStatus.CANCELLED).save()


def test_reminder_sent_once_when_beat_runs_twice_at_once(clock: Any) -> None:
    spa = build_spa()
    appt = staff_book(at(TUESDAY, 10), therapist=spa.ana)
    Appointment.objects.filter(pk=appt.pk).update(created_at=at(TUESDAY, 10) - timedelta(days=3))
    clock.move_to(at(TUESDAY, 10) - timedelta(hours=23))
    results = _race(6, lambda i: reminders.send_due_reminders())
    assert sorted(results) == [0, 0, 0, 0, 0, 1], results
    assert Notification.objects.filter(template="booking_reminder").count() == 1
    assert AppointmentReminder.objects.get().hours == 24


def test_constraint_violation_maps_to_slot_taken(clock: Any) -> None:
    from modules.booking.errors import SlotTaken

    spa = build_spa()
    first = staff_book(at(TUESDAY, 10), therapist=spa.ana)
    twin = Appointment.objects.get(pk=first.pk)
    twin.pk, twin.public_id = None, uuid.uuid4()
    # Inside the caller's block (save_guarded has no savepoint of its own): SlotTaken
    # leaving it rolls the attempt back and the transaction stays usable.
    with pytest.raises(SlotTaken), transaction.atomic():
        services.save_guarded(twin)
    assert Appointment.objects.count() == 1
