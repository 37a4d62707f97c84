from __future__ import annotations

import pytest
from django.urls import reverse

from modules.shop import cart, checkout, orders
from modules.shop.models import InventoryMovement, Order
from tests.factories import UserFactory
from tests.modules.shop.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client, staff


def test_admin_pages_render(staff_client, user):
    client, _staff = staff_client
    product = ProductFactory(stock=2)
    cart.add_to_cart(user, product.public_id, 1)
    order = checkout.checkout(user, fulfilment="pickup").order
    for url in [
        reverse("admin:shop_product_changelist"),
        reverse("admin:shop_product_change", args=[product.pk]),
        reverse("admin:shop_category_changelist"),
        reverse("admin:shop_category_add"),
        reverse("admin:shop_tag_changelist"),
        reverse("admin:shop_inventorymovement_changelist"),
        reverse("admin:shop_inventorymovement_add"),
        reverse("admin:shop_order_changelist"),
        reverse("admin:shop_order_change", args=[order.pk]),
    ]:
        assert client.get(url).status_code == 200, url


def test_receipt_through_admin_goes_through_the_service(staff_client):
    client, staff = staff_client
    product = ProductFactory(stock=1)
    response = client.post(
        reverse("admin:shop_inventorymovement_add"),
        {"product": product.pk, "kind": "receipt", "quantity": 6, "reason": "Proveedor"},
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.stock == 7
    movement = InventoryMovement.objects.filter(product=product).first()
    assert (movement.kind, movement.quantity, movement.stock_after, movement.actor) == (
        "receipt",
        6,
        7,
        staff,
    )


def test_admin_refuses_negative_stock_and_writes_nothing(staff_client):
    client, _staff = staff_client
    product = ProductFactory(stock=1)
    response = client.post(
        reverse("admin:shop_inventorymovement_add"),
        {"product": product.pk, "kind": "adjustment", "quantity": -5, "reason": "Conteo"},
        follow=True,
    )
    assert response.status_code == 200
    assert "negativo" in response.content.decode()
    product.refresh_from_db()
    assert product.stock == 1
    assert InventoryMovement.objects.filter(product=product).count() == 1


def test_admin_movement_form_offers_only_manual_kinds(staff_client):
    client, _staff = staff_client
    form = client.get(reverse("admin:shop_inventorymovement_add")).context["adminform"].form
    assert [value for value, _label in form.fields["kind"].choices] == [
        "receipt",
        "sale",
        "adjustment",
    ]


def test_ledger_is_read_only_in_admin(staff_client):
    client, _staff = staff_client
    product = ProductFactory(stock=1)
    movement = product.movements.get()
    url = reverse("admin:shop_inventorymovement_delete", args=[movement.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403


def test_order_actions_move_orders_and_report_refusals(staff_client, user):
    client, staff = staff_client
    product = ProductFactory(stock=5)
    cart.add_to_cart(user, product.public_id, 1)
    paid = checkout.checkout(user, fulfilment="pickup").order
    orders.mark_paid(str(paid.public_id))
    cart.add_to_cart(user, product.public_id, 1)
    pending = checkout.checkout(user, fulfilment="pickup").order
    response = client.post(
        reverse("admin:shop_order_changelist"),
        {"action": "mark_preparing", "_selected_action": [paid.pk, pending.pk]},
        follow=True,
    )
    assert response.status_code == 200
    paid.refresh_from_db()
    pending.refresh_from_db()
    assert paid.status == "PREPARING"
    assert paid.history.last().actor == staff
    assert pending.status == "PENDING_PAYMENT"
    text = response.content.decode()
    assert pending.code in text


def test_category_admin_limits_parents_to_top_level(staff_client):
    client, _staff = staff_client
    top = CategoryFactory(slug="top")
    CategoryFactory(slug="child", parent=top)
    form = client.get(reverse("admin:shop_category_add")).context["adminform"].form
    assert list(form.fields["parent"].queryset.values_list("slug", flat=True)) == ["top"]
    assert Order.objects.count() == 0


def test_order_search_by_phone_and_public_id(staff_client, user):
    client, _staff = staff_client
    product = ProductFactory(stock=2)
    cart.add_to_cart(user, product.public_id, 1)
    order = checkout.checkout(user, fulfilment="pickup").order
    url = reverse("admin:shop_order_changelist")
    for q in (user.phone_number, str(order.public_id)[:8]):
        response = client.get(url, {"q": q})
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == [order], q
