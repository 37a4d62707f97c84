"""Shop cart: one cart per user, its lines changed under the cart's row lock."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.shop.errors import (
    InvalidQuantity,
    OutOfStock,
    ProductNotFound,
)
from modules.shop.models import (
    Cart,
    CartItem,
    Product,
)
from modules.shop.selectors import parse_public_id, with_items


def get_or_create_cart(user: Any) -> Cart:
    cart, _created = Cart.objects.get_or_create(user_id=user.id)
    return cart


def _touch(user_id: int) -> Cart | None:
    """``updated_at = now`` on the user's cart in one UPDATE that returns it (None: no cart).
    The UPDATE row-locks it for the caller's transaction, as SELECT ... FOR UPDATE would,
    and records the change in the same round trip. Raw SQL only because the ORM's
    ``update()`` cannot say RETURNING (PostgreSQL, and SQLite >= 3.35 in tests)."""
    meta = Cart._meta
    qn = connection.ops.quote_name
    names = ("id", "user_id", "updated_at")
    column = {name: qn(meta.get_field(name).column) for name in names}
    # Only quoted identifiers from the model are formatted in; values are parameters.
    sql = (
        f"UPDATE {qn(meta.db_table)} SET {column['updated_at']} = %s "  # noqa: S608
        f"WHERE {column['user_id']} = %s RETURNING {column['id']}"
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    return Cart.from_db(connection.alias, list(names), [row[0], user_id, now])


def _locked_cart(user: Any) -> Cart:
    """The user's cart, row-locked for the caller's transaction and marked changed now:
    concurrent changes to one cart (a double click, two tabs) run one after the other
    instead of both inserting the same line."""
    cart = _touch(user.id)
    if cart is None:  # first change: create it, then lock it like any other
        get_or_create_cart(user)
        cart = _touch(user.id)
    if cart is None:  # pragma: no cover - created just above; deleted only with its user
        raise Cart.DoesNotExist
    return cart


def _active_product(product_public_id: Any) -> Product:
    try:
        return Product.objects.select_related("category__parent").get(
            public_id=parse_public_id(product_public_id), active=True
        )
    except Product.DoesNotExist:
        raise ProductNotFound() from None


def _check_quantity(quantity: int) -> None:
    limit = settings.SHOP_MAX_LINE_QUANTITY
    if not 1 <= quantity <= limit:
        raise InvalidQuantity(
            _("La cantidad debe estar entre 1 y %(max)s.") % {"max": limit},
            details={"max": limit},
        )


def _check_available(product: Product, quantity: int) -> None:
    # Early feedback only: the reservation at checkout is what guarantees stock.
    if product.stock < quantity:
        raise OutOfStock(
            _("No hay unidades suficientes de %(name)s.") % {"name": product.name},
            details={"sku": product.sku, "availability": product.availability},
        )


def add_to_cart(user: Any, product_public_id: Any, quantity: int = 1) -> Cart:
    """Add units to the product's line. The cart comes back with its lines attached
    (``selectors.cart_items`` answers without reading them again)."""
    product = _active_product(product_public_id)
    with transaction.atomic():
        cart = _locked_cart(user)
        # Every line, read under the cart's lock: the one to change and the answer.
        items = list(cart.items.select_related("product__category__parent"))
        item = next((line for line in items if line.product_id == product.pk), None)
        new_quantity = quantity + (item.quantity if item else 0)
        _check_quantity(new_quantity)
        _check_available(product, new_quantity)
        if item:
            item.quantity = new_quantity
            item.save(update_fields=["quantity"])
        else:
            items.append(CartItem.objects.create(cart=cart, product=product, quantity=new_quantity))
    return with_items(cart, items)


def set_cart_quantity(user: Any, product_public_id: Any, quantity: int) -> Cart:
    """Set a line's quantity; 0 removes it."""
    if quantity == 0:
        return remove_from_cart(user, product_public_id)
    _check_quantity(quantity)
    product = _active_product(product_public_id)
    _check_available(product, quantity)
    with transaction.atomic():
        cart = _locked_cart(user)
        CartItem.objects.update_or_create(
            cart=cart, product=product, defaults={"quantity": quantity}
        )
    return cart


def remove_from_cart(user: Any, product_public_id: Any) -> Cart:
    product_id = parse_public_id(product_public_id)
    with transaction.atomic():
        # Locked like the other changes: an add that has read this line updates it before
        # the line goes, instead of finding it deleted under it.
        cart = _locked_cart(user)
        deleted, _rows = CartItem.objects.filter(cart=cart, product__public_id=product_id).delete()
        if not deleted:
            raise ProductNotFound(_("Ese producto no está en tu carrito."))
    return cart


def clear_cart(user: Any) -> Cart:
    with transaction.atomic():
        cart = _locked_cart(user)
        cart.items.all().delete()
    return cart
