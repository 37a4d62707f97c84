from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from modules.shop import cart, checkout, orders
from modules.shop.errors import InvalidTransition, OrderNotFound
from modules.shop.models import Order, OrderStatusChange
from tests.factories import UserFactory
from tests.modules.shop.factories import ProductFactory

pytestmark = pytest.mark.django_db

ADDRESS = checkout.DeliveryAddress(
    recipient_name="Ana", recipient_phone="+573001234567", address_line="Calle 85 # 11-53"
)


def _order(user, *, fulfilment="pickup", qty=1, stock=5) -> Order:
    product = ProductFactory(stock=stock, price_cents=2_000_000)
    cart.add_to_cart(user, product.public_id, qty)
    address = ADDRESS if fulfilment == "delivery" else None
    return checkout.checkout(user, fulfilment=fulfilment, address=address).order


@pytest.fixture
def reception():
    return UserFactory(roles=["reception"])


def test_client_sees_only_own_orders(api_as, user, other_user):
    mine = _order(user)
    theirs = _order(other_user)
    client = api_as(user)
    listed = client.get("/api/shop/orders").json()
    assert [o["id"] for o in listed["items"]] == [str(mine.public_id)]
    assert client.get(f"/api/shop/orders/{mine.public_id}").status_code == 200
    response = client.get(f"/api/shop/orders/{theirs.public_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "order_not_found"
    assert client.post(f"/api/shop/orders/{theirs.public_id}/cancel").status_code == 404
    assert api_as(other_user).get(f"/api/shop/orders/{mine.public_id}").status_code == 404
    assert client.get("/api/shop/orders", {"status": "PAID"}).json()["count"] == 0


def test_staff_can_read_any_order(api_as, user, reception):
    order = _order(user)
    assert api_as(reception).get(f"/api/shop/orders/{order.public_id}").status_code == 200


def test_full_pickup_lifecycle_notifies_each_step(api_as, user, reception, boundary):
    order = _order(user)
    orders.mark_paid(str(order.public_id), payment_reference="PAY-1", amount_cents=2_000_000)
    staff = api_as(reception)
    for status in ("PREPARING", "READY_FOR_PICKUP", "COMPLETED"):
        response = staff.post(f"/api/shop/orders/{order.public_id}/status", {"status": status})
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status
    statuses = [m["context"]["status"] for m in boundary.templates("shop/order_status")]
    assert statuses == ["PAID", "PREPARING", "READY_FOR_PICKUP", "COMPLETED"]
    assert all(m["user"].pk == user.pk for m in boundary.templates("shop/order_status"))
    history = list(OrderStatusChange.objects.filter(order=order).values_list("to_status", "actor"))
    assert history == [
        ("PENDING_PAYMENT", user.pk),
        ("PAID", None),
        ("PREPARING", reception.pk),
        ("READY_FOR_PICKUP", reception.pk),
        ("COMPLETED", reception.pk),
    ]


def test_delivery_goes_out_for_delivery_not_pickup(api_as, user, reception):
    order = _order(user, fulfilment="delivery")
    orders.mark_paid(str(order.public_id), payment_reference="P", amount_cents=None)
    staff = api_as(reception)
    staff.post(f"/api/shop/orders/{order.public_id}/status", {"status": "PREPARING"})
    wrong = staff.post(f"/api/shop/orders/{order.public_id}/status", {"status": "READY_FOR_PICKUP"})
    assert wrong.status_code == 409
    assert wrong.json()["error"]["code"] == "invalid_status_transition"
    ok = staff.post(f"/api/shop/orders/{order.public_id}/status", {"status": "OUT_FOR_DELIVERY"})
    assert ok.status_code == 200


def test_pickup_cannot_go_out_for_delivery(user, reception):
    order = _order(user)
    orders.mark_paid(str(order.public_id))
    orders.change_status(order.public_id, "PREPARING", actor=reception)
    with pytest.raises(InvalidTransition):
        orders.change_status(order.public_id, "OUT_FOR_DELIVERY", actor=reception)


def test_invalid_transitions_and_roles(api_as, user, reception):
    order = _order(user)
    staff = api_as(reception)
    skip = staff.post(f"/api/shop/orders/{order.public_id}/status", {"status": "COMPLETED"})
    assert skip.status_code == 409
    assert (
        staff.post(f"/api/shop/orders/{order.public_id}/status", {"status": "NOPE"}).status_code
        == 422
    )
    client = api_as(user)
    denied = client.post(f"/api/shop/orders/{order.public_id}/status", {"status": "CANCELLED"})
    assert denied.status_code == 403
    therapist = api_as(UserFactory(roles=["therapist"]))
    assert (
        therapist.post(
            f"/api/shop/orders/{order.public_id}/status", {"status": "CANCELLED"}
        ).status_code
        == 403
    )
    with pytest.raises(InvalidTransition):
        orders.change_status(order.public_id, "BOGUS", actor=reception)
    with pytest.raises(OrderNotFound):
        orders.change_status("00000000-0000-0000-0000-000000000000", "PAID", actor=reception)
    missing = staff.post(
        "/api/shop/orders/00000000-0000-0000-0000-000000000000/status", {"status": "PAID"}
    )
    assert missing.status_code == 404


def test_admin_role_may_move_orders(api_as, user):
    order = _order(user)
    admin = api_as(UserFactory(roles=["admin"]))
    response = admin.post(
        f"/api/shop/orders/{order.public_id}/status", {"status": "CANCELLED", "note": "Duplicado"}
    )
    assert response.status_code == 200
    assert OrderStatusChange.objects.filter(order=order, note="Duplicado").exists()


def test_client_cancels_unpaid_order_and_stock_returns(api_as, user):
    order = _order(user, qty=2, stock=5)
    product = order.lines.get().product
    product.refresh_from_db()
    assert product.stock == 3
    response = api_as(user).post(f"/api/shop/orders/{order.public_id}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "CANCELLED"
    product.refresh_from_db()
    assert product.stock == 5
    again = api_as(user).post(f"/api/shop/orders/{order.public_id}/cancel")
    assert again.status_code == 409


def test_staff_cancel_after_payment_releases_and_requests_refund(user, reception, boundary):
    order = _order(user, qty=1, stock=2)
    orders.mark_paid(str(order.public_id), payment_reference="PAY-9", amount_cents=2_000_000)
    orders.change_status(order.public_id, "PREPARING", actor=reception)
    orders.change_status(order.public_id, "CANCELLED", actor=reception, note="Sin empaque")
    order.refresh_from_db()
    assert order.status == "CANCELLED"
    assert order.refund_requested
    assert boundary.refunds == [
        {
            "order_public_id": str(order.public_id),
            "reason": "Sin empaque",
            "payment_reference": "PAY-9",
        }
    ]
    product = order.lines.get().product
    product.refresh_from_db()
    assert product.stock == 2
    orders.change_status(order.public_id, "REFUNDED", actor=reception)
    order.refresh_from_db()
    assert order.status == "REFUNDED"


def test_status_template_renders_each_state():
    for status, needle in [
        ("PENDING_PAYMENT", "apartamos"),
        ("PAID", "confirmamos el pago"),
        ("PREPARING", "preparando"),
        ("READY_FOR_PICKUP", "recogerlo"),
        ("OUT_FOR_DELIVERY", "en camino"),
        ("COMPLETED", "entregado"),
        ("CANCELLED", "cancelado"),
        ("REFUNDED", "reembolsamos"),
        ("OTHER", "ahora está"),
    ]:
        text = render_to_string(
            "notifications/shop/order_status/whatsapp.txt",
            {"code": "AB12", "status": status, "total": "$ 20.000", "first_name": "Ana"},
        )
        assert needle in text and "AB12" in text, status
    late = render_to_string(
        "notifications/shop/order_status/whatsapp.txt",
        {"code": "AB12", "status": "EXPIRED", "total": "$ 20.000", "refund_requested": True},
    )
    assert "te devolveremos $ 20.000" in late


def test_format_cop():
    assert orders.format_cop(4_500_000) == "$ 45.000"
    assert orders.format_cop(123_456_700) == "$ 1.234.567"


def test_staff_list_all_orders(api_as, user, other_user, reception):
    mine = _order(user)
    theirs = _order(other_user)
    listed = api_as(reception).get("/api/shop/orders", {"all": "true"}).json()
    assert {o["id"] for o in listed["items"]} == {str(mine.public_id), str(theirs.public_id)}
    assert api_as(reception).get("/api/shop/orders").json()["count"] == 0  # own by default
    denied = api_as(user).get("/api/shop/orders", {"all": "true"})
    assert denied.status_code == 403
