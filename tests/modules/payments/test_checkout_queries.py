"""What opening a payment attempt costs in SQL: one INSERT without tenders (booking's
deposit and the shop's checkout open one per request)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from modules.payments import public as payments
from modules.payments.models import Payment

pytestmark = pytest.mark.django_db


def test_an_attempt_without_tenders_is_one_insert(user: Any) -> None:
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        checkout = payments.create_checkout(
            purpose="shop.order", ref="order-1", amount_cents=150_000, customer=user
        )
    assert [q["sql"].split()[0] for q in ctx.captured_queries] == ["INSERT"]
    assert Payment.objects.get(reference=checkout.reference).amount_cents == 150_000
    assert checkout.checkout_url


def test_a_refused_tender_leaves_no_attempt_and_the_transaction_usable(
    user: Any, fake_tenders: Any
) -> None:
    from tests.fake_tenders import KIND

    with transaction.atomic():
        with pytest.raises(payments.TenderRefused):
            payments.create_checkout(
                purpose="shop.order",
                ref="order-2",
                amount_cents=150_000,
                customer=user,
                tenders=[payments.TenderOffer(kind=KIND, code="NO-SUCH-CARD")],
            )
        assert not Payment.objects.filter(purpose_ref="order-2").exists()
