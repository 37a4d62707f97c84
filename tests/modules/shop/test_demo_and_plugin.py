from __future__ import annotations

import io

import pytest
from django.db.models import Sum

from modules.shop.demo import PRODUCTS, seed
from modules.shop.models import Category, Product

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_stock_comes_from_receipts():
    out = io.StringIO()
    seed(out)
    seed(out)
    assert Product.objects.count() == len(PRODUCTS)
    assert set(Category.objects.filter(parent__isnull=True).values_list("slug", flat=True)) == {
        "aceites",
        "cremas",
        "sets-de-regalo",
    }
    for sku, *_rest, stock, _tags, _desc in PRODUCTS:
        product = Product.objects.get(sku=sku)
        assert product.stock == stock
        assert product.movements.aggregate(s=Sum("quantity"))["s"] == stock
    assert "shop:" in out.getvalue()


def test_plugin_wiring(api):
    from modules.shop.plugin import plugin

    assert plugin.router == "modules.shop.api:router"
    assert plugin.seed_demo == "modules.shop.demo:seed"
    schema = api.get("/api/openapi.json").json()
    assert "/api/shop/products/" in schema["paths"]
    assert "/api/shop/orders/{order_id}/status/" in schema["paths"]
    modules = {m["name"] for m in api.get("/api/").json()["modules"]}
    assert "shop" in modules
