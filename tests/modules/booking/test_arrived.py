"""ARRIVED: the client is at the spa. It sits between CONFIRMED and COMPLETED and keeps
the slot (availability and the exclusion constraints)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from modules.booking import services
from modules.booking.errors import InvalidTransition, NotCancellable
from modules.booking.models import Appointment, AppointmentEvent, AppointmentStatus
from tests.modules.booking.conftest import MONDAY, TUESDAY, at, staff_book


def test_check_in_then_complete(spa: Any, reception: Any, clock: Any) -> None:
    appt = staff_book(at(MONDAY, 10), therapist=spa.ana)
    clock.move_to(at(MONDAY, 9, 50))
    arrived = services.check_in(actor=reception, appointment=appt)
    assert arrived.status == AppointmentStatus.ARRIVED and arrived.arrived_at is not None
    event = AppointmentEvent.objects.get(appointment=appt, kind="arrived")
    assert (event.from_status, event.to_status, event.actor) == ("CONFIRMED", "ARRIVED", reception)
    with pytest.raises(InvalidTransition):
        services.check_in(actor=reception, appointment=appt)  # once
    with pytest.raises(InvalidTransition):
        services.mark_no_show(actor=reception, appointment=appt)  # they came
    with pytest.raises(NotCancellable):
        services.cancel_appointment(actor=reception, appointment=appt, by_spa=True)
    with pytest.raises(InvalidTransition):
        services.reschedule_appointment(actor=reception, appointment=appt, start=at(MONDAY, 15))
    clock.move_to(at(MONDAY, 11))
    done = services.mark_completed(actor=reception, appointment=arrived)
    assert done.status == AppointmentStatus.COMPLETED


def test_check_in_only_on_the_day_and_before_the_end(spa: Any, reception: Any, clock: Any) -> None:
    tomorrow = staff_book(at(TUESDAY, 10), therapist=spa.ana)
    with pytest.raises(InvalidTransition):
        services.check_in(actor=reception, appointment=tomorrow)
    today = staff_book(at(MONDAY, 10), therapist=spa.ana)
    clock.move_to(at(MONDAY, 11, 1))
    with pytest.raises(InvalidTransition):
        services.check_in(actor=reception, appointment=today)
    assert Appointment.objects.get(pk=today.pk).status == AppointmentStatus.CONFIRMED


def test_an_arrived_client_keeps_the_slot(spa: Any, reception: Any, clock: Any) -> None:
    appt = staff_book(at(MONDAY, 10), therapist=spa.ana)
    clock.move_to(at(MONDAY, 9, 55))
    services.check_in(actor=reception, appointment=appt)
    from modules.booking.errors import SlotTaken

    with pytest.raises(SlotTaken):
        staff_book(at(MONDAY, 10), therapist=spa.ana)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraints")
def test_exclusion_constraint_covers_arrived(spa: Any, reception: Any, clock: Any) -> None:
    appt = staff_book(at(MONDAY, 10), therapist=spa.ana)
    Appointment.objects.filter(pk=appt.pk).update(status=AppointmentStatus.ARRIVED)
    twin = Appointment.objects.get(pk=appt.pk)
    twin.pk, twin.public_id, twin.room = None, None, None
    import uuid

    twin.public_id = uuid.uuid4()
    twin.status = AppointmentStatus.CONFIRMED
    twin.start += timedelta(minutes=15)
    twin.end += timedelta(minutes=15)
    twin.blocked_start += timedelta(minutes=15)
    twin.blocked_end += timedelta(minutes=15)
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
