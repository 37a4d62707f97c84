"""Shop inventory: every stock change, and the low-stock alert.

Stock rules:
- ``Product.stock`` is what can be sold now. It only changes through
  :func:`move_stock`, which issues one conditional UPDATE (``stock = stock + delta``
  filtered on ``stock >= -delta`` for decrements, returning the new stock) and writes
  an InventoryMovement in the same transaction. There is no read-then-write, so
  concurrent checkouts cannot oversell; the CHECK constraint ``stock >= 0`` is the last
  line of defence.
- A checkout reserves (``reservation``, negative); an expired or cancelled order gives
  the units back (``release``, positive). Paying does not move stock: the reserved
  units simply stay sold. ``sale`` is for counter sales recorded by staff.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.shop import ports
from modules.shop.errors import (
    InvalidQuantity,
    OutOfStock,
    ProductNotFound,
    StockWouldGoNegative,
)
from modules.shop.models import (
    InventoryMovement,
    MovementKind,
    Order,
    Product,
)
from modules.shop.versions import CATALOG
from platform_core.accounts import UserRef


def user_id(user: UserRef | None) -> int | None:
    """The account id of a user model instance or identity's UserDTO (None: nobody)."""
    return getattr(user, "id", None)


class _NotMoved(Exception):
    """The conditional UPDATE changed no row (or the CHECK constraint refused it)."""


# What move_stock reads back from its UPDATE (RETURNING): the movement, the low-stock alert
# and the catalog's shown availability need these, in the model's field order.
_RETURNED = ("id", "sku", "name", "stock", "low_stock_threshold")


def _apply_delta(product_id: int, delta: int, *, only_active: bool) -> Product | None:
    """``stock = stock + delta`` in one conditional UPDATE (``stock >= -delta`` for a
    decrement, ``active`` when asked) that returns the product's new state: None when no
    row matched. The row stays locked by the caller's transaction. Raw SQL only because the
    ORM's ``update()`` cannot say RETURNING (PostgreSQL, and SQLite >= 3.35 in tests)."""
    meta = Product._meta
    qn = connection.ops.quote_name
    names = (*_RETURNED, "active", "updated_at")
    column = {name: qn(meta.get_field(name).column) for name in names}
    where = [f"{column['id']} = %s"]
    params: list[Any] = [
        delta,
        connection.ops.adapt_datetimefield_value(timezone.now()),
        product_id,
    ]
    if only_active:
        where.append(column["active"])
    if delta < 0:
        where.append(f"{column['stock']} >= %s")
        params.append(-delta)
    # Only quoted identifiers from the model are formatted in; values are parameters.
    sql = (
        f"UPDATE {qn(meta.db_table)} SET {column['stock']} = {column['stock']} + %s, "  # noqa: S608
        f"{column['updated_at']} = %s WHERE {' AND '.join(where)} "
        f"RETURNING {', '.join(column[name] for name in _RETURNED)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    # A model instance like ``.only(*_RETURNED)`` would give: other fields load on access.
    return Product.from_db(connection.alias, list(_RETURNED), list(row))


def move_stock(
    product_id: int,
    delta: int,
    *,
    kind: str,
    reason: str,
    actor: Any = None,
    order: Order | None = None,
    only_active: bool = False,
) -> InventoryMovement:
    """Apply ``delta`` to a product's stock atomically and record the movement.

    Raises OutOfStock (reservations) or StockWouldGoNegative (others) when a decrement
    would take the stock below zero; nothing is written in that case.
    """
    if delta == 0:
        raise InvalidQuantity()
    try:
        # A decrement runs in a savepoint: on refusal it is rolled back and the caller's
        # transaction stays usable (also after the CHECK constraint refused the UPDATE). An
        # increment cannot break the constraint, so it needs none (two round trips less on
        # every release): outside a transaction it still gets one of its own.
        with transaction.atomic(savepoint=delta < 0):
            try:
                product = _apply_delta(product_id, delta, only_active=only_active)
            except IntegrityError:  # the CHECK constraint caught what the filter missed
                raise _NotMoved from None
            if product is not None:
                movement = InventoryMovement.objects.create(
                    product=product,
                    kind=kind,
                    quantity=delta,
                    stock_after=product.stock,
                    reason=reason[:255],
                    actor_id=user_id(actor),
                    order=order,
                )
                if delta < 0 and product.stock - delta > product.threshold >= product.stock:
                    _alert_low_stock(product, movement)
                if (
                    _shown_availability(product.stock - delta, product.threshold)
                    != product.availability
                ):
                    CATALOG.bump()  # the catalog shows in_stock / low / out, not the count
        # No row matched: raised after the block, which wrote nothing and ends cleanly (an
        # exception leaving a block without a savepoint would doom the caller's transaction).
        if product is None:
            raise _NotMoved
    except _NotMoved:
        _refused(product_id, kind)
    return movement


def _refused(product_id: int, kind: str) -> NoReturn:
    """Raise the error for a move the database refused."""
    refused = Product.objects.filter(pk=product_id).only("sku", "name").first()
    if refused is None:
        raise ProductNotFound() from None
    details = {"sku": refused.sku, "product": refused.name}
    if kind == MovementKind.RESERVATION:
        raise OutOfStock(
            _("No hay unidades suficientes de %(name)s.") % {"name": refused.name},
            details=details,
        ) from None
    raise StockWouldGoNegative(details=details) from None


def _shown_availability(stock: int, threshold: int) -> str:
    return Product(stock=stock, low_stock_threshold=threshold).availability


def _alert_low_stock(product: Product, movement: InventoryMovement) -> None:
    """Tell reception/admin once, when the stock crosses the threshold downwards."""
    context = {
        "product": product.name,
        "sku": product.sku,
        "stock": product.stock,
        "threshold": product.threshold,
    }
    for staff in ports.shop_staff():
        ports.notify_user(
            staff,
            template="shop/low_stock",
            context=context,
            key=f"shop:low_stock:{movement.pk}:{staff.id}",
        )


def receive_stock(product: Product, quantity: int, *, reason: str, actor: Any) -> InventoryMovement:
    """Goods arrived from a supplier."""
    if quantity <= 0:
        raise InvalidQuantity()
    return move_stock(product.pk, quantity, kind=MovementKind.RECEIPT, reason=reason, actor=actor)


def record_counter_sale(
    product: Product, quantity: int, *, reason: str, actor: Any
) -> InventoryMovement:
    """A sale at the reception desk (not through an online order)."""
    if quantity <= 0:
        raise InvalidQuantity()
    return move_stock(product.pk, -quantity, kind=MovementKind.SALE, reason=reason, actor=actor)


def adjust_stock(product: Product, delta: int, *, reason: str, actor: Any) -> InventoryMovement:
    """Stocktake corrections, breakage, samples: a signed change with a reason."""
    return move_stock(product.pk, delta, kind=MovementKind.ADJUSTMENT, reason=reason, actor=actor)


MANUAL_KINDS = {
    MovementKind.RECEIPT: receive_stock,
    MovementKind.SALE: record_counter_sale,
    MovementKind.ADJUSTMENT: adjust_stock,
}
