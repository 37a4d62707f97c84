"""What the shop's writes cost in SQL, through the real payments and notifications modules
(the load test's client path: add to cart, check out with an Idempotency-Key, cancel), and
that the answers built from what the writes loaded equal what a fresh read returns.

Counted: the statements a request sends, savepoints apart (pytest-django's transaction turns
every ``atomic`` into one, so their number is not what production sends).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from modules.shop.models import Product, ProductImage, Tag
from tests.modules.payments.conftest import _wompi_settings  # noqa: F401
from tests.modules.shop.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def boundary() -> None:
    """Overrides the recording seam of conftest.py: real payments and notifications."""
    return None


def _statements(ctx: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))
    ]


def _post(client: Any, path: str, body: Any = None, **extra: Any) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(path, body, **extra)
    return response, _statements(ctx)


def _fill_cart(client: Any, products: list[Product]) -> None:
    for product in products:
        response = client.post("/api/shop/cart/items", {"product_id": str(product.public_id)})
        assert response.status_code == 200, response.content


def test_add_to_cart_reads_the_lines_once_under_the_lock(api_as, user, _own_cache):
    client = api_as(user)
    first, second = ProductFactory(stock=5), ProductFactory(stock=5)
    _fill_cart(client, [first])  # the cart exists from now on
    added, statements = _post(client, "/api/shop/cart/items", {"product_id": str(second.public_id)})
    assert added.status_code == 200, added.content
    # user (auth), product, cart locked and touched (one UPDATE ... RETURNING), its lines,
    # new line; the tags and images of the product not yet kept for this catalog version
    assert len(statements) == 7, statements
    assert statements[2].startswith('UPDATE "shop_cart"') and "RETURNING" in statements[2]
    again, statements = _post(client, "/api/shop/cart/items", {"product_id": str(first.public_id)})
    assert again.status_code == 200
    assert len(statements) == 5, statements  # line updated; tags and images kept
    assert again.json() == client.get("/api/shop/cart").json()
    assert [line["quantity"] for line in again.json()["items"]] == [2, 1]


def test_the_cart_shows_a_catalog_change_at_once(api_as, user):
    client = api_as(user)
    product = ProductFactory(stock=5)
    _fill_cart(client, [product])
    assert client.get("/api/shop/cart").json()["items"][0]["product"]["tags"] == []
    tag = Tag.objects.create(name="Relajante", slug="relajante")
    product.tags.add(tag)  # bumps the catalog version (m2m signal)
    ProductImage.objects.create(product=product, url="https://cdn.example.test/a.jpg", alt="A")
    shown = client.get("/api/shop/cart").json()["items"][0]["product"]
    assert shown["tags"] == ["relajante"]
    assert shown["images"] == [{"src": "https://cdn.example.test/a.jpg", "alt": "A"}]
    tag.slug = "calma"
    tag.save()
    added = client.post("/api/shop/cart/items", {"product_id": str(product.public_id)}).json()
    assert added["items"][0]["product"]["tags"] == ["calma"]


@pytest.mark.parametrize("lines", [1, 2])
def test_checkout_statements_and_answer(api_as, user, lines):
    client = api_as(user)
    _fill_cart(client, [ProductFactory(stock=5) for _ in range(lines)])
    response, statements = _post(
        client,
        "/api/shop/checkout",
        {"fulfilment": "pickup"},
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 201, response.content
    # user (auth), idempotency key claimed, cart lock, its lines, order; per line: the
    # stock UPDATE ... RETURNING and its movement; order lines, history, cart emptied,
    # payment attempt, order's checkout URL, idempotency key completed.
    assert len(statements) == 11 + 2 * lines, statements
    order = response.json()["order"]
    assert order == client.get(f"/api/shop/orders/{order['id']}").json()


def test_cancel_statements_and_answer(api_as, user):
    client = api_as(user)
    _fill_cart(client, [ProductFactory(stock=5), ProductFactory(stock=5)])
    order = client.post("/api/shop/checkout", {"fulfilment": "pickup"}).json()["order"]
    response, statements = _post(client, f"/api/shop/orders/{order['id']}/cancel")
    assert response.status_code == 200, response.content
    # user (auth), order lock, its lines; per line: the stock UPDATE ... RETURNING and its
    # movement; order, history; the notification (outbox key, opt-outs, row).
    assert len(statements) == 8 + 2 * 2, statements
    # The order's UPDATE writes what the cancellation changed, not every column.
    (update,) = [sql for sql in statements if sql.startswith('UPDATE "shop_order"')]
    assert update.split(" WHERE ")[0].count("=") == 2, update  # status, updated_at
    assert response.json()["status"] == "CANCELLED"
    assert response.json() == client.get(f"/api/shop/orders/{order['id']}").json()
    assert all(p.stock == 5 for p in Product.objects.all())
