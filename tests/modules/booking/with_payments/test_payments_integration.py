"""Through the real payments module (no stubs): checkout, settlement signal, refund."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction

from modules.booking import deposits
from modules.booking.models import Appointment, AppointmentStatus
from modules.payments import public as payments
from modules.payments import settlement
from modules.payments.models import Refund
from tests.factories import UserFactory
from tests.modules.booking.conftest import TUESDAY, iso


def _approve(checkout: dict[str, Any], capture: Any) -> None:
    tx = {
        "id": f"tx-{checkout['reference']}",
        "reference": checkout["reference"],
        "status": "APPROVED",
        "amount_in_cents": checkout["amount_in_cents"],
        "currency": "COP",
        "payment_method_type": "NEQUI",
    }
    with capture(execute=True), transaction.atomic():
        settlement.apply_transaction(tx, source="test")


def test_deposit_paid_through_payments_confirms(
    api_as: Any, spa: Any, client_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    response = api_as(client_user).post(
        "/api/booking/appointments", {"service": "MASAJE-DEP", "start": iso(TUESDAY, 10)}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    checkout = body["checkout"]
    assert checkout["amount_in_cents"] == 6_000_000 and checkout["currency"] == "COP"
    ref = body["appointment"]["id"]
    assert payments.payment_status(purpose="booking.appointment", ref=ref) == "PENDING"
    _approve(checkout, django_capture_on_commit_callbacks)
    appt = Appointment.objects.get(public_id=ref)
    assert appt.status == AppointmentStatus.CONFIRMED
    assert appt.payment_reference == checkout["reference"]


def test_late_settlement_after_slot_taken_is_refunded_by_payments(
    api_as: Any, spa: Any, client_user: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ana = str(spa.ana.public_id)
    body = (
        api_as(client_user)
        .post(
            "/api/booking/appointments",
            {"service": "MASAJE-DEP", "start": iso(TUESDAY, 10), "therapist": ana},
        )
        .json()
    )
    clock.shift(timedelta(minutes=25))
    deposits.expire_holds()
    taken = api_as(UserFactory()).post(
        "/api/booking/appointments",
        {"service": "MASAJE-DEP", "start": iso(TUESDAY, 10), "therapist": ana},
    )
    assert taken.status_code == 201
    _approve(body["checkout"], django_capture_on_commit_callbacks)
    appt = Appointment.objects.get(public_id=body["appointment"]["id"])
    assert appt.status == AppointmentStatus.EXPIRED and appt.refund_requested_at
    refund = Refund.objects.get(payment__purpose_ref=str(appt.public_id))
    assert refund.amount_cents == 6_000_000 and refund.reason == "slot_unavailable_after_expiry"
    active = Appointment.objects.filter(
        therapist=spa.ana, status__in=["PENDING_PAYMENT", "CONFIRMED"]
    )
    assert active.count() == 1
