from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from modules.shop import cart, checkout
from modules.shop.errors import AddressRequired, CartEmpty, OutOfStock, ProductNotFound
from modules.shop.models import Cart, InventoryMovement, Order, Product
from tests.factories import UserFactory
from tests.modules.shop.factories import ProductFactory

pytestmark = pytest.mark.django_db

ADDRESS = {
    "recipient_name": "Ana Gómez",
    "recipient_phone": "300 123 4567",
    "address_line": "Calle 85 # 11-53",
    "address_details": "Apto 402",
    "neighborhood": "El Chicó",
    "notes": "Portería",
}


@pytest.fixture
def oil():
    return ProductFactory(
        sku="ACE-1", name="Aceite", price_cents=3_000_000, vip_price_cents=2_500_000, stock=10
    )


@pytest.fixture
def cream():
    return ProductFactory(
        sku="CRE-1", name="Crema", price_cents=5_000_000, vip_price_cents=None, stock=1
    )


def test_pickup_checkout_reserves_and_opens_payment(api_as, user, oil, cream, boundary, settings):
    settings.ORDER_HOLD_MINUTES = 30
    client = api_as(user)
    client.post("/api/shop/cart/items", {"product_id": str(oil.public_id), "quantity": 2})
    client.post("/api/shop/cart/items", {"product_id": str(cream.public_id)})
    response = client.post("/api/shop/checkout", {"fulfilment": "pickup"})
    assert response.status_code == 201, response.content
    body = response.json()
    order = body["order"]
    assert order["status"] == "PENDING_PAYMENT"
    assert order["address"] is None
    assert order["subtotal_cents"] == order["total_cents"] == 2 * 3_000_000 + 5_000_000
    assert order["delivery_fee_cents"] == 0
    assert [(ln["sku"], ln["quantity"], ln["unit_price_cents"]) for ln in order["lines"]] == [
        ("ACE-1", 2, 3_000_000),
        ("CRE-1", 1, 5_000_000),
    ]
    assert body["payment"]["checkout_url"].startswith("https://checkout.example.test/")
    assert body["payment"]["amount_in_cents"] == order["total_cents"]
    # Payments was asked for this order, amount and hold.
    (call,) = boundary.checkouts
    assert call["order_public_id"] == order["id"]
    assert call["amount_cents"] == order["total_cents"]
    assert call["customer"].pk == user.pk
    db_order = Order.objects.get(public_id=order["id"])
    assert call["expires_at"] == db_order.expires_at
    assert timedelta(minutes=29) < db_order.expires_at - timezone.now() <= timedelta(minutes=30)
    # Stock reserved with movements; cart emptied.
    oil.refresh_from_db()
    cream.refresh_from_db()
    assert (oil.stock, cream.stock) == (8, 0)
    reservations = InventoryMovement.objects.filter(order=db_order, kind="reservation")
    assert sorted(reservations.values_list("quantity", flat=True)) == [-2, -1]
    assert client.get("/api/shop/cart").json()["items"] == []


def test_delivery_in_bogota_adds_fee_and_keeps_address(api_as, user, oil, settings):
    settings.DELIVERY_FEE_CENTS = 1_200_000
    client = api_as(user)
    client.post("/api/shop/cart/items", {"product_id": str(oil.public_id)})
    response = client.post("/api/shop/checkout", {"fulfilment": "delivery", "address": ADDRESS})
    assert response.status_code == 201, response.content
    order = response.json()["order"]
    assert order["delivery_fee_cents"] == 1_200_000
    assert order["total_cents"] == 3_000_000 + 1_200_000
    assert order["address"]["city"] == "Bogotá"
    assert order["address"]["recipient_phone"] == "+573001234567"
    assert order["address"]["notes"] == "Portería"


def test_delivery_needs_address(api_as, user, oil):
    client = api_as(user)
    client.post("/api/shop/cart/items", {"product_id": str(oil.public_id)})
    response = client.post("/api/shop/checkout", {"fulfilment": "delivery"})
    assert response.status_code == 422
    # The schema requires the address for delivery (a union on fulfilment).
    assert response.json()["error"]["code"] == "validation_error"
    assert "address" in {d["field"].split(".")[-1] for d in response.json()["error"]["details"]}
    bad_phone = client.post(
        "/api/shop/checkout",
        {"fulfilment": "delivery", "address": {**ADDRESS, "recipient_phone": "+1 000 000 0000"}},
    )
    assert bad_phone.status_code == 422
    assert bad_phone.json()["error"]["code"] == "invalid_phone"
    assert Order.objects.count() == 0


def test_vip_gets_vip_prices_snapshotted(oil, cream):
    vip = UserFactory(vip_until=timezone.now() + timedelta(days=3))
    cart.add_to_cart(vip, oil.public_id, 2)
    cart.add_to_cart(vip, cream.public_id, 1)
    order = checkout.checkout(vip, fulfilment="pickup").order
    assert order.vip_pricing is True
    assert [(ln.sku, ln.unit_price_cents) for ln in order.lines.all()] == [
        ("ACE-1", 2_500_000),
        ("CRE-1", 5_000_000),
    ]
    # A later catalog change does not touch the snapshot.
    Product.objects.filter(pk=oil.pk).update(price_cents=9_900_000, name="Otro")
    line = order.lines.get(sku="ACE-1")
    assert (line.name, line.unit_price_cents, line.line_total_cents) == (
        "Aceite",
        2_500_000,
        5_000_000,
    )


def test_all_lines_or_none(user, oil, cream, other_user):
    cart.add_to_cart(user, oil.public_id, 3)
    cart.add_to_cart(user, cream.public_id, 1)
    # Someone else takes the last cream first.
    cart.add_to_cart(other_user, cream.public_id, 1)
    checkout.checkout(other_user, fulfilment="pickup")
    with pytest.raises(OutOfStock) as exc:
        checkout.checkout(user, fulfilment="pickup")
    assert exc.value.status_code == 409
    assert exc.value.details["sku"] == "CRE-1"
    oil.refresh_from_db()
    assert oil.stock == 10  # the oil reservation was rolled back with the rest
    assert Order.objects.filter(user=user).count() == 0
    assert Cart.objects.get(user=user).items.count() == 2  # cart kept for another try
    assert oil.movements.aggregate(s=Sum("quantity"))["s"] == 10


def test_out_of_stock_over_api_has_error_shape(api_as, user, other_user, cream):
    cart.add_to_cart(user, cream.public_id, 1)
    cart.add_to_cart(other_user, cream.public_id, 1)
    checkout.checkout(other_user, fulfilment="pickup")
    response = api_as(user).post("/api/shop/checkout", {"fulfilment": "pickup"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "out_of_stock"
    assert "Crema" in error["message"]
    assert error["details"]["sku"] == "CRE-1"


def test_empty_cart_and_inactive_product(user, oil):
    with pytest.raises(CartEmpty):
        checkout.checkout(user, fulfilment="pickup")
    cart.add_to_cart(user, oil.public_id, 1)
    Product.objects.filter(pk=oil.pk).update(active=False)
    with pytest.raises(ProductNotFound):
        checkout.checkout(user, fulfilment="pickup")
    with pytest.raises(AddressRequired):
        checkout.checkout(user, fulfilment="drone")


def test_payment_failure_rolls_everything_back(user, oil, monkeypatch):
    from modules.shop import ports
    from platform_core.errors import ServiceUnavailable

    def broken(**kwargs):
        raise ServiceUnavailable()

    monkeypatch.setattr(ports, "create_checkout", broken)
    cart.add_to_cart(user, oil.public_id, 1)
    with pytest.raises(ServiceUnavailable):
        checkout.checkout(user, fulfilment="pickup")
    oil.refresh_from_db()
    assert oil.stock == 10
    assert Order.objects.count() == 0
    assert InventoryMovement.objects.filter(kind="reservation").count() == 0
