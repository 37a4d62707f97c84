"""Read queries for the API, the admin and the assistant.

Every list query fetches its relations up front (select_related for the category
chain, prefetch_related for tags and images) so the number of queries does not grow
with the number of rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Window, prefetch_related_objects

from modules.shop import shapes
from modules.shop.errors import OrderNotFound, ProductNotFound
from modules.shop.models import (
    Cart,
    CartItem,
    Category,
    Order,
    OrderLine,
    Product,
    ProductImage,
    Tag,
)
from modules.shop.versions import CATALOG
from platform_core.pagination import Mapped


def parse_public_id(value: Any) -> uuid.UUID | None:
    """A public id from a URL, the assistant or a signal; None when it is not a UUID."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, TypeError, AttributeError):
        return None


SORTS = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "price": ("price_cents", "pk"),
    "-price": ("-price_cents", "-pk"),
    "newest": ("-created_at", "-pk"),
}


def _with_relations(qs: QuerySet[Product]) -> QuerySet[Product]:
    return qs.select_related("category__parent").prefetch_related(
        "tags", Prefetch("images", queryset=ProductImage.objects.order_by("position", "pk"))
    )


def product_list(
    *,
    query: str = "",
    category: str = "",
    tag: str = "",
    min_price: int | None = None,
    max_price: int | None = None,
    in_stock: bool | None = None,
    sort: str = "name",
) -> QuerySet[Product]:
    """Active products. ``category`` (a slug) includes its subcategories."""
    qs = Product.objects.filter(active=True)
    if query:
        qs = qs.filter(
            Q(name__icontains=query)
            | Q(description__icontains=query)
            | Q(sku__iexact=query)
            | Q(tags__name__icontains=query)
        ).distinct()
    if category:
        qs = qs.filter(Q(category__slug=category) | Q(category__parent__slug=category))
    if tag:
        qs = qs.filter(tags__slug=tag)
    if min_price is not None:
        qs = qs.filter(price_cents__gte=min_price)
    if max_price is not None:
        qs = qs.filter(price_cents__lte=max_price)
    if in_stock is True:
        qs = qs.filter(stock__gt=0)
    elif in_stock is False:
        qs = qs.filter(stock=0)
    return _with_relations(qs).order_by(*SORTS.get(sort, SORTS["name"]))


def product_detail(public_id: Any) -> Product:
    """One active product with its category chain, tags and images (the tags and images
    kept for the current catalog state, see ``_ProductRelations``)."""
    try:
        product = Product.objects.select_related("category__parent").get(
            active=True, public_id=parse_public_id(public_id)
        )
    except Product.DoesNotExist:
        raise ProductNotFound() from None
    PRODUCT_RELATIONS.attach([product])
    return product


def category_tree() -> QuerySet[Category]:
    """Active top-level categories with their active subcategories."""
    return (
        Category.objects.filter(active=True, parent__isnull=True)
        .prefetch_related(
            Prefetch("children", queryset=Category.objects.filter(active=True), to_attr="subs")
        )
        .order_by("position", "name")
    )


class _ProductRelations:
    """Per process: each product's tags and images, kept for one state of the CATALOG
    counter (version and when it changed; every save or delete of a product, tag, image or
    product-tag link bumps it, see versions.py), so a cart or a product page answers
    without reading them again. The counter is read before the data
    (platform_core.versioning): relations read while a catalog write is in flight are kept
    under a state that its commit retires."""

    def __init__(self) -> None:
        # (counter state, {product pk: (tags, images)}), replaced as a whole: threads
        # never see entries under another state's key.
        self._kept: tuple[tuple[int, float], dict[int, tuple[list[Tag], list[ProductImage]]]]
        self._kept = ((0, 0.0), {})

    def attach(self, products: Iterable[Product]) -> None:
        """Fill each product's ``tags`` and ``images`` (what ``prefetch_related`` would)."""
        products = list(products)
        state = CATALOG.state()
        kept_state, entries = self._kept
        if kept_state != state:
            entries = {}
        missing = list({p.pk: p for p in products if p.pk not in entries}.values())
        if missing:
            prefetch_related_objects(missing, "tags", "images")
            entries = {
                **entries,
                **{p.pk: (list(p.tags.all()), list(p.images.all())) for p in missing},
            }
            self._kept = (state, entries)
        for product in products:
            tags, images = entries[product.pk]
            _attach(product, product.tags, tags)
            _attach(product, product.images, images)


PRODUCT_RELATIONS = _ProductRelations()


def cart_items(cart: Cart) -> list[CartItem]:
    """The cart's lines with their products (category, tags, images): the ones a change
    has just loaded and attached to ``cart`` (``with_items``), else read now."""
    if "items" in getattr(cart, "_prefetched_objects_cache", {}):
        return list(cart.items.all())
    items = list(cart.items.select_related("product__category__parent"))
    PRODUCT_RELATIONS.attach(item.product for item in items)
    return items


def with_items(cart: Cart, items: Iterable[CartItem]) -> Cart:
    """``cart`` whose ``cart.items.all()`` gives ``items`` (loaded in the model's order, with
    ``product__category__parent``) plus their products' tags and images, as ``cart_items``
    reads them: how a change answers with the cart it has just written."""
    items = list(items)
    PRODUCT_RELATIONS.attach(item.product for item in items)
    _attach(cart, cart.items, items)
    return cart


def orders_for(user: Any, *, status: str = "", everyone: bool = False) -> QuerySet[Order]:
    """The user's orders; ``everyone`` (staff only, checked by the caller) lists all."""
    qs = Order.objects.prefetch_related("lines")
    if not everyone:
        qs = qs.filter(user_id=user.id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


class OrderPage(Mapped):
    """One page of ``orders_for`` as OrderOut dicts (shapes.order_row_out) for the API's
    paginator, which asks ``count()`` and then this very window: the page's rows and the
    count of all come in one statement (a window count on each row), the page's lines in a
    second. Rows are read as narrow tuples, never as model instances; a read-only list needs
    none of their machinery."""

    def __init__(self, queryset: QuerySet[Order], *, offset: int, limit: int) -> None:
        super().__init__(queryset, shapes.order_row_out)
        self._window = slice(offset, offset + limit)
        self._rows: list[tuple[Any, ...]] | None = None
        self._count: int | None = None

    def _read(self) -> list[tuple[Any, ...]]:
        if self._rows is None:
            qs = self.queryset.annotate(total=Window(Count("*"))).values_list(
                *shapes.ORDER_COLUMNS, "total"
            )
            self._rows = list(qs[self._window])
            if self._rows:
                self._count = self._rows[0][-1]
            elif self._window.start == 0:
                self._count = 0
        return self._rows

    def count(self) -> int:
        self._read()
        if self._count is None:  # a page past the end: no row to carry the count
            self._count = self.queryset.count()
        return self._count

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        if window != self._window:
            raise ValueError(f"OrderPage reads {self._window}, not {window}")
        rows = [dict(zip(shapes.ORDER_COLUMNS, row[:-1], strict=True)) for row in self._read()]
        lines: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
        for order_id, *values in (
            OrderLine.objects.filter(order_id__in=list(lines))
            .order_by("pk")
            .values_list("order_id", *shapes.LINE_COLUMNS)
        ):
            lines[order_id].append(dict(zip(shapes.LINE_COLUMNS, values, strict=True)))
        return [self.shape(row, lines[row["id"]]) for row in rows]


def order_page(
    user: Any, *, status: str = "", everyone: bool = False, page: int = 1, page_size: int = 20
) -> OrderPage:
    """Page ``page`` (from 1) of ``orders_for``, for the API."""
    return OrderPage(
        orders_for(user, status=status, everyone=everyone).prefetch_related(None),
        offset=(page - 1) * page_size,
        limit=page_size,
    )


def order_for(user: Any, public_id: Any, *, staff: bool = False) -> Order:
    """The user's own order with its lines; staff may read any. Others get 404, never 403."""
    qs = Order.objects.prefetch_related("lines")
    if not staff:
        qs = qs.filter(user_id=user.id)
    try:
        return qs.get(public_id=parse_public_id(public_id))
    except Order.DoesNotExist:
        raise OrderNotFound() from None


def with_lines(order: Order, lines: Iterable[OrderLine]) -> Order:
    """``order`` whose ``order.lines.all()`` gives ``lines`` (already loaded, in the model's
    pk order) without a query, as ``prefetch_related("lines")`` would have: for a service
    that has just written or read them under the order's lock, so the API answers from
    them instead of reading the order back."""
    _attach(order, order.lines, lines)
    return order


def _attach(instance: Any, manager: Any, objs: Iterable[Any]) -> None:
    """Fill ``instance``'s prefetch cache for the relation ``manager`` (reverse foreign key
    or many-to-many) with ``objs``, the way Django's ``prefetch_related`` does (a queryset
    with its result cache set): ``manager.all()`` then answers without a query."""
    name = getattr(manager, "prefetch_cache_name", None) or manager.field.remote_field.cache_name
    cache = getattr(instance, "_prefetched_objects_cache", None)
    if cache is None:
        cache = instance._prefetched_objects_cache = {}
    cache.pop(name, None)
    loaded = manager.all()  # lazy: no query
    loaded._result_cache = list(objs)
    loaded._prefetch_done = True
    cache[name] = loaded
