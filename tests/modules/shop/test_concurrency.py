"""No overselling under real concurrency (PostgreSQL, real threads)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.db.models import Sum

from modules.shop import cart, checkout
from modules.shop.errors import OutOfStock
from modules.shop.models import InventoryMovement, Order, Product
from tests.factories import UserFactory
from tests.modules.shop.factories import ProductFactory

BUYERS = 50
STOCK = 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_checkouts_for_ten_units(api_as):
    product = ProductFactory(stock=STOCK, price_cents=1_000_000)
    buyers = [UserFactory() for _ in range(BUYERS)]
    for buyer in buyers:
        cart.add_to_cart(buyer, product.public_id, 1)
    clients = [api_as(buyer) for buyer in buyers]  # JWTs minted before the race
    barrier = threading.Barrier(BUYERS)

    def buy(client) -> tuple[int, dict]:
        try:
            barrier.wait(timeout=30)
            response = client.post("/api/shop/checkout", {"fulfilment": "pickup"})
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=BUYERS) as pool:
        results = list(pool.map(buy, clients))

    created = [body for status, body in results if status == 201]
    refused = [body for status, body in results if status == 409]
    assert len(created) == STOCK, [s for s, _ in results]
    assert len(refused) == BUYERS - STOCK
    assert all(body["error"]["code"] == "out_of_stock" for body in refused)
    assert all(body["error"]["details"]["sku"] == product.sku for body in refused)
    product.refresh_from_db()
    assert product.stock == 0
    assert Order.objects.count() == STOCK
    assert len({body["order"]["id"] for body in created}) == STOCK
    reservations = InventoryMovement.objects.filter(product=product, kind="reservation")
    assert reservations.count() == STOCK
    assert reservations.aggregate(s=Sum("quantity"))["s"] == -STOCK
    # The whole ledger still adds up to the stock.
    assert product.movements.aggregate(s=Sum("quantity"))["s"] == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_multi_line_checkouts_are_all_or_nothing():
    """Two products, 3 units each; 12 buyers want one of each: exactly 3 succeed."""
    a = ProductFactory(stock=3)
    b = ProductFactory(stock=3)
    buyers = [UserFactory() for _ in range(12)]
    for i, buyer in enumerate(buyers):
        # Half add in the opposite order: the fixed lock order prevents deadlocks.
        first, second = (a, b) if i % 2 else (b, a)
        cart.add_to_cart(buyer, first.public_id, 1)
        cart.add_to_cart(buyer, second.public_id, 1)
    barrier = threading.Barrier(len(buyers))

    def buy(buyer) -> str:
        try:
            barrier.wait(timeout=30)
            checkout.checkout(buyer, fulfilment="pickup")
            return "ok"
        except OutOfStock:
            return "out"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(buyers)) as pool:
        outcomes = list(pool.map(buy, buyers))
    assert outcomes.count("ok") == 3
    assert outcomes.count("out") == 9
    assert set(Product.objects.filter(pk__in=[a.pk, b.pk]).values_list("stock", flat=True)) == {0}
    for product in (a, b):
        assert product.movements.aggregate(s=Sum("quantity"))["s"] == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_double_clicked_add_to_cart_adds_up_without_errors(api_as):
    """Four simultaneous adds of the same product to one cart (a double click, two tabs):
    the cart row lock serialises them, so there is one line with the sum, never a 500 -
    also when the cart itself does not exist yet (every request creates it)."""
    product = ProductFactory(stock=50)
    for round_ in range(6):
        client = api_as(UserFactory())
        if round_ % 2:
            client.get("/api/shop/cart")  # the cart exists, the line does not yet
        barrier = threading.Barrier(4)

        def add(client=client, barrier=barrier) -> int:
            try:
                barrier.wait(timeout=30)
                response = client.post(
                    "/api/shop/cart/items", {"product_id": str(product.public_id)}
                )
                return response.status_code
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(pool.map(lambda _: add(), range(4)))
        assert len(set(statuses)) == 1 and statuses[0] in (200, 201), statuses
        lines = client.get("/api/shop/cart").json()["items"]
        assert [line["quantity"] for line in lines] == [4]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", ["remove", "clear", "set_zero"])
def test_removing_a_line_while_it_is_being_added_to_is_no_error(change, monkeypatch):
    """An add that has read the line must not find it deleted under it ("Save with
    update_fields did not affect any rows", a 500): removing and emptying lock the cart
    row too. The add pauses after reading the line; without the lock the removal would
    commit in that pause."""
    product = ProductFactory(stock=50)
    user = UserFactory()
    cart.add_to_cart(user, product.public_id, 1)
    paused, removed = threading.Event(), threading.Event()
    check_available = cart._check_available

    def slow_check(product, quantity):
        paused.set()
        removed.wait(timeout=1.5)  # with the lock the removal waits for this transaction
        check_available(product, quantity)

    monkeypatch.setattr(cart, "_check_available", slow_check)

    def add():
        try:
            cart.add_to_cart(user, product.public_id, 1)
        finally:
            connection.close()

    def remove():
        try:
            assert paused.wait(timeout=10)
            if change == "remove":
                cart.remove_from_cart(user, product.public_id)
            elif change == "clear":
                cart.clear_cart(user)
            else:
                cart.set_cart_quantity(user, product.public_id, 0)
            removed.set()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        adding, removing = pool.submit(add), pool.submit(remove)
        adding.result(timeout=30)  # raises what the request would have answered with a 500
        removing.result(timeout=30)
    assert not cart.get_or_create_cart(user).items.exists()  # the removal came last
