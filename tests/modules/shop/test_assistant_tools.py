from __future__ import annotations

import pytest

from modules.shop import cart, checkout
from modules.shop.assistant_tools import get_tools
from platform_core.plugins import ToolContext, assistant_tools
from tests.modules.shop.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _tool(name):
    return {t.name: t for t in get_tools()}[name]


def test_tools_are_registered_through_the_plugin():
    tools = assistant_tools()
    assert tools["search_products"].requires_user is False
    assert tools["order_status"].requires_user is True
    assert not tools["order_status"].needs_confirmation


def test_search_products(settings):
    settings.SHOP_LOW_STOCK_THRESHOLD = 3
    oils = CategoryFactory(slug="aceites", name="Aceites")
    ProductFactory(
        name="Aceite de lavanda",
        category=oils,
        price_cents=3_800_000,
        vip_price_cents=None,
        stock=10,
    )
    ProductFactory(name="Crema de lavanda", price_cents=5_000_000, stock=1)
    ctx = ToolContext(user=None, conversation_id="c1")
    found = _tool("search_products").handler(ctx, query="lavanda")["products"]
    assert [p["name"] for p in found] == ["Aceite de lavanda", "Crema de lavanda"]
    assert found[0]["price"] == "$ 38.000" and found[0]["vip_price"] is None
    assert [p["availability"] for p in found] == ["disponible", "pocas unidades"]
    only_oils = _tool("search_products").handler(ctx, category="aceites")["products"]
    assert [p["category"] for p in only_oils] == ["Aceites"]


def test_order_status_only_for_the_writer(user, other_user):
    product = ProductFactory(stock=5)
    cart.add_to_cart(user, product.public_id, 1)
    mine = checkout.checkout(user, fulfilment="pickup").order
    cart.add_to_cart(other_user, product.public_id, 1)
    theirs = checkout.checkout(other_user, fulfilment="pickup").order
    handler = _tool("order_status").handler
    ctx = ToolContext(user=user, conversation_id="c1")
    recent = handler(ctx)["orders"]
    assert [o["id"] for o in recent] == [str(mine.public_id)]
    assert recent[0]["status"] == "Pendiente de pago"
    assert handler(ctx, order_id=str(mine.public_id))["orders"][0]["code"] == mine.code
    assert "error" in handler(ctx, order_id=str(theirs.public_id))
    assert "error" in handler(ctx, order_id="nonsense")
    assert "error" in handler(ToolContext(user=None, conversation_id="c2"))
