"""Issue 16 (3): no Wompi call while a transaction holds row locks. Refunds are decided
under the payment's lock and voided after commit (VIP charges: tests/modules/membership).
The fakes fail any call made inside a transaction. Real commits: no test transaction
around the code."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from modules.payments import refunds
from modules.payments.models import Payment, Refund
from modules.payments.wompi.gateway import get_gateway

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class OutsideLocks:
    """Wraps the sandbox gateway; every call asserts no transaction is open."""

    def __init__(self, inner: Any, fail_with: Exception | None = None) -> None:
        self.inner, self.fail_with, self.calls = inner, fail_with, []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            assert not connection.in_atomic_block, f"Wompi {name} inside a transaction"
            self.calls.append(name)
            if self.fail_with is not None and name == "create_source_transaction":
                raise self.fail_with
            return method(*args, **kwargs)

        return call


def test_refund_voids_after_commit(user: Any, monkeypatch: Any) -> None:
    from modules.payments.public import create_checkout
    from tests.modules.payments.test_api_and_ops import _pay_in_sandbox

    dto = create_checkout(purpose="demo.order", ref="x-1", amount_cents=90_000, customer=user)
    _pay_in_sandbox(dto.checkout_url, "4242424242424242")
    gateway = OutsideLocks(get_gateway())
    monkeypatch.setattr(refunds, "get_gateway", lambda: gateway)
    refund = refunds.request_refund(purpose="demo.order", ref="x-1", reason="Sin stock")
    assert gateway.calls == ["void_transaction"]
    assert refund.status == Refund.Status.VOIDED
    assert Payment.objects.get(reference=dto.reference).status == "VOIDED"


def test_a_purpose_handler_refunding_voids_after_the_delivery_commits(
    user: Any, monkeypatch: Any, outcome_listeners: list[Any], refunded_spy: Any
) -> None:
    """The outbox runs a handler inside the transaction that marks its outcome delivered
    (the outcome row locked): a refund the handler asks for reaches Wompi only after that
    commit, and its PaymentRefunded follows through the outbox."""
    from modules.payments.public import PaymentSettled, create_checkout, request_refund
    from tests.modules.payments.test_api_and_ops import _pay_in_sandbox

    gateway = OutsideLocks(get_gateway())
    monkeypatch.setattr(refunds, "get_gateway", lambda: gateway)

    def refuse(outcome: Any) -> None:  # a purpose that can no longer fulfil
        if isinstance(outcome, PaymentSettled):
            assert connection.in_atomic_block
            request_refund(
                purpose=outcome.purpose,
                ref=outcome.ref,
                reason="Sin cupo",
                payment_reference=outcome.payment_reference,
            )

    outcome_listeners.append(refuse)
    dto = create_checkout(purpose="demo.order", ref="x-2", amount_cents=90_000, customer=user)
    _pay_in_sandbox(dto.checkout_url, "4242424242424242")
    assert gateway.calls == ["void_transaction"]
    payment = Payment.objects.get(reference=dto.reference)
    assert payment.status == "VOIDED"
    assert [o.payment_reference for o in refunded_spy.outcomes] == [dto.reference]
    assert payment.outcomes.filter(delivered_at__isnull=True).count() == 0
