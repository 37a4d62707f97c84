"""Issue 16 (3), booking's path: cancelling a paid booking in the refund window voids the
deposit at Wompi (the guarded in-process sandbox) only after the appointment's and the
payment's row locks are released. Runs on SQLite and PostgreSQL: the test's own transaction
is the guard's baseline."""

from __future__ import annotations

from typing import Any

import pytest

from modules.booking.models import Appointment
from modules.payments.models import Refund
from tests.modules.booking.conftest import TUESDAY, iso
from tests.modules.payments.conftest import _wompi_settings  # noqa: F401
from tests.modules.payments.test_api_and_ops import _pay_in_sandbox

pytestmark = pytest.mark.django_db


def test_cancel_in_window_voids_the_deposit_outside_the_locks(
    api_as: Any,
    spa: Any,
    client_user: Any,
    provider_calls: list,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = api_as(client_user)
    body = client.post(
        "/api/booking/appointments/", {"service": "MASAJE-DEP", "start": iso(TUESDAY, 10)}
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        tx_id = _pay_in_sandbox(body["checkout"]["checkout_url"], "4242424242424242")
    appt_id = body["appointment"]["id"]
    assert Appointment.objects.get(public_id=appt_id).status == "CONFIRMED"
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = client.post(f"/api/booking/appointments/{appt_id}/cancel/", {})
    assert cancelled.status_code == 200, cancelled.json()
    assert cancelled.json()["refund_requested"] is True
    assert Refund.objects.get().status == Refund.Status.VOIDED
    wompi = [(op, depth) for provider, op, depth in provider_calls if provider == "Wompi"]
    assert (f"POST /v1/transactions/{tx_id}/void", 0) in wompi
    assert all(depth == 0 for _op, depth in wompi)
