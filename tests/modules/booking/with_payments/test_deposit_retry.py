"""A declined deposit can be paid again while the hold lasts (real payments module)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from modules.booking import deposits
from modules.booking.models import Appointment, AppointmentStatus
from modules.payments import settlement
from modules.payments.models import Payment
from tests.factories import UserFactory
from tests.modules.booking.conftest import TUESDAY, iso

BOOK = {"service": "MASAJE-DEP", "start": iso(TUESDAY, 10)}


def _apply(checkout: dict[str, Any], status: str, capture: Any, *, execute: bool = True) -> None:
    """Wompi reports a transaction for this checkout (signals run on commit)."""
    tx = {
        "id": f"tx-{checkout['reference']}",
        "reference": checkout["reference"],
        "status": status,
        "amount_in_cents": checkout["amount_in_cents"],
        "currency": "COP",
        "payment_method_type": "CARD",
    }
    with capture(execute=execute), transaction.atomic():
        settlement.apply_transaction(tx, source="test")


def _book(api_as: Any, client: Any, therapist: Any = None) -> dict[str, Any]:
    payload = {**BOOK, "therapist": str(therapist.public_id)} if therapist else BOOK
    response = api_as(client).post("/api/booking/appointments", payload)
    assert response.status_code == 201, response.json()
    return response.json()


def _checkout(api_as: Any, user: Any, appointment_id: str) -> Any:
    return api_as(user).post(f"/api/booking/appointments/{appointment_id}/checkout")


def test_declined_deposit_retried_then_approved_confirms(
    api_as: Any, spa: Any, client_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    body = _book(api_as, client_user, spa.ana)
    appt_id, first = body["appointment"]["id"], body["checkout"]
    hold = body["appointment"]["hold_expires_at"]

    # While the first attempt is pending, the same checkout comes back (no new attempt).
    again = _checkout(api_as, client_user, appt_id)
    assert again.status_code == 200, again.json()
    assert again.json()["checkout"] == first

    _apply(first, "DECLINED", django_capture_on_commit_callbacks)
    appt = Appointment.objects.get(public_id=appt_id)
    # A decline neither cancels nor shortens the hold, and the slot stays taken.
    assert appt.status == AppointmentStatus.PENDING_PAYMENT
    assert appt.hold_expires_at == parse_datetime(hold)
    assert appt.events.filter(kind="payment_failed", note__startswith="DECLINED").exists()
    assert deposits.expire_holds() == 0
    rival = api_as(UserFactory()).post(
        "/api/booking/appointments", {**BOOK, "therapist": str(spa.ana.public_id)}
    )
    assert rival.status_code == 409 and rival.json()["error"]["code"] == "slot_taken"

    retry = _checkout(api_as, client_user, appt_id)
    assert retry.status_code == 200, retry.json()
    second = retry.json()["checkout"]
    assert second["reference"] != first["reference"]
    assert second["amount_in_cents"] == first["amount_in_cents"] == 6_000_000
    assert second["status"] == "PENDING"
    assert second["expiration_time"] == first["expiration_time"]  # expires with the hold
    assert retry.json()["appointment"]["status"] == "PENDING_PAYMENT"
    # Asking again returns that open attempt instead of opening a third one.
    assert _checkout(api_as, client_user, appt_id).json()["checkout"] == second
    attempts = Payment.objects.filter(purpose="booking.appointment", purpose_ref=appt_id)
    assert sorted(attempts.values_list("status", flat=True)) == ["DECLINED", "PENDING"]
    assert attempts.get(status="PENDING").expires_at == appt.hold_expires_at.replace(
        microsecond=appt.hold_expires_at.microsecond // 1000 * 1000
    )

    _apply(second, "APPROVED", django_capture_on_commit_callbacks)
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.CONFIRMED
    assert appt.payment_reference == second["reference"]
    assert appt.deposit_paid_cents == 6_000_000 and appt.hold_expires_at is None
    assert appt.checkout == {}  # the client's contact data in the URL is not kept
    done = _checkout(api_as, client_user, appt_id)
    assert done.status_code == 409 and done.json()["error"]["code"] == "deposit_not_due"


def test_error_status_also_allows_a_retry(
    api_as: Any, spa: Any, client_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    body = _book(api_as, client_user)
    _apply(body["checkout"], "ERROR", django_capture_on_commit_callbacks)
    retry = _checkout(api_as, client_user, body["appointment"]["id"])
    assert retry.status_code == 200
    assert retry.json()["checkout"]["reference"] != body["checkout"]["reference"]


def test_only_the_owner_or_reception(
    api_as: Any, spa: Any, client_user: Any, reception: Any
) -> None:
    body = _book(api_as, client_user, spa.ana)
    appt_id = body["appointment"]["id"]
    other = _checkout(api_as, UserFactory(roles=["client"]), appt_id)
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "appointment_not_found"
    assert _checkout(api_as, UserFactory(), "not-a-uuid").status_code == 404
    assert _checkout(api_as, spa.ana.user, appt_id).status_code == 403  # performs it
    staff = _checkout(api_as, reception, appt_id)
    assert staff.status_code == 200 and staff.json()["checkout"] == body["checkout"]
    assert Payment.objects.filter(purpose_ref=appt_id).count() == 1


def test_after_the_hold_expired_is_a_clear_conflict(
    api_as: Any, spa: Any, client_user: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    body = _book(api_as, client_user)
    appt_id = body["appointment"]["id"]
    _apply(body["checkout"], "DECLINED", django_capture_on_commit_callbacks)
    clock.shift(timedelta(minutes=21))  # past APPOINTMENT_HOLD_MINUTES, beat not run yet
    late = _checkout(api_as, client_user, appt_id)
    assert late.status_code == 409, late.json()
    error = late.json()["error"]
    assert error["code"] == "hold_expired" and "reserva de nuevo" in error["message"]
    assert deposits.expire_holds() == 1
    expired = _checkout(api_as, client_user, appt_id)
    assert expired.status_code == 409 and expired.json()["error"]["code"] == "hold_expired"
    assert Payment.objects.filter(purpose_ref=appt_id).count() == 1
    assert Appointment.objects.get(public_id=appt_id).checkout == {}


def test_approved_but_not_yet_applied_opens_no_second_attempt(
    api_as: Any, spa: Any, client_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    body = _book(api_as, client_user)
    appt_id = body["appointment"]["id"]
    # The payment is approved but booking's receiver has not run yet.
    _apply(body["checkout"], "APPROVED", django_capture_on_commit_callbacks, execute=False)
    assert Appointment.objects.get(public_id=appt_id).status == "PENDING_PAYMENT"
    response = _checkout(api_as, client_user, appt_id)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "deposit_being_confirmed"
    assert Payment.objects.filter(purpose_ref=appt_id).count() == 1


def test_nothing_owed_without_a_deposit(api_as: Any, spa: Any, client_user: Any) -> None:
    response = api_as(client_user).post(
        "/api/booking/appointments", {"service": "MASAJE-60", "start": iso(TUESDAY, 10)}
    )
    assert response.json()["checkout"] is None
    appt_id = response.json()["appointment"]["id"]
    nothing = _checkout(api_as, client_user, appt_id)
    assert nothing.status_code == 409 and nothing.json()["error"]["code"] == "deposit_not_due"
