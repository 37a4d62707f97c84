"""HTTP for the shop under /api/shop/: parse, authorise, call a service, shape.

No ``from __future__ import annotations`` here: Ninja resolves ``Query[...]`` parameters
of paginated views from real annotations.
"""

from dataclasses import asdict
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Status
from ninja.pagination import paginate

from modules.shop import cart as carts
from modules.shop import checkout as checkouts
from modules.shop import orders, ports, selectors, shapes
from modules.shop.models import OrderStatus
from modules.shop.schemas import (
    CartAddIn,
    CartOut,
    CartQuantityIn,
    CategoryOut,
    CheckoutIn,
    CheckoutOut,
    OrderOut,
    OrderPayAgainIn,
    ProductFilters,
    ProductOut,
    StatusChangeIn,
)
from modules.shop.versions import CATALOG
from platform_core.conditional import cacheable
from platform_core.errors import PermissionDenied
from platform_core.idempotency import idempotent
from platform_core.pagination import Pagination

router = Router()

PRODUCTS_MAX_PAGE_SIZE = 500


class ProductPagination(Pagination):
    """The catalog is small and a storefront may load it whole: up to 500 per page.

    The list runs a constant number of queries whatever the page size (see
    tests/modules/shop/test_catalog_api.py), so the larger cap costs rows, not queries.
    """

    class Input(Pagination.Input):
        page_size: int = Field(20, ge=1, le=PRODUCTS_MAX_PAGE_SIZE)


# --- Catalog (public) ------------------------------------------------------------------------


@router.get(
    "/categories/",
    operation_id="listProductCategories",
    auth=None,
    response=list[CategoryOut],
    summary="Category tree",
)
@cacheable(CATALOG)
@paginate(Pagination)
def list_categories(request: HttpRequest) -> Any:
    """The product category tree (top level with subcategories)."""
    return selectors.category_tree()


@router.get(
    "/products/",
    operation_id="listProducts",
    auth=None,
    response=list[ProductOut],
    summary="Browse and search",
)
@cacheable(CATALOG)
@paginate(ProductPagination)
def list_products(request: HttpRequest, filters: Query[ProductFilters]) -> Any:
    """Browse and search active products: text, category, tag, price range, stock, sorting."""
    return selectors.product_list(
        query=filters.q.strip(),
        category=filters.category,
        tag=filters.tag,
        min_price=filters.min_price,
        max_price=filters.max_price,
        in_stock=filters.in_stock,
        sort=filters.sort,
    )


@router.get(
    "/products/{product_id}/",
    operation_id="getProduct",
    auth=None,
    response=ProductOut,
    summary="Product detail",
)
@cacheable(CATALOG)
def get_product(request: HttpRequest, product_id: UUID) -> Any:
    """One active product."""
    return selectors.product_detail(product_id)


# --- Cart (per user, server side) ---------------------------------------------------------


def _cart_out(user: Any, cart: Any = None) -> dict[str, Any]:
    """The cart as the API shows it (``cart``: the one a change just returned, else the
    user's, created on first read)."""
    cart = cart if cart is not None else carts.get_or_create_cart(user)
    vip = ports.is_vip(user)
    lines = []
    for item in selectors.cart_items(cart):
        price = item.product.unit_price(vip=vip)
        lines.append(
            {
                "product": item.product,
                "quantity": item.quantity,
                "unit_price_cents": price,
                "line_total_cents": price * item.quantity,
            }
        )
    return {
        "items": lines,
        "subtotal_cents": sum(line["line_total_cents"] for line in lines),
        "currency": settings.CURRENCY,
        "vip_pricing": vip,
    }


@router.get("/cart/", operation_id="getMyCart", response=CartOut, summary="My cart")
def get_cart(request: HttpRequest) -> Any:
    """The signed-in user's cart with current prices (VIP prices for members)."""
    return _cart_out(request.auth)


@router.post(
    "/cart/items/", operation_id="addCartItem", response=CartOut, summary="Add a product to my cart"
)
def add_cart_item(request: HttpRequest, payload: CartAddIn) -> Any:
    """Add units of a product to the cart (a line holds at most 20)."""
    cart = carts.add_to_cart(request.auth, payload.product_id, payload.quantity)
    return _cart_out(request.auth, cart)


@router.put(
    "/cart/items/{product_id}/",
    operation_id="setCartItemQuantity",
    response=CartOut,
    summary="Set a line's quantity",
)
def set_cart_item(request: HttpRequest, product_id: UUID, payload: CartQuantityIn) -> Any:
    """Set a cart line's quantity (0 removes it)."""
    cart = carts.set_cart_quantity(request.auth, product_id, payload.quantity)
    return _cart_out(request.auth, cart)


@router.delete(
    "/cart/items/{product_id}/",
    operation_id="removeCartItem",
    response=CartOut,
    summary="Remove a line",
)
def remove_cart_item(request: HttpRequest, product_id: UUID) -> Any:
    """Remove a product from the cart."""
    cart = carts.remove_from_cart(request.auth, product_id)
    return _cart_out(request.auth, cart)


@router.delete("/cart/", operation_id="clearCart", response=CartOut, summary="Empty my cart")
def clear_cart(request: HttpRequest) -> Any:
    """Empty the cart."""
    cart = carts.clear_cart(request.auth)
    return _cart_out(request.auth, cart)


# --- Checkout and orders -------------------------------------------------------------------


@router.post(
    "/checkout/",
    operation_id="checkoutCart",
    response={201: CheckoutOut},
    summary="Order my cart and pay",
)
@idempotent("shop.checkout")
def checkout(request: HttpRequest, payload: CheckoutIn) -> Any:
    """Order the cart: stock is reserved and the answer carries the Wompi checkout; unpaid
    orders expire. Pickup at the spa or delivery in Bogotá. Accepts Idempotency-Key."""
    address = (
        checkouts.DeliveryAddress(**payload.address.model_dump())
        if payload.address is not None
        else None
    )
    result = checkouts.checkout(
        request.auth,
        fulfilment=payload.fulfilment,
        address=address,
        tenders=ports.tender_offers(payload.tenders),
    )
    order = result.order  # as the checkout wrote it, its lines attached: no re-read
    if result.payment.settled:
        # Tenders paid it all: the settlement (after commit) may have moved it already.
        order = selectors.order_for(request.auth, order.public_id)
    return Status(201, _checkout_out(result, order))


def _checkout_out(result: checkouts.CheckoutResult, order: Any) -> dict[str, Any]:
    payment = result.payment
    return {
        "order": shapes.order_out(order),
        "payment": {
            "reference": payment.reference,
            "amount_in_cents": payment.amount_in_cents,
            "currency": payment.currency,
            "checkout_url": payment.checkout_url,
            "expiration_time": payment.expiration_time,
            "total_cents": payment.total_cents,
            "tendered_cents": payment.tendered_cents,
            "tenders": [asdict(t) for t in payment.tenders],
            "settled": payment.settled,
        },
    }


@router.get(
    "/orders/",
    operation_id="listMyOrders",
    response=list[OrderOut],
    summary="My orders (staff: all=true for all)",
)
@paginate(Pagination, pass_parameter="window")
def list_orders(
    request: HttpRequest, status: OrderStatus | None = None, all: bool = False, **kwargs: Any
) -> Any:
    """The signed-in user's orders, newest first (staff: all=true for every client's)."""
    everyone = all and ports.is_shop_staff(request.auth)
    if all and not everyone:
        raise PermissionDenied()
    # The page asked for (``window``: the paginator's input): read with its count at once.
    window = kwargs["window"]
    return selectors.order_page(
        request.auth,
        status=status or "",
        everyone=everyone,
        page=window.page,
        page_size=window.page_size,
    )


@router.get(
    "/orders/{order_id}/", operation_id="getOrder", response=OrderOut, summary="One of my orders"
)
def get_order(request: HttpRequest, order_id: UUID) -> Any:
    """One order (the client's own; staff: any)."""
    return shapes.order_out(
        selectors.order_for(request.auth, order_id, staff=ports.is_shop_staff(request.auth))
    )


@router.post(
    "/orders/{order_id}/cancel/",
    operation_id="cancelOrder",
    response=OrderOut,
    summary="Cancel my unpaid order",
)
def cancel_order(request: HttpRequest, order_id: UUID) -> Any:
    """Cancel an unpaid order; its reserved stock is released."""
    # The order as the cancellation left it, under its lock (lines attached): no re-read.
    return shapes.order_out(orders.cancel_by_client(request.auth, order_id))


@router.post(
    "/orders/{order_id}/checkout/",
    operation_id="retryOrderPayment",
    response=CheckoutOut,
    summary="Pay an unpaid order again: the open payment attempt, or a new one after a decline",
)
def retry_order_payment(
    request: HttpRequest, order_id: UUID, payload: OrderPayAgainIn | None = None
) -> Any:
    """While the order is PENDING_PAYMENT and its hold lasts: the open attempt if the
    last one is still pending, else a new attempt expiring with the hold, paid first by
    the body's ``tenders`` when given. 409 ``order_expired`` after the hold,
    ``order_not_payable`` once paid or cancelled, ``payment_being_confirmed`` when an
    approved payment is being applied, ``payment_open`` for tenders while an attempt is
    still open."""
    staff = ports.is_shop_staff(request.auth)
    result = checkouts.retry_payment(
        request.auth,
        order_id,
        staff=staff,
        tenders=ports.tender_offers(payload.tenders if payload else None),
    )
    order = selectors.order_for(request.auth, result.order.public_id, staff=staff)
    return _checkout_out(result, order)


@router.post(
    "/orders/{order_id}/status/",
    operation_id="changeOrderStatus",
    response=OrderOut,
    summary="Move an order (reception/admin)",
)
def change_order_status(request: HttpRequest, order_id: UUID, payload: StatusChangeIn) -> Any:
    """Staff (reception/admin): move an order along its workflow (preparing, ready, shipped,
    delivered, …)."""
    if not ports.is_shop_staff(request.auth):
        raise PermissionDenied()
    orders.change_status(order_id, payload.status, actor=request.auth, note=payload.note)
    return shapes.order_out(selectors.order_for(request.auth, order_id, staff=True))
