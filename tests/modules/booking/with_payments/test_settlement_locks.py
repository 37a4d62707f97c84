"""Settling a deposit locks the appointment row only (lock order vs. bookings)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from modules.booking.models import Appointment, AppointmentStatus
from tests.modules.booking.conftest import TUESDAY, iso
from tests.modules.booking.with_payments.test_payments_integration import _approve


@pytest.mark.postgres
def test_settlement_locks_only_the_appointment(
    api_as: Any, spa: Any, client_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # A booking locks therapists, then writes the appointment; a settlement that also
    # locked the joined therapist row (plain FOR UPDATE over a join) took them in the
    # opposite order and deadlocked under concurrent deposits.
    body = (
        api_as(client_user)
        .post("/api/booking/appointments", {"service": "MASAJE-DEP", "start": iso(TUESDAY, 10)})
        .json()
    )
    with CaptureQueriesContext(connection) as queries:
        _approve(body["checkout"], django_capture_on_commit_callbacks)
    locking = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"] and "booking_" in q["sql"]]
    assert locking, "the settlement must lock the appointment"
    appointment_locks = [sql for sql in locking if 'FROM "booking_appointment"' in sql]
    assert appointment_locks
    assert all('FOR UPDATE OF "booking_appointment"' in sql for sql in appointment_locks)
    appt = Appointment.objects.get(public_id=body["appointment"]["id"])
    assert appt.status == AppointmentStatus.CONFIRMED
