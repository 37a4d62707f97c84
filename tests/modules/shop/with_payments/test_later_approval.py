"""Issue 14, the shop: a declined order can be paid again (POST /orders/{id}/checkout,
booking's semantics), a later approval of a declined reference pays the order once, and
an approval the order no longer needs is refunded. Real payments, signed webhook."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from modules.payments import settlement
from modules.payments.models import LedgerEntry, Payment, Refund
from modules.shop.models import Order, OrderStatus
from tests.factories import UserFactory
from tests.modules.payments.conftest import _wompi_settings, deliver_status, tx_event  # noqa: F401
from tests.modules.shop.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def boundary() -> None:
    """Overrides the recording seam of conftest.py: real payments and notifications."""
    return None


def _order(api_as: Any, user: Any) -> tuple[Order, str]:
    client = api_as(user)
    product = ProductFactory(stock=5, price_cents=4_500_000)
    client.post("/api/shop/cart/items/", {"product_id": str(product.public_id), "quantity": 1})
    response = client.post("/api/shop/checkout/", {"fulfilment": "pickup"})
    assert response.status_code == 201, response.content
    body = response.json()
    return Order.objects.get(public_id=body["order"]["id"]), body["payment"]["reference"]


_event = deliver_status


def _retry(api_as: Any, user: Any, order: Order) -> Any:
    return api_as(user).post(f"/api/shop/orders/{order.public_id}/checkout/")


def test_declined_then_approved_on_the_same_reference_pays_once(
    api: Any, api_as: Any, user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    order, reference = _order(api_as, user)
    assert _event(api, reference, "DECLINED", "tx-1", capture) == "applied"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert _event(api, reference, "APPROVED", "tx-2", capture) == "applied"
    assert _event(api, reference, "APPROVED", "tx-2", capture) == "duplicate"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.payment_reference == reference
    assert order.history.filter(to_status="PAID").count() == 1
    assert LedgerEntry.objects.filter(kind="charge").count() == 1
    assert not Refund.objects.exists()


def test_retry_path_after_a_decline(
    api: Any, api_as: Any, user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    order, first = _order(api_as, user)
    # While the first attempt is pending, the same attempt comes back.
    same = _retry(api_as, user, order)
    assert same.status_code == 200, same.json()
    assert same.json()["payment"]["reference"] == first
    assert same.json()["order"]["status"] == "PENDING_PAYMENT"

    _event(api, first, "DECLINED", "tx-1", capture)
    retry = _retry(api_as, user, order)
    assert retry.status_code == 200
    second = retry.json()["payment"]
    assert second["reference"] != first
    assert second["amount_in_cents"] == order.total_cents
    assert second["checkout_url"].startswith("http")
    expires = Payment.objects.get(reference=second["reference"]).expires_at
    assert abs((expires - order.expires_at).total_seconds()) < 0.001  # expires with the hold
    assert _retry(api_as, user, order).json()["payment"]["reference"] == second["reference"]
    assert Payment.objects.filter(purpose_ref=str(order.public_id)).count() == 2

    assert _event(api, second["reference"], "APPROVED", "tx-2", capture) == "applied"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    paid = _retry(api_as, user, order)
    assert paid.status_code == 409 and paid.json()["error"]["code"] == "order_not_payable"
    assert paid.json()["error"]["message"] == "Este pedido ya no está pendiente de pago."

    # The client had also paid again on the first link: that money goes back.
    assert _event(api, first, "APPROVED", "tx-3", capture) == "applied"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.payment_reference == second["reference"]
    refund = Refund.objects.get()
    assert refund.payment.reference == first and refund.reason == "Pago duplicado del pedido"
    assert order.history.filter(note__startswith="Pago duplicado").count() == 1


def test_retry_refusals(api: Any, api_as: Any, user: Any, django_capture_on_commit_callbacks: Any):
    order, reference = _order(api_as, user)
    stranger = _retry(api_as, UserFactory(), order)
    assert stranger.status_code == 404
    assert stranger.json()["error"]["code"] == "order_not_found"
    reception = UserFactory(roles=["reception"])
    assert _retry(api_as, reception, order).status_code == 200  # staff may send the link
    # Approved but its settlement has not run yet: a new attempt would charge twice.
    tx = tx_event(Payment.objects.get(reference=reference), "APPROVED", tx_id="tx-1")
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        settlement.apply_transaction(tx["data"]["transaction"], source="test")
    being = _retry(api_as, user, order)
    assert being.status_code == 409
    assert being.json()["error"]["code"] == "payment_being_confirmed"


def test_retry_after_the_hold_is_refused(api_as: Any, user: Any, settings: Any) -> None:
    order, _ = _order(api_as, user)
    later = timezone.now() + timedelta(minutes=settings.ORDER_HOLD_MINUTES + 1)
    with time_machine.travel(later):
        due = _retry(api_as, user, order)  # not yet swept by the beat
        assert due.status_code == 409 and due.json()["error"]["code"] == "order_expired"
        from modules.shop.orders import expire_overdue_orders

        expire_overdue_orders()
        swept = _retry(api_as, user, order)
    assert swept.status_code == 409 and swept.json()["error"]["code"] == "order_expired"
    assert Payment.objects.filter(purpose_ref=str(order.public_id)).count() == 1


def test_two_late_payments_of_an_expired_order_are_both_refunded(
    api: Any, api_as: Any, user: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    order, first = _order(api_as, user)
    _event(api, first, "DECLINED", "tx-1", capture)
    second = _retry(api_as, user, order).json()["payment"]["reference"]
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.ORDER_HOLD_MINUTES + 1)):
        from modules.shop.orders import expire_overdue_orders

        expire_overdue_orders()
        _event(api, second, "APPROVED", "tx-2", capture)
        _event(api, first, "APPROVED", "tx-3", capture)
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    refunded = sorted(Refund.objects.values_list("payment__reference", flat=True))
    assert refunded == sorted([first, second])
