from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from modules.shop import inventory
from modules.shop.errors import InvalidQuantity, ProductNotFound, StockWouldGoNegative
from modules.shop.models import InventoryMovement, MovementKind, Product
from tests.factories import UserFactory
from tests.modules.shop.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _ledger(product: Product) -> int:
    return product.movements.aggregate(total=Sum("quantity"))["total"] or 0


def test_database_refuses_negative_stock():
    product = ProductFactory(stock=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(stock=F("stock") - 2)
    product.refresh_from_db()
    assert product.stock == 1


def test_every_change_is_a_movement_with_reason_and_actor():
    staff = UserFactory(roles=["reception"])
    product = ProductFactory()
    inventory.receive_stock(product, 10, reason="Proveedor Aromas SAS", actor=staff)
    inventory.record_counter_sale(product, 2, reason="Venta en recepción", actor=staff)
    movement = inventory.adjust_stock(product, -1, reason="Frasco roto", actor=staff)
    product.refresh_from_db()
    assert product.stock == 7 == _ledger(product)
    assert movement.stock_after == 7
    assert movement.kind == MovementKind.ADJUSTMENT
    kinds = list(product.movements.order_by("pk").values_list("kind", "quantity", "actor"))
    assert kinds == [
        ("receipt", 10, staff.pk),
        ("sale", -2, staff.pk),
        ("adjustment", -1, staff.pk),
    ]
    assert "Frasco roto" in str(movement) or "adjustment" in str(movement).lower() or str(movement)


def test_decrement_below_zero_writes_nothing():
    product = ProductFactory(stock=2)
    with pytest.raises(StockWouldGoNegative) as exc:
        inventory.record_counter_sale(product, 3, reason="x", actor=None)
    assert exc.value.status_code == 409
    assert exc.value.details["sku"] == product.sku
    product.refresh_from_db()
    assert product.stock == 2
    assert InventoryMovement.objects.filter(product=product).count() == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda p: inventory.receive_stock(p, 0, reason="x", actor=None),
        lambda p: inventory.record_counter_sale(p, -1, reason="x", actor=None),
        lambda p: inventory.adjust_stock(p, 0, reason="x", actor=None),
    ],
)
def test_invalid_quantities(call):
    with pytest.raises(InvalidQuantity):
        call(ProductFactory())


def test_low_stock_alert_once_when_crossing_threshold(boundary, settings):
    settings.SHOP_LOW_STOCK_THRESHOLD = 3
    reception = UserFactory(roles=["reception"])
    admin = UserFactory(roles=["admin"])
    UserFactory(roles=["client"])
    product = ProductFactory(stock=5, name="Aceite de lavanda")
    inventory.record_counter_sale(product, 1, reason="venta", actor=None)  # 4: above
    assert boundary.templates("shop/low_stock") == []
    inventory.record_counter_sale(product, 2, reason="venta", actor=None)  # 2: crosses
    alerts = boundary.templates("shop/low_stock")
    assert {a["user"].id for a in alerts} == {reception.pk, admin.pk}
    assert alerts[0]["context"] == {
        "product": "Aceite de lavanda",
        "sku": product.sku,
        "stock": 2,
        "threshold": 3,
    }
    inventory.record_counter_sale(product, 1, reason="venta", actor=None)  # 1: already low
    assert len(boundary.templates("shop/low_stock")) == 2


def test_low_stock_template_renders_spanish():
    from django.template.loader import render_to_string

    text = render_to_string(
        "notifications/shop/low_stock/whatsapp.txt",
        {"product": "Crema", "sku": "CRE-1", "stock": 1, "threshold": 3},
    )
    assert "Inventario bajo" in text and "1 unidad " in text


def test_a_move_is_one_update_returning_and_its_movement():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    product = ProductFactory(stock=10, low_stock_threshold=2)
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        movement = inventory.record_counter_sale(product, 3, reason="venta", actor=None)
    statements = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert [sql.split()[0] for sql in statements] == ["UPDATE", "INSERT"], statements
    assert "RETURNING" in statements[0]
    assert movement.stock_after == 7
    # The product it carries is the row as the UPDATE left it; other fields load on access.
    assert (movement.product.stock, movement.product.sku) == (7, product.sku)
    assert movement.product.price_cents == product.price_cents


def test_a_refusal_by_the_check_constraint_keeps_the_transaction_usable(monkeypatch):
    """The conditional UPDATE never lets the CHECK fire; if it ever did, the move is
    refused like any other and the caller's transaction goes on."""
    product = ProductFactory(stock=2)

    def violating(product_id, delta, *, only_active):
        Product.objects.filter(pk=product_id).update(stock=F("stock") - 100)  # IntegrityError

    monkeypatch.setattr(inventory, "_apply_delta", violating)
    with transaction.atomic():
        with pytest.raises(StockWouldGoNegative):
            inventory.record_counter_sale(product, 1, reason="x", actor=None)
        product.refresh_from_db()  # still usable
        assert product.stock == 2
    assert InventoryMovement.objects.filter(product=product).count() == 1


def test_a_release_inside_a_transaction_needs_no_savepoint():
    """An increment cannot break the stock constraint: no savepoint round trips (a
    decrement keeps its own, see the test above)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    product = ProductFactory(stock=1)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as ctx:
            inventory.receive_stock(product, 2, reason="llegada", actor=None)
        sent = [q["sql"].split()[0] for q in ctx.captured_queries]
        with CaptureQueriesContext(connection) as ctx:
            inventory.record_counter_sale(product, 1, reason="venta", actor=None)
        sale = [q["sql"].split()[0] for q in ctx.captured_queries]
    assert sent == ["UPDATE", "INSERT"], sent
    assert sale == ["SAVEPOINT", "UPDATE", "INSERT", "RELEASE"], sale
    product.refresh_from_db()
    assert product.stock == 2


def test_a_refused_increment_keeps_the_transaction_usable():
    product = ProductFactory(stock=1)
    with transaction.atomic():
        with pytest.raises(ProductNotFound):
            inventory.move_stock(
                product.pk + 1000, 1, kind=MovementKind.RELEASE, reason="x", actor=None
            )
        product.refresh_from_db()  # still usable
        assert product.stock == 1
