"""Issue 16 (3), payments' paths through the guarded sandbox: every Wompi call goes through
the in-process sandbox, which refuses a call made inside a transaction the code opened
(platform_core.provider_guard). Each test first proves the calls happened, with no
transaction of the code open at that moment (the test's own transaction is the baseline)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from modules.payments import payouts, refunds
from modules.payments.models import Payment, Payout, Refund
from modules.payments.wompi.gateway import get_gateway
from platform_core import provider_guard
from tests.modules.payments.test_api_and_ops import _pay_in_sandbox
from tests.modules.payments.test_payouts_and_misc import _commission, payout_settings  # noqa: F401

pytestmark = pytest.mark.django_db


def _wompi(calls: list[tuple[str, str, int]]) -> list[tuple[str, int]]:
    return [(operation, depth) for provider, operation, depth in calls if provider == "Wompi"]


def test_the_sandbox_refuses_a_call_under_a_row_lock(user: Any) -> None:
    from modules.payments.public import create_checkout

    dto = create_checkout(purpose="demo.order", ref="lock-1", amount_cents=90_000, customer=user)
    with transaction.atomic():
        Payment.objects.select_for_update().get(reference=dto.reference)
        with pytest.raises(provider_guard.ProviderCallUnderLock, match="Wompi GET"):
            get_gateway().find_transactions(dto.reference)
    provider_guard.clear_violations()


def test_refund_is_voided_at_wompi_after_the_payment_lock_is_released(
    user: Any, provider_calls: list, django_capture_on_commit_callbacks: Any
) -> None:
    from modules.payments.public import create_checkout

    dto = create_checkout(purpose="demo.order", ref="x-1", amount_cents=90_000, customer=user)
    with django_capture_on_commit_callbacks(execute=True):  # Wompi's event, after commit
        tx_id = _pay_in_sandbox(dto.checkout_url, "4242424242424242")
    with django_capture_on_commit_callbacks(execute=True):  # decided, committed, then voided
        refund = refunds.request_refund(purpose="demo.order", ref="x-1", reason="Sin stock")
    refund.refresh_from_db()
    assert refund.status == Refund.Status.VOIDED
    assert (f"POST /v1/transactions/{tx_id}/void", 0) in _wompi(provider_calls)
    assert all(depth == 0 for _op, depth in _wompi(provider_calls))


def test_payouts_are_sent_and_polled_outside_the_payout_lock(
    payout_settings: Any,  # noqa: F811
    provider_calls: list,
) -> None:
    _commission(2000)
    payouts.disperse()
    payout = Payout.objects.get()
    assert payout.status == "TOTAL_PAYMENT" and payout.attempts == 1
    operations = [op for op, _depth in _wompi(provider_calls)]
    assert operations[:2] == ["GET /payouts/v1/payouts", "POST /payouts/v1/payouts"]
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.PENDING)
    assert payouts.refresh_payouts() == 1
    assert _wompi(provider_calls)[-1] == (f"GET /payouts/v1/payouts/{payout.provider_id}", 0)
    assert all(depth == 0 for _op, depth in _wompi(provider_calls))
