"""The real path: shop -> payments (sandbox Wompi, signed webhook) -> shop, and real
notifications (outbox + in-memory adapter). Nothing is patched at the shop's seam."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from modules.shop import cart, checkout, inventory, orders
from modules.shop.models import Order, OrderStatus
from platform_core.notifications import clear_sent_messages, sent_messages
from tests.factories import UserFactory

# Payments' own autouse fixture configures the sandbox Wompi adapter and secrets.
from tests.modules.payments.conftest import _wompi_settings, post_event, tx_event  # noqa: F401
from tests.modules.shop.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def boundary() -> None:
    """Overrides the recording seam of conftest.py: real payments and notifications."""
    return None


@pytest.fixture(autouse=True)
def _sent_cleared() -> None:
    clear_sent_messages()


def _checkout(api_as, user, product, qty=1) -> tuple[Order, Any]:
    from modules.payments.models import Payment

    client = api_as(user)
    client.post("/api/shop/cart/items", {"product_id": str(product.public_id), "quantity": qty})
    response = client.post("/api/shop/checkout", {"fulfilment": "pickup"})
    assert response.status_code == 201, response.content
    body = response.json()
    payment = Payment.objects.get(reference=body["payment"]["reference"])
    return Order.objects.get(public_id=body["order"]["id"]), payment


def test_wompi_approval_marks_order_paid_and_whatsapps_client(
    api, api_as, user, django_capture_on_commit_callbacks
):
    product = ProductFactory(stock=5, price_cents=4_500_000)
    order, payment = _checkout(api_as, user, product, qty=2)
    assert (payment.purpose, payment.purpose_ref) == ("shop.order", str(order.public_id))
    assert payment.amount_cents == order.total_cents == 9_000_000
    assert order.checkout_url.startswith("http")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(api, tx_event(payment, "APPROVED"))
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.payment_reference == payment.reference
    bodies = [m["body"] for m in sent_messages() if m["to"].endswith(user.phone_number[-10:])]
    assert any("confirmamos el pago" in b and "$ 90.000" in b for b in bodies), sent_messages()


def test_approval_after_shop_expiry_is_refunded_not_fulfilled(
    api, api_as, user, other_user, settings, django_capture_on_commit_callbacks
):
    from modules.payments.models import Refund

    product = ProductFactory(stock=1, price_cents=2_000_000)
    order, payment = _checkout(api_as, user, product)
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.ORDER_HOLD_MINUTES + 1)):
        assert orders.expire_overdue_orders() == 1
    # The unit goes to another client.
    cart.add_to_cart(other_user, product.public_id, 1)
    checkout.checkout(other_user, fulfilment="pickup")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(api, tx_event(payment, "APPROVED"))
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert order.refund_requested
    assert Refund.objects.filter(payment=payment).exists()
    product.refresh_from_db()
    assert product.stock == 0


def test_checkout_idempotency_key_replays(api_as, user):
    product = ProductFactory(stock=5)
    client = api_as(user)
    client.post("/api/shop/cart/items", {"product_id": str(product.public_id)})
    first = client.post("/api/shop/checkout", {"fulfilment": "pickup"}, HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/shop/checkout", {"fulfilment": "pickup"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Order.objects.filter(user=user).count() == 1
    product.refresh_from_db()
    assert product.stock == 4


def test_low_stock_alert_reaches_staff(user, django_capture_on_commit_callbacks, settings):
    settings.SHOP_LOW_STOCK_THRESHOLD = 2
    staff = UserFactory(roles=["reception"])
    product = ProductFactory(stock=3, name="Crema de aloe")
    with django_capture_on_commit_callbacks(execute=True):
        inventory.record_counter_sale(product, 1, reason="venta", actor=staff)
    bodies = [m["body"] for m in sent_messages()]
    assert any("Inventario bajo" in b and "Crema de aloe" in b for b in bodies)
