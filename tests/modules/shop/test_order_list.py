"""The client's order list (``GET /api/shop/orders/``): its exact bytes, written out here
field by field from the orders as stored, and its statements, which do not grow with the
page."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from modules.shop import cart, checkout, orders
from modules.shop.models import Order
from tests.modules.shop.factories import ProductFactory

pytestmark = pytest.mark.django_db

ADDRESS = checkout.DeliveryAddress(
    recipient_name="Ana Gómez",
    recipient_phone="+573001234567",
    address_line="Calle 85 # 11-53",
    address_details="Apto 502",
    neighborhood="Chicó",
    notes="Portería 24 horas",
)


def _order(user: Any, *, lines: int = 1, fulfilment: str = "pickup") -> Order:
    for n in range(lines):
        product = ProductFactory(stock=50, price_cents=1_500_000 + n * 10_000, name=f"Crema {n}")
        cart.add_to_cart(user, product.public_id, n + 1)
    address = ADDRESS if fulfilment == "delivery" else None
    return checkout.checkout(user, fulfilment=fulfilment, address=address).order


def _time(value: datetime | None) -> str | None:
    """How the API writes a time: Bogotá wall clock with its offset, milliseconds."""
    return None if value is None else DjangoJSONEncoder().default(timezone.localtime(value))


def _expected(order: Order) -> dict[str, Any]:
    order.refresh_from_db()
    delivery = order.fulfilment == "delivery"
    return {
        "id": str(order.public_id),
        "code": str(order.public_id)[:8].upper(),
        "status": order.status,
        "fulfilment": order.fulfilment,
        "address": {
            "recipient_name": order.recipient_name,
            "recipient_phone": order.recipient_phone,
            "address_line": order.address_line,
            "address_details": order.address_details,
            "neighborhood": order.neighborhood,
            "city": order.city,
            "notes": order.delivery_notes,
        }
        if delivery
        else None,
        "vip_pricing": order.vip_pricing,
        "subtotal_cents": order.subtotal_cents,
        "delivery_fee_cents": order.delivery_fee_cents,
        "total_cents": order.total_cents,
        "currency": order.currency,
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "unit_price_cents": line.unit_price_cents,
                "quantity": line.quantity,
                "line_total_cents": line.line_total_cents,
            }
            for line in order.lines.order_by("pk")
        ],
        "created_at": _time(order.created_at),
        "expires_at": _time(order.expires_at),
        "paid_at": _time(order.paid_at),
        "refund_requested": order.refund_requested_at is not None,
        "checkout_url": order.checkout_url,
    }


def _body(**page: Any) -> bytes:
    # The renderer's bytes: orjson writes compact JSON with UTF-8 text.
    return json.dumps(page, separators=(",", ":"), ensure_ascii=False).encode()


def test_the_list_is_byte_for_byte_the_orders_as_stored(api_as, user, other_user, reception):
    pickup = _order(user, lines=2)
    delivery = _order(user, fulfilment="delivery")
    orders.mark_paid(
        str(delivery.public_id), payment_reference="PAY-1", amount_cents=delivery.total_cents
    )
    cancelled = _order(user, lines=3)
    orders.change_status(cancelled.public_id, "CANCELLED", actor=reception)
    orders.mark_paid(str(cancelled.public_id), payment_reference="PAY-2")  # late: refund
    _order(other_user)

    response = api_as(user).get("/api/shop/orders/")

    assert response.status_code == 200
    newest_first = [_expected(o) for o in (cancelled, delivery, pickup)]
    assert newest_first[0]["refund_requested"] and newest_first[1]["paid_at"]
    assert response.content == _body(items=newest_first, count=3, page=1, page_size=20, pages=1)
    # Each item is also what the order's own page answers.
    for item in response.json()["items"]:
        assert item == api_as(user).get(f"/api/shop/orders/{item['id']}/").json()


def test_later_pages_and_a_page_past_the_end(api_as, user):
    made = [_order(user) for _ in range(5)]
    client = api_as(user)
    second = client.get("/api/shop/orders/", {"page": 2, "page_size": 2}).json()
    assert [o["id"] for o in second["items"]] == [str(o.public_id) for o in made[2:0:-1]]
    assert (second["count"], second["pages"]) == (5, 3)
    past = client.get("/api/shop/orders/", {"page": 4, "page_size": 2}).json()
    assert (past["items"], past["count"], past["pages"]) == ([], 5, 3)
    paid = client.get("/api/shop/orders/", {"status": "PAID"}).json()
    assert (paid["items"], paid["count"], paid["pages"]) == ([], 0, 1)


@pytest.fixture
def reception() -> Any:
    from tests.factories import UserFactory

    return UserFactory(roles=["reception"])


def _statements(client: Any, **params: Any) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/shop/orders/", params)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_the_list_reads_a_page_in_constant_statements(api_as, user):
    client = api_as(user)
    _order(user, lines=2)
    few = _statements(client)
    for _ in range(24):
        _order(user, lines=2)
    full = _statements(client)
    # user (auth), the page's orders with the count of all (a window count), their lines
    assert len(few) == len(full) == 3, full
    assert "OVER" in full[1] and "shop_orderline" in full[2]
