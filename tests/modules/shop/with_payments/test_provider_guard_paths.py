"""Issue 16 (3), the shop's path: a paid order cancelled by staff is refunded, and the void
reaches Wompi (the guarded in-process sandbox) only after the order's and the payment's row
locks are released."""

from __future__ import annotations

from typing import Any

import pytest

from modules.payments.models import Refund
from modules.shop import orders
from modules.shop.models import Order
from tests.factories import UserFactory
from tests.modules.payments.conftest import _wompi_settings  # noqa: F401
from tests.modules.payments.test_api_and_ops import _pay_in_sandbox
from tests.modules.shop.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def boundary() -> None:
    """Overrides the recording seam of conftest.py: real payments."""
    return None


def test_cancelling_a_paid_order_voids_at_wompi_outside_the_locks(
    api_as: Any,
    user: Any,
    provider_calls: list,
    django_capture_on_commit_callbacks: Any,
) -> None:
    product = ProductFactory(stock=3, price_cents=4_500_000)
    client = api_as(user)
    client.post("/api/shop/cart/items/", {"product_id": str(product.public_id)})
    body = client.post("/api/shop/checkout/", {"fulfilment": "pickup"}).json()
    with django_capture_on_commit_callbacks(execute=True):
        tx_id = _pay_in_sandbox(body["payment"]["checkout_url"], "4242424242424242")
    order = Order.objects.get(public_id=body["order"]["id"])
    assert order.status == "PAID"
    with django_capture_on_commit_callbacks(execute=True):
        orders.change_status(
            order.public_id, "CANCELLED", actor=UserFactory(roles=["reception"]), note="Sin stock"
        )
    order.refresh_from_db()
    assert order.status == "CANCELLED" and order.refund_requested
    assert Refund.objects.get().status == Refund.Status.VOIDED
    wompi = [(op, depth) for provider, op, depth in provider_calls if provider == "Wompi"]
    assert (f"POST /v1/transactions/{tx_id}/void", 0) in wompi
    assert all(depth == 0 for _op, depth in wompi)
