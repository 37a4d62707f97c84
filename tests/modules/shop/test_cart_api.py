from __future__ import annotations

import pytest

from tests.factories import UserFactory
from tests.modules.shop.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def products():
    return ProductFactory(
        price_cents=3_000_000, vip_price_cents=2_700_000, stock=5
    ), ProductFactory(price_cents=1_000_000, vip_price_cents=None, stock=1)


def test_cart_needs_login(api):
    assert api.get("/api/shop/cart").status_code == 401


def test_add_update_remove(api_as, user, products):
    oil, cream = products
    client = api_as(user)
    body = client.post("/api/shop/cart/items", {"product_id": str(oil.public_id)}).json()
    assert [(i["product"]["sku"], i["quantity"]) for i in body["items"]] == [(oil.sku, 1)]
    body = client.post(
        "/api/shop/cart/items", {"product_id": str(oil.public_id), "quantity": 2}
    ).json()
    assert body["items"][0]["quantity"] == 3
    body = client.post("/api/shop/cart/items", {"product_id": str(cream.public_id)}).json()
    assert body["subtotal_cents"] == 3 * 3_000_000 + 1_000_000
    assert body["vip_pricing"] is False
    body = client.put(f"/api/shop/cart/items/{oil.public_id}", {"quantity": 1}).json()
    assert body["items"][0]["line_total_cents"] == 3_000_000
    body = client.delete(f"/api/shop/cart/items/{cream.public_id}").json()
    assert len(body["items"]) == 1
    body = client.put(f"/api/shop/cart/items/{oil.public_id}", {"quantity": 0}).json()
    assert body["items"] == []
    missing = client.delete(f"/api/shop/cart/items/{oil.public_id}")
    assert missing.status_code == 404


def test_vip_sees_vip_prices(api_as, products):
    from datetime import timedelta

    from django.utils import timezone

    vip = UserFactory(vip_until=timezone.now() + timedelta(days=10))
    oil, cream = products
    client = api_as(vip)
    client.post("/api/shop/cart/items", {"product_id": str(oil.public_id)})
    body = client.post("/api/shop/cart/items", {"product_id": str(cream.public_id)}).json()
    assert body["vip_pricing"] is True
    # No VIP price -> the normal price applies.
    assert [i["unit_price_cents"] for i in body["items"]] == [2_700_000, 1_000_000]


def test_errors(api_as, user, products, settings):
    oil, cream = products
    client = api_as(user)
    # The URL conf (and the schema's bound, read from settings at import) loads before the
    # override: only the service's check sees 4. Run alone, this test imported it after.
    assert client.get("/api/shop/cart").status_code == 200
    settings.SHOP_MAX_LINE_QUANTITY = 4
    too_many = client.post(
        "/api/shop/cart/items", {"product_id": str(oil.public_id), "quantity": 5}
    )
    assert too_many.status_code == 422
    assert too_many.json()["error"]["code"] == "invalid_quantity"
    more_than_stock = client.put(f"/api/shop/cart/items/{cream.public_id}", {"quantity": 2})
    assert more_than_stock.status_code == 409
    assert more_than_stock.json()["error"]["code"] == "out_of_stock"
    unknown = client.post(
        "/api/shop/cart/items", {"product_id": "00000000-0000-0000-0000-000000000000"}
    )
    assert unknown.status_code == 404
    assert client.post("/api/shop/cart/items", {"product_id": "x"}).status_code == 422
    inactive = ProductFactory(active=False, stock=3)
    assert (
        client.post("/api/shop/cart/items", {"product_id": str(inactive.public_id)}).status_code
        == 404
    )


def test_carts_are_private(api_as, user, other_user, products):
    oil, _cream = products
    api_as(user).post("/api/shop/cart/items", {"product_id": str(oil.public_id)})
    other = api_as(other_user)
    assert other.get("/api/shop/cart").json()["items"] == []
    # Removing "that" product from my cart never touches someone else's cart.
    assert other.delete(f"/api/shop/cart/items/{oil.public_id}").status_code == 404
    other.delete("/api/shop/cart")
    mine = api_as(user).get("/api/shop/cart").json()
    assert [i["product"]["sku"] for i in mine["items"]] == [oil.sku]


def test_clear_cart(api_as, user, products):
    oil, _cream = products
    client = api_as(user)
    client.post("/api/shop/cart/items", {"product_id": str(oil.public_id)})
    assert client.delete("/api/shop/cart").json()["items"] == []


@pytest.mark.parametrize("change", ["add", "set", "remove"])
def test_every_change_marks_the_cart_changed(api_as, user, products, change):
    from datetime import timedelta

    from modules.shop.models import Cart

    oil, cream = products
    client = api_as(user)
    client.post("/api/shop/cart/items", {"product_id": str(oil.public_id)})
    client.post("/api/shop/cart/items", {"product_id": str(cream.public_id)})
    long_ago = Cart.objects.get(user=user).updated_at - timedelta(days=1)
    Cart.objects.filter(user=user).update(updated_at=long_ago)
    path = f"/api/shop/cart/items/{oil.public_id}"
    response = {
        "add": lambda: client.post("/api/shop/cart/items", {"product_id": str(oil.public_id)}),
        "set": lambda: client.put(path, {"quantity": 3}),
        "remove": lambda: client.delete(path),
    }[change]()
    assert response.status_code == 200, response.content
    assert Cart.objects.get(user=user).updated_at > long_ago + timedelta(hours=23)
