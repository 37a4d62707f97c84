from __future__ import annotations

import pytest

from modules.shop import cart, checkout
from modules.shop.models import Cart, Order
from modules.shop.personal_data import erase_user, export_user
from platform_core.plugins import personal_data_erasers, personal_data_exporters
from tests.modules.shop.factories import ProductFactory

pytestmark = pytest.mark.django_db

ADDRESS = checkout.DeliveryAddress(
    recipient_name="Ana Gómez",
    recipient_phone="+573001234567",
    address_line="Calle 85 # 11-53",
    neighborhood="El Chicó",
    notes="Portería",
)


@pytest.fixture
def history(user, other_user):
    product = ProductFactory(sku="ACE-1", name="Aceite", stock=5)
    cart.add_to_cart(user, product.public_id, 1)
    delivered = checkout.checkout(user, fulfilment="delivery", address=ADDRESS).order
    cart.add_to_cart(user, product.public_id, 2)
    cart.add_to_cart(other_user, product.public_id, 1)
    checkout.checkout(other_user, fulfilment="delivery", address=ADDRESS)
    return delivered


def test_export_has_cart_orders_and_addresses(user, history):
    data = export_user(user)
    assert data["cart"] == [{"sku": "ACE-1", "name": "Aceite", "quantity": 2}]
    (order,) = data["orders"]
    assert order["id"] == str(history.public_id)
    assert order["address"]["address_line"] == "Calle 85 # 11-53"
    assert order["address"]["city"] == "Bogotá"
    assert order["lines"][0]["sku"] == "ACE-1"


def test_erase_keeps_orders_but_pseudonymises_addresses(user, other_user, history):
    erase_user(user)
    assert not Cart.objects.filter(user=user).exists()
    order = Order.objects.get(pk=history.pk)
    assert order.total_cents == history.total_cents  # kept for accounting
    assert (order.recipient_name, order.recipient_phone, order.delivery_notes) == ("", "", "")
    assert order.address_line == "[borrado]"
    assert order.address_erased_at is not None
    assert export_user(user)["cart"] == []
    # Nobody else's data is touched.
    theirs = Order.objects.get(user=other_user)
    assert theirs.recipient_name == "Ana Gómez"
    erase_user(user)  # idempotent


def test_wired_through_the_plugin():
    assert personal_data_exporters()["shop"] is export_user
    assert personal_data_erasers()["shop"] is erase_user
