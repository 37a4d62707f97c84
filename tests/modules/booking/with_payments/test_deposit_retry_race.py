"""Deposit retries racing against PostgreSQL, after payments declined the first attempt."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from modules.booking.models import Appointment
from tests.conftest import ApiClient
from tests.factories import UserFactory
from tests.modules.booking.conftest import TUESDAY, build_spa, iso
from tests.modules.booking.test_concurrency import _race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_deposit_retries_open_one_attempt(clock: Any) -> None:
    """Eight retries after a decline at once: one new payment attempt, returned to all."""
    from modules.payments import settlement
    from modules.payments.models import Payment

    build_spa()
    owner = UserFactory()
    body = (
        ApiClient(owner)
        .post("/api/booking/appointments", {"service": "MASAJE-DEP", "start": iso(TUESDAY, 10)})
        .json()
    )
    appt_id, first = body["appointment"]["id"], body["checkout"]
    with transaction.atomic():
        settlement.apply_transaction(
            {
                "id": "tx-declined",
                "reference": first["reference"],
                "status": "DECLINED",
                "amount_in_cents": first["amount_in_cents"],
                "currency": "COP",
            },
            source="test",
        )
    clients = [ApiClient(owner) for _ in range(8)]

    def retry(i: int) -> Any:
        response = clients[i].post(f"/api/booking/appointments/{appt_id}/checkout")
        return response.status_code, response.json()

    results = _race(8, retry)
    assert [r[0] for r in results] == [200] * 8, results
    references = {r[1]["checkout"]["reference"] for r in results}
    assert len(references) == 1 and first["reference"] not in references
    attempts = Payment.objects.filter(purpose_ref=appt_id)
    assert sorted(attempts.values_list("status", flat=True)) == ["DECLINED", "PENDING"]
    assert Appointment.objects.get(public_id=appt_id).status == "PENDING_PAYMENT"
