"""Shop orders paid with tenders through the real payments module; the test plugin of
tests/fake_tenders.py stands in for the vouchers module (kind ``test_card``)."""

from __future__ import annotations

from typing import Any

import pytest

from modules.payments.models import Payment
from modules.shop import orders
from modules.shop.models import Order, OrderStatus, Product

# Payments' own autouse fixture configures the sandbox Wompi adapter and secrets.
from tests.fake_tenders import KIND, balance, issue
from tests.modules.payments.conftest import _wompi_settings, post_event, tx_event  # noqa: F401
from tests.modules.shop.factories import ProductFactory


@pytest.fixture(autouse=True)
def boundary() -> None:
    """Overrides the recording seam of conftest.py: real payments and notifications."""
    return None


def _order(api_as: Any, user: Any, product: Any, tenders: list[dict[str, str]]) -> Any:
    client = api_as(user)
    client.post("/api/shop/cart/items", {"product_id": str(product.public_id), "quantity": 2})
    return client.post("/api/shop/checkout", {"fulfilment": "pickup", "tenders": tenders})


@pytest.mark.django_db(transaction=True)
def test_an_order_fully_covered_by_a_tender_is_paid_at_once(
    api_as: Any, user: Any, fake_tenders: Any
) -> None:
    product = ProductFactory(stock=5, price_cents=2_000_000)
    code = issue("GIFT-0101", 5_000_000)
    response = _order(api_as, user, product, [{"kind": KIND, "code": code}])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["order"]["status"] == "PAID"
    payment = body["payment"]
    assert payment["settled"] is True and payment["checkout_url"] == ""
    assert (payment["amount_in_cents"], payment["tendered_cents"], payment["total_cents"]) == (
        0,
        4_000_000,
        4_000_000,
    )
    assert balance(code) == 1_000_000
    assert [(line.kind, line.amount_cents) for line in fake_tenders.contexts[0].lines] == [
        ("product", 4_000_000)
    ]


def test_split_order_paid_by_card_and_wompi_then_cancelled_returns_the_card_value(
    api: Any, api_as: Any, user: Any, fake_tenders: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.factories import UserFactory

    product = ProductFactory(stock=5, price_cents=2_000_000)
    code = issue("GIFT-0102", 1_500_000)
    response = _order(api_as, user, product, [{"kind": KIND, "code": code}])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["payment"]["amount_in_cents"] == 2_500_000
    payment = Payment.objects.get(reference=body["payment"]["reference"])
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(payment, amount=payment.gateway_cents))
    order = Order.objects.get(public_id=body["order"]["id"])
    assert order.status == OrderStatus.PAID
    admin = UserFactory(roles=["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        orders.change_status(order.public_id, OrderStatus.CANCELLED, actor=admin, note="Sin envío")
    assert balance(code) == 1_500_000
    refund = payment.refunds.get()
    assert (refund.tender_cents, refund.amount_cents) == (1_500_000, 2_500_000)


def test_a_refused_tender_leaves_cart_and_stock_as_they_were(
    api_as: Any, user: Any, fake_tenders: Any
) -> None:
    product = ProductFactory(stock=5, price_cents=2_000_000)
    issue("GIFT-EMPTY", 0)
    response = _order(api_as, user, product, [{"kind": KIND, "code": "GIFT-EMPTY"}])
    assert response.status_code == 422, response.json()
    assert response.json()["error"]["code"] == "tender_no_balance"
    response = api_as(user).post(
        "/api/shop/checkout", {"fulfilment": "pickup", "tenders": [{"kind": "bono", "code": "X"}]}
    )
    assert response.status_code == 422, response.json()
    assert response.json()["error"]["code"] == "tender_not_accepted"
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert Product.objects.get(pk=product.pk).stock == 5
    cart = api_as(user).get("/api/shop/cart").json()
    assert [item["quantity"] for item in cart["items"]] == [2]  # the cart is still there


def test_pay_again_with_a_tender_after_a_decline(
    api: Any, api_as: Any, user: Any, fake_tenders: Any, django_capture_on_commit_callbacks: Any
) -> None:
    product = ProductFactory(stock=5, price_cents=2_000_000)
    code = issue("GIFT-0103", 4_000_000)
    body = _order(api_as, user, product, []).json()
    url = f"/api/shop/orders/{body['order']['id']}/checkout"
    busy = api_as(user).post(url, {"tenders": [{"kind": KIND, "code": code}]})
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "payment_open"
    payment = Payment.objects.get(reference=body["payment"]["reference"])
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(payment, "DECLINED"))
    with django_capture_on_commit_callbacks(execute=True):
        again = api_as(user).post(url, {"tenders": [{"kind": KIND, "code": code}]})
    assert again.status_code == 200, again.json()
    assert again.json()["payment"]["settled"] is True
    assert Order.objects.get(public_id=body["order"]["id"]).status == OrderStatus.PAID
    assert balance(code) == 0
