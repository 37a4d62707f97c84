"""Shop use-cases: inventory, cart, checkout and the order lifecycle.

Stock rules:
- ``Product.stock`` is what can be sold now. It only changes through
  :func:`_move_stock`, which issues one conditional UPDATE (``stock = stock + delta``
  filtered on ``stock >= -delta`` for decrements) and writes an InventoryMovement in the
  same transaction. There is no read-then-write, so concurrent checkouts cannot
  oversell; the CHECK constraint ``stock >= 0`` is the last line of defence.
- A checkout reserves (``reservation``, negative); an expired or cancelled order gives
  the units back (``release``, positive). Paying does not move stock: the reserved
  units simply stay sold. ``sale`` is for counter sales recorded by staff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.shop import ports
from modules.shop.errors import (
    AddressRequired,
    CartEmpty,
    InvalidQuantity,
    InvalidTransition,
    OrderExpired,
    OrderNotFound,
    OrderNotPayable,
    OutOfStock,
    PaymentBeingConfirmed,
    ProductNotFound,
    StockWouldGoNegative,
)
from modules.shop.models import (
    Cart,
    CartItem,
    Fulfilment,
    InventoryMovement,
    MovementKind,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Product,
)
from modules.shop.selectors import parse_public_id
from modules.shop.versions import CATALOG
from platform_core.accounts import UserRef
from platform_core.money import format_cop
from platform_core.phones import normalize_phone

logger = logging.getLogger("studiozens.shop")

S = OrderStatus

# Staff-driven moves. Payment (PAID) and expiry (EXPIRED) are set by the system only.
STAFF_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.CANCELLED}),
    S.PAID: frozenset({S.PREPARING, S.CANCELLED}),
    S.PREPARING: frozenset({S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY, S.CANCELLED}),
    S.READY_FOR_PICKUP: frozenset({S.COMPLETED, S.CANCELLED}),
    S.OUT_FOR_DELIVERY: frozenset({S.COMPLETED, S.CANCELLED}),
    S.COMPLETED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset({S.REFUNDED}),
    S.EXPIRED: frozenset({S.REFUNDED}),
    S.REFUNDED: frozenset(),
}
# States in which the order still holds its reserved units.
HOLDS_STOCK = frozenset({S.PENDING_PAYMENT, S.PAID, S.PREPARING})
# States reached after the client paid: cancelling them means refunding.
PAID_STATES = frozenset({S.PAID, S.PREPARING, S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY})


# --- Inventory ---------------------------------------------------------------------------


def _move_stock(
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
    with transaction.atomic():
        rows = Product.objects.filter(pk=product_id)
        if only_active:
            rows = rows.filter(active=True)
        if delta < 0:
            rows = rows.filter(stock__gte=-delta)
        try:
            with transaction.atomic():  # savepoint: the transaction stays usable on refusal
                updated = rows.update(stock=F("stock") + delta, updated_at=timezone.now())
        except IntegrityError:  # the CHECK constraint caught what the filter missed
            updated = 0
        if not updated:
            product = Product.objects.filter(pk=product_id).only("sku", "name").first()
            if product is None:
                raise ProductNotFound()
            details = {"sku": product.sku, "product": product.name}
            if kind == MovementKind.RESERVATION:
                raise OutOfStock(
                    _("No hay unidades suficientes de %(name)s.") % {"name": product.name},
                    details=details,
                )
            raise StockWouldGoNegative(details=details)
        # Reading after our own UPDATE is safe: the row is locked by this transaction.
        product = Product.objects.only("pk", "sku", "name", "stock", "low_stock_threshold").get(
            pk=product_id
        )
        movement = InventoryMovement.objects.create(
            product=product,
            kind=kind,
            quantity=delta,
            stock_after=product.stock,
            reason=reason[:255],
            actor_id=_user_id(actor),
            order=order,
        )
        if delta < 0 and product.stock - delta > product.threshold >= product.stock:
            _alert_low_stock(product, movement)
        if _shown_availability(product.stock - delta, product.threshold) != product.availability:
            CATALOG.bump()  # the catalog shows in_stock / low / out, not the count
    return movement


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
    return _move_stock(product.pk, quantity, kind=MovementKind.RECEIPT, reason=reason, actor=actor)


def record_counter_sale(
    product: Product, quantity: int, *, reason: str, actor: Any
) -> InventoryMovement:
    """A sale at the reception desk (not through an online order)."""
    if quantity <= 0:
        raise InvalidQuantity()
    return _move_stock(product.pk, -quantity, kind=MovementKind.SALE, reason=reason, actor=actor)


def adjust_stock(product: Product, delta: int, *, reason: str, actor: Any) -> InventoryMovement:
    """Stocktake corrections, breakage, samples: a signed change with a reason."""
    return _move_stock(product.pk, delta, kind=MovementKind.ADJUSTMENT, reason=reason, actor=actor)


MANUAL_KINDS = {
    MovementKind.RECEIPT: receive_stock,
    MovementKind.SALE: record_counter_sale,
    MovementKind.ADJUSTMENT: adjust_stock,
}


# --- Cart ---------------------------------------------------------------------------------


def _user_id(user: UserRef | None) -> int | None:
    """The account id of a user model instance or identity's UserDTO (None: nobody)."""
    return getattr(user, "id", None)


def get_or_create_cart(user: Any) -> Cart:
    cart, _created = Cart.objects.get_or_create(user_id=user.id)
    return cart


def _locked_cart(user: Any) -> Cart:
    """The user's cart, row-locked for the caller's transaction: concurrent changes to one
    cart (a double click, two tabs) run one after the other instead of both inserting the
    same line."""
    cart = get_or_create_cart(user)
    return Cart.objects.select_for_update().get(pk=cart.pk)


def _active_product(product_public_id: Any) -> Product:
    try:
        return Product.objects.get(public_id=parse_public_id(product_public_id), active=True)
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
    product = _active_product(product_public_id)
    with transaction.atomic():
        cart = _locked_cart(user)
        item = CartItem.objects.filter(cart=cart, product=product).first()
        new_quantity = quantity + (item.quantity if item else 0)
        _check_quantity(new_quantity)
        _check_available(product, new_quantity)
        if item:
            item.quantity = new_quantity
            item.save(update_fields=["quantity"])
        else:
            CartItem.objects.create(cart=cart, product=product, quantity=new_quantity)
        cart.save(update_fields=["updated_at"])
    return cart


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
        cart.save(update_fields=["updated_at"])
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
        cart.save(update_fields=["updated_at"])
    return cart


def clear_cart(user: Any) -> Cart:
    with transaction.atomic():
        cart = _locked_cart(user)
        cart.items.all().delete()
    return cart


# --- Checkout -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryAddress:
    recipient_name: str
    recipient_phone: str
    address_line: str
    address_details: str = ""
    neighborhood: str = ""
    notes: str = ""


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    payment: Any  # payments.public.CheckoutDTO


def _clean_address(address: DeliveryAddress | None) -> DeliveryAddress:
    if address is None or not address.address_line.strip() or not address.recipient_name.strip():
        raise AddressRequired()
    return DeliveryAddress(
        recipient_name=address.recipient_name.strip(),
        recipient_phone=normalize_phone(address.recipient_phone),
        address_line=address.address_line.strip(),
        address_details=address.address_details.strip(),
        neighborhood=address.neighborhood.strip(),
        notes=address.notes.strip(),
    )


def checkout(
    user: Any, *, fulfilment: str, address: DeliveryAddress | None = None
) -> CheckoutResult:
    """Turn the user's cart into an order that holds its stock, and open a payment.

    All lines are reserved or none: the first line that cannot be reserved raises
    OutOfStock (409) and the transaction rolls back every earlier reservation.
    """
    if fulfilment not in Fulfilment.values:
        raise AddressRequired(_("Elige recoger en el spa o domicilio."), code="invalid_fulfilment")
    delivery = fulfilment == Fulfilment.DELIVERY
    clean_address = _clean_address(address) if delivery else None
    vip = ports.is_vip(user)
    now = timezone.now()
    expires_at = now + timedelta(minutes=settings.ORDER_HOLD_MINUTES)

    with transaction.atomic():
        cart = get_or_create_cart(user)
        # Lock the cart so a double-submitted checkout cannot order the same items twice.
        Cart.objects.select_for_update().filter(pk=cart.pk).first()
        items = list(
            cart.items.select_related("product").order_by("product_id")  # fixed lock order
        )
        if not items:
            raise CartEmpty()
        for item in items:
            if not item.product.active:
                raise ProductNotFound(
                    _("%(name)s ya no está disponible.") % {"name": item.product.name},
                    details={"sku": item.product.sku},
                )
        lines = [(item.product, item.quantity, item.product.unit_price(vip=vip)) for item in items]
        subtotal = sum(price * qty for _p, qty, price in lines)
        fee = settings.DELIVERY_FEE_CENTS if delivery else 0
        order = Order.objects.create(
            user_id=user.id,
            fulfilment=fulfilment,
            vip_pricing=vip,
            subtotal_cents=subtotal,
            delivery_fee_cents=fee,
            total_cents=subtotal + fee,
            currency=settings.CURRENCY,
            expires_at=expires_at,
            **(
                {
                    "recipient_name": clean_address.recipient_name,
                    "recipient_phone": clean_address.recipient_phone,
                    "address_line": clean_address.address_line,
                    "address_details": clean_address.address_details,
                    "neighborhood": clean_address.neighborhood,
                    "delivery_notes": clean_address.notes,
                    "city": "Bogotá",
                }
                if clean_address
                else {}
            ),
        )
        for product, qty, _price in lines:
            _move_stock(
                product.pk,
                -qty,
                kind=MovementKind.RESERVATION,
                reason=f"Pedido {order.code}",
                actor=user,
                order=order,
                only_active=True,
            )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                product=product,
                sku=product.sku,
                name=product.name,
                unit_price_cents=price,
                quantity=qty,
                line_total_cents=price * qty,
            )
            for product, qty, price in lines
        )
        OrderStatusChange.objects.create(
            order=order, to_status=S.PENDING_PAYMENT, actor_id=_user_id(user)
        )
        cart.items.all().delete()
        # Inside the transaction: if payments refuses, no order and no reservation remain.
        payment = ports.create_checkout(
            order_public_id=str(order.public_id),
            amount_cents=order.total_cents,
            customer=user,
            expires_at=expires_at,
            description=f"StudioZens pedido {order.code}",
        )
        order.checkout_url = getattr(payment, "checkout_url", "") or ""
        order.save(update_fields=["checkout_url"])
    return CheckoutResult(order=order, payment=payment)


def retry_payment(user: Any, order_public_id: Any, *, staff: bool = False) -> CheckoutResult:
    """Pay an order again after a declined attempt (the shop's twin of booking's deposit
    checkout). While the order is PENDING_PAYMENT and its hold lasts: the open attempt
    if payments still has it PENDING, otherwise a new attempt expiring with the hold.
    The order row is locked, so concurrent calls open at most one attempt."""
    now = timezone.now()
    with transaction.atomic():
        order = _lock_order(order_public_id)
        if order.user_id != user.id and not staff:
            raise OrderNotFound()
        if order.status == S.EXPIRED:
            raise OrderExpired()
        if order.status != S.PENDING_PAYMENT:
            raise OrderNotPayable()
        if order.expires_at <= now:
            raise OrderExpired()  # the beat has not expired it yet; it will
        ref = str(order.public_id)
        latest = ports.payment_status(order_public_id=ref)
        if latest == "APPROVED":
            raise PaymentBeingConfirmed()  # a new attempt would charge the client twice
        payment = ports.open_checkout(order_public_id=ref) if latest == "PENDING" else None
        if payment is None:
            payment = ports.create_checkout(
                order_public_id=ref,
                amount_cents=order.total_cents,
                customer=order.user,
                expires_at=order.expires_at,
                description=f"StudioZens pedido {order.code}",
            )
            order.checkout_url = getattr(payment, "checkout_url", "") or ""
            order.save(update_fields=["checkout_url", "updated_at"])
            OrderStatusChange.objects.create(
                order=order,
                from_status=order.status,
                to_status=order.status,
                actor=user,
                note=f"Nuevo intento de pago {payment.reference} ({latest or 'sin intento'})"[:255],
            )
    return CheckoutResult(order=order, payment=payment)


# --- Order lifecycle ---------------------------------------------------------------------------


def _lock_order(order_public_id: Any) -> Order:
    try:
        return Order.objects.select_for_update().get(public_id=parse_public_id(order_public_id))
    except Order.DoesNotExist:
        raise OrderNotFound() from None


def _release_stock(order: Order, *, actor: Any, reason: str) -> None:
    for line in order.lines.all().order_by("product_id"):
        _move_stock(
            line.product_id,
            line.quantity,
            kind=MovementKind.RELEASE,
            reason=reason,
            actor=actor,
            order=order,
        )


def _notify_status(order: Order, *, extra_key: str = "") -> None:
    ports.notify_user(
        order.user,
        template="shop/order_status",
        context={
            "code": order.code,
            "status": order.status,
            "status_label": str(order.get_status_display()),
            "fulfilment": order.fulfilment,
            "total": format_cop(order.total_cents),
            "refund_requested": order.refund_requested,
            "first_name": getattr(order.user, "first_name", ""),
        },
        key=f"shop:order:{order.public_id}:{order.status}{extra_key}",
    )


def _set_status(order: Order, to_status: str, *, actor: Any, note: str = "") -> None:
    from_status = order.status
    order.status = to_status
    order.save()
    OrderStatusChange.objects.create(
        order=order,
        from_status=from_status,
        to_status=to_status,
        actor_id=_user_id(actor),
        note=note[:255],
    )
    _notify_status(order)


def _flag_refund(order: Order, *, reason: str, payment_reference: str = "") -> None:
    """Hand a payment we cannot fulfil to payments for a refund: the one named (a late
    or duplicate attempt; payments is idempotent per payment), else the order's own
    payment once."""
    if order.refund_requested_at is None:
        order.refund_requested_at = timezone.now()
        order.refund_reason = reason[:255]
        order.save(update_fields=["refund_requested_at", "refund_reason", "updated_at"])
    elif not payment_reference:
        return
    ports.request_refund(
        order_public_id=str(order.public_id),
        reason=reason,
        payment_reference=payment_reference or order.payment_reference,
    )


def change_status(order_public_id: Any, to_status: str, *, actor: Any, note: str = "") -> Order:
    """A staff move through the lifecycle (admin or API). Notifies the client."""
    if to_status not in S.values:
        raise InvalidTransition()
    with transaction.atomic():
        order = _lock_order(order_public_id)
        if to_status not in STAFF_TRANSITIONS[order.status]:
            raise InvalidTransition(
                details={"from": order.status, "to": to_status},
            )
        if to_status == S.READY_FOR_PICKUP and order.fulfilment != Fulfilment.PICKUP:
            raise InvalidTransition(_("Este pedido es a domicilio."))
        if to_status == S.OUT_FOR_DELIVERY and order.fulfilment != Fulfilment.DELIVERY:
            raise InvalidTransition(_("Este pedido es para recoger en el spa."))
        if to_status == S.CANCELLED:
            if order.status in HOLDS_STOCK:
                _release_stock(order, actor=actor, reason=f"Pedido {order.code} cancelado")
            if order.status in PAID_STATES:
                _flag_refund(order, reason=note or "Pedido cancelado por el spa")
        _set_status(order, to_status, actor=actor, note=note)
    return order


def cancel_by_client(user: Any, order_public_id: Any) -> Order:
    """A client may drop an order they have not paid yet; its units go back on sale."""
    with transaction.atomic():
        order = _lock_order(order_public_id)
        if order.user_id != user.id:
            raise OrderNotFound()
        if order.status != S.PENDING_PAYMENT:
            raise InvalidTransition(_("Solo puedes cancelar pedidos pendientes de pago."))
        _release_stock(order, actor=user, reason=f"Pedido {order.code} cancelado por el cliente")
        _set_status(order, S.CANCELLED, actor=user, note="Cancelado por el cliente")
    return order


def mark_paid(
    order_public_id: str,
    *,
    payment_reference: str = "",
    amount_cents: int | None = None,
) -> Order | None:
    """Receiver side of payments' ``payment_settled`` for purpose shop.order. Idempotent.

    - Pending order, right amount: PAID (stock stays with the order).
    - Expired or cancelled order (its units were released and may be sold to someone
      else): the status is kept, the order is flagged for refund and payments is asked
      to refund. It is never fulfilled from stock it no longer holds.
    - Already paid or later by this payment: nothing happens (duplicate delivery).
    - Already paid by another attempt (the client paid twice): that second payment is
      refunded, never kept silently.
    """
    with transaction.atomic():
        public_id = parse_public_id(order_public_id)
        order = Order.objects.select_for_update().filter(public_id=public_id).first()
        if order is None:
            logger.warning("payment settled for unknown shop order %s", order_public_id)
            return None
        if order.status == S.PENDING_PAYMENT:
            if amount_cents is not None and amount_cents != order.total_cents:
                logger.error(
                    "shop order %s paid %s, expected %s",
                    order.code,
                    amount_cents,
                    order.total_cents,
                )
                order.payment_reference = payment_reference
                order.save(update_fields=["payment_reference", "updated_at"])
                _flag_refund(
                    order,
                    reason="El monto pagado no coincide con el pedido",
                    payment_reference=payment_reference,
                )
                return order
            order.paid_at = timezone.now()
            order.payment_reference = payment_reference
            _set_status(order, S.PAID, actor=None, note=f"Pago {payment_reference}".strip())
        elif payment_reference and payment_reference == order.payment_reference:
            logger.info("shop order %s already %s; settlement ignored", order.code, order.status)
        elif order.status in (S.EXPIRED, S.CANCELLED) and not order.paid_at:
            # Never paid, and its units went back on sale: refund every late payment.
            order.payment_reference = order.payment_reference or payment_reference
            order.save(update_fields=["payment_reference", "updated_at"])
            _flag_refund(
                order,
                reason=f"Pago recibido con el pedido {order.get_status_display()}",
                payment_reference=payment_reference,
            )
            OrderStatusChange.objects.create(
                order=order,
                from_status=order.status,
                to_status=order.status,
                note=f"Pago tardío {payment_reference}: reembolso solicitado"[:255],
            )
            _notify_status(order, extra_key=f":{payment_reference}:late_payment")
        elif payment_reference:
            # Paid already by another attempt: this one is a double charge.
            ports.request_refund(
                order_public_id=str(order.public_id),
                reason="Pago duplicado del pedido",
                payment_reference=payment_reference,
            )
            OrderStatusChange.objects.create(
                order=order,
                from_status=order.status,
                to_status=order.status,
                note=f"Pago duplicado {payment_reference}: reembolso solicitado"[:255],
            )
        else:
            logger.info("shop order %s already %s; settlement ignored", order.code, order.status)
    return order


def expire_overdue_orders(now: datetime | None = None, *, batch: int = 200) -> int:
    """Expire unpaid orders past their hold and give their units back. Returns how many."""
    now = now or timezone.now()
    ids = list(
        Order.objects.filter(status=S.PENDING_PAYMENT, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:batch]
    )
    expired = 0
    for pk in ids:
        with transaction.atomic():
            # skip_locked: an order being paid right now is left for the next run.
            order = (
                Order.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=S.PENDING_PAYMENT, expires_at__lte=now)
                .first()
            )
            if order is None:
                continue
            _release_stock(order, actor=None, reason=f"Pedido {order.code} vencido sin pago")
            _set_status(order, S.EXPIRED, actor=None, note="Venció sin pago")
            expired += 1
    return expired
