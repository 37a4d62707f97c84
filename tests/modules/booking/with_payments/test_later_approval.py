"""Issue 14, booking's deposit: a declined payment followed by an approval of the same
reference confirms the visit once; an approval the visit no longer needs is refunded
(exactly that attempt, never the one that confirmed it). Through the signed webhook."""

from __future__ import annotations

from typing import Any

from modules.booking.models import Appointment, AppointmentStatus
from modules.payments.models import LedgerEntry, Payment, Refund
from tests.modules.booking.conftest import TUESDAY, iso

# Payments' autouse fixture: the sandbox adapter and the events secret the webhook checks.
from tests.modules.payments.conftest import _wompi_settings, deliver_status, tx_event  # noqa: F401

BOOK = {"service": "MASAJE-DEP", "start": iso(TUESDAY, 10)}


def _book(api_as: Any, client: Any) -> dict[str, Any]:
    response = api_as(client).post("/api/booking/appointments/", BOOK)
    assert response.status_code == 201, response.json()
    return response.json()


_event = deliver_status


def test_declined_then_approved_on_the_same_reference_confirms_once(
    api: Any, api_as: Any, spa: Any, client_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    body = _book(api_as, client_user)
    reference = body["checkout"]["reference"]
    capture = django_capture_on_commit_callbacks
    assert _event(api, reference, "DECLINED", "tx-1", capture) == "applied"
    appt = Appointment.objects.get(public_id=body["appointment"]["id"])
    assert appt.status == AppointmentStatus.PENDING_PAYMENT
    assert _event(api, reference, "APPROVED", "tx-2", capture) == "applied"
    assert _event(api, reference, "APPROVED", "tx-2", capture) == "duplicate"
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.CONFIRMED
    assert appt.payment_reference == reference and appt.deposit_paid_cents == 6_000_000
    assert appt.events.filter(kind="payment_settled").count() == 1
    assert LedgerEntry.objects.filter(kind="charge").count() == 1
    assert not Refund.objects.exists()


def test_an_old_attempt_approved_after_a_retry_paid_is_refunded(
    api: Any, api_as: Any, spa: Any, client_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    body = _book(api_as, client_user)
    appt_id, first = body["appointment"]["id"], body["checkout"]["reference"]
    _event(api, first, "DECLINED", "tx-1", capture)
    retry = api_as(client_user).post(f"/api/booking/appointments/{appt_id}/checkout/")
    second = retry.json()["checkout"]["reference"]
    assert _event(api, second, "APPROVED", "tx-2", capture) == "applied"
    # The client had also paid again on the first link.
    assert _event(api, first, "APPROVED", "tx-3", capture) == "applied"
    appt = Appointment.objects.get(public_id=appt_id)
    assert appt.status == AppointmentStatus.CONFIRMED
    assert appt.payment_reference == second  # the confirming payment stays
    refund = Refund.objects.get()
    assert refund.payment.reference == first and refund.reason == "duplicate_payment"
    assert Payment.objects.get(reference=second).refunds.count() == 0
