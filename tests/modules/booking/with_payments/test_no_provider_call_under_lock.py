"""Issue 16 (3): cancelling a paid booking voids the deposit at Wompi only after the
appointment's and the payment's row locks are released (the fake fails the call inside
a transaction). Real commits: no test transaction around the code."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from modules.booking.models import Appointment
from modules.payments import refunds, settlement
from modules.payments.models import Payment, Refund
from tests.modules.booking.conftest import TUESDAY, iso
from tests.modules.payments.conftest import _wompi_settings  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class OutsideLocksGateway:
    """Wompi fake: refuses to be called while a transaction (and so a row lock) is open."""

    def __init__(self) -> None:
        self.voided: list[str] = []

    def void_transaction(self, transaction_id: str) -> dict[str, Any]:
        assert not connection.in_atomic_block, "Wompi called inside a transaction"
        self.voided.append(transaction_id)
        return {"data": {"status": "APPROVED"}}


def test_cancel_in_window_voids_after_commit(
    api_as: Any, spa: Any, client_user: Any, monkeypatch: Any
) -> None:
    gateway = OutsideLocksGateway()
    monkeypatch.setattr(refunds, "get_gateway", lambda: gateway)
    client = api_as(client_user)
    body = client.post(
        "/api/booking/appointments/", {"service": "MASAJE-DEP", "start": iso(TUESDAY, 10)}
    ).json()
    checkout = body["checkout"]
    tx = {
        "id": "tx-card-1",
        "reference": checkout["reference"],
        "status": "APPROVED",
        "amount_in_cents": checkout["amount_in_cents"],
        "currency": "COP",
        "payment_method_type": "CARD",
    }
    with transaction.atomic():
        settlement.apply_transaction(tx, source="test")
    appt_id = body["appointment"]["id"]
    assert Appointment.objects.get(public_id=appt_id).status == "CONFIRMED"

    cancelled = client.post(f"/api/booking/appointments/{appt_id}/cancel/", {})
    assert cancelled.status_code == 200, cancelled.json()
    assert cancelled.json()["refund_requested"] is True
    assert gateway.voided == ["tx-card-1"]
    assert Refund.objects.get().status == "voided"
    assert Payment.objects.get(reference=checkout["reference"]).status == "VOIDED"
