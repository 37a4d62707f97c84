"""One charge per fee on PostgreSQL with real threads: the staff's no-show and the beat's
fee run race on the same appointment; the Wompi fake (the in-process sandbox) counts the
transactions it was asked for. And every Wompi call of a fee is made with no transaction
of the code open (provider_guard)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from modules.booking import fees, services
from modules.booking.models import Appointment, AppointmentFee, GuaranteeConsent
from tests.conftest import ApiClient
from tests.factories import UserFactory
from tests.modules.booking.conftest import MONDAY, at, build_spa, iso
from tests.modules.booking.test_concurrency import _race
from tests.modules.booking.with_payments.fee_helpers import (
    card_service,
    client_with_card,
    fee_transactions,
)
from tests.modules.payments.conftest import _wompi_settings  # noqa: F401

HOURS = (10, 11, 12, 14, 15, 16)  # around the therapists' lunch
ROUNDS = len(HOURS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_staff_no_show_and_the_beat_give_one_charge(clock: Any, provider_calls: list) -> None:
    spa = build_spa()
    card_service(spa)
    staff = UserFactory(roles=["reception"])
    booked = []
    for hour in HOURS:
        client = client_with_card()
        response = ApiClient(client).post(
            "/api/booking/appointments",
            {"service": "MASAJE-GARANTIA", "start": iso(MONDAY, hour), "accept_policy": True},
        )
        assert response.status_code == 201, response.json()
        booked.append(Appointment.objects.get(public_id=response.json()["appointment"]["id"]))
    clock.move_to(at(MONDAY, 18))
    for appt in booked:

        def work(i: int, appt: Appointment = appt) -> Any:
            if i == 0:
                return services.mark_no_show(actor=staff, appointment=appt).status
            # A beat run now and again while the staff's request commits and charges.
            return [fees.run_due() for _ in range(10)]

        results = _race(3, work)  # the staff action and two beat runs at once
        assert not [r for r in results if isinstance(r, Exception)], results
        fee = AppointmentFee.objects.get(appointment=appt)
        assert fee.status == AppointmentFee.Status.CHARGED and fee.attempts == 1
    # The Wompi fake was asked once per appointment, never twice for one fee.
    references = [t["reference"] for t in fee_transactions()]
    assert len(references) == ROUNDS == len(set(references))
    assert sorted(references) == sorted(
        AppointmentFee.objects.values_list("payment_reference", flat=True)
    )
    charges = [d for p, op, d in provider_calls if p == "Wompi" and op == "POST /v1/transactions"]
    assert len(charges) == ROUNDS and set(charges) == {0}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_charges_of_one_due_fee_send_one_transaction(clock: Any) -> None:
    """The queued task, the beat and a retry all reach ``charge`` for one due fee at the
    same moment: the fee's row lock lets one open and send the attempt."""
    spa = build_spa()
    card_service(spa)
    client = client_with_card()
    response = ApiClient(client).post(
        "/api/booking/appointments",
        {"service": "MASAJE-GARANTIA", "start": iso(MONDAY, 10), "accept_policy": True},
    )
    assert response.status_code == 201, response.json()
    appt = Appointment.objects.get(public_id=response.json()["appointment"]["id"])
    clock.move_to(at(MONDAY, 12))
    Appointment.objects.filter(pk=appt.pk).update(status="NO_SHOW")
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appt.pk)
        fee = fees.decide(
            locked,
            AppointmentFee.Kind.NO_SHOW,
            consent=GuaranteeConsent.objects.get(appointment=appt),
            now=at(MONDAY, 12),
            charge_after_commit=False,
        )
    assert fee is not None
    results = _race(6, lambda i: fees.charge(fee.pk))
    assert sorted(results) == ["sent"] + ["skipped"] * 5, results
    assert len(fee_transactions()) == 1
    fee.refresh_from_db()
    assert (fee.status, fee.attempts) == (AppointmentFee.Status.CHARGED, 1)
