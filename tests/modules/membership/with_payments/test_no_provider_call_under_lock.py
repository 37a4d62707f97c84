"""Issue 16 (3): no Wompi call while a transaction holds row locks. VIP charges are
decided under the subscription's lock and sent (by payments' card on file) after commit.
The fake fails any call made inside a transaction. Real commits: no test transaction
around the code."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from modules.membership import services as vip
from modules.payments import card_on_file
from modules.payments.models import Payment
from modules.payments.wompi.gateway import WompiError, get_gateway
from tests.modules.membership.with_payments.test_vip import START, _subscribe
from tests.modules.payments.test_no_provider_call_under_lock import OutsideLocks

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def plan(transactional_db: Any) -> Any:
    return vip.ensure_default_plan()


def test_vip_subscribe_and_renewal_call_wompi_outside_the_lock(
    user: Any, plan: Any, monkeypatch: Any
) -> None:
    gateway = OutsideLocks(get_gateway())
    monkeypatch.setattr(card_on_file, "get_gateway", lambda: gateway)
    with time_machine.travel(START, tick=False):
        sub = _subscribe(user)
    sub.refresh_from_db()
    assert sub.status == "active"
    with time_machine.travel(sub.current_period_end, tick=False):
        assert vip.run_renewals()["charged"] == 1
    assert gateway.calls.count("create_source_transaction") == 2
    sub.refresh_from_db()
    assert sub.status == "active"
    renewal = Payment.objects.filter(kind="payment_source").order_by("-created_at").first()
    assert renewal.status == "APPROVED" and renewal.wompi_transaction_id


def test_vip_charge_refused_is_recorded_after_the_call(
    user: Any, plan: Any, monkeypatch: Any
) -> None:
    with time_machine.travel(START, tick=False):
        sub = _subscribe(user)
    sub.refresh_from_db()
    refused = WompiError("La fuente de pago no está disponible", status=422)
    gateway = OutsideLocks(get_gateway(), fail_with=refused)
    monkeypatch.setattr(card_on_file, "get_gateway", lambda: gateway)
    with time_machine.travel(sub.current_period_end, tick=False):
        assert vip.run_renewals()["charged"] == 1
    renewal = Payment.objects.filter(kind="payment_source").order_by("-created_at").first()
    assert renewal.status == "ERROR"
    sub.refresh_from_db()
    assert sub.status == "past_due" and sub.failed_attempts == 1
