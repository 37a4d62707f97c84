"""Shop checkout: the cart becomes an order holding its stock, with a payment attempt open
(and a new attempt for a pending order after a declined one)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.shop import ports
from modules.shop.errors import (
    AddressRequired,
    CartEmpty,
    OrderExpired,
    OrderNotFound,
    OrderNotPayable,
    PaymentBeingConfirmed,
    PaymentOpen,
    ProductNotFound,
)
from modules.shop.inventory import move_stock, user_id
from modules.shop.models import (
    Cart,
    CartItem,
    Fulfilment,
    MovementKind,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
)
from modules.shop.orders import lock_order
from modules.shop.selectors import with_lines
from platform_core.phones import normalize_phone

S = OrderStatus


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
    user: Any,
    *,
    fulfilment: str,
    address: DeliveryAddress | None = None,
    tenders: Sequence[Any] = (),
) -> CheckoutResult:
    """Turn the user's cart into an order that holds its stock, and open a payment, paid
    first by ``tenders`` (payments.public.TenderOffer: gift cards, ...): covering the
    total, the order is paid at once (its settlement handler runs after commit).

    All lines are reserved or none: the first line that cannot be reserved raises
    OutOfStock (409) and the transaction rolls back every earlier reservation; so does a
    refused tender (422), leaving the cart as it was.
    """
    if fulfilment not in Fulfilment.values:
        raise AddressRequired(_("Elige recoger en el spa o domicilio."), code="invalid_fulfilment")
    delivery = fulfilment == Fulfilment.DELIVERY
    clean_address = _clean_address(address) if delivery else None
    vip = ports.is_vip(user)
    now = timezone.now()
    expires_at = now + timedelta(minutes=settings.ORDER_HOLD_MINUTES)

    with transaction.atomic():
        # Lock the cart so a double-submitted checkout cannot order the same items twice
        # (no cart yet: nothing to order).
        cart = Cart.objects.select_for_update().filter(user_id=user.id).first()
        if cart is None:
            raise CartEmpty()
        items = list(
            CartItem.objects.filter(cart=cart)
            .select_related("product")
            .order_by("product_id")  # fixed lock order
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
            move_stock(
                product.pk,
                -qty,
                kind=MovementKind.RESERVATION,
                reason=f"Pedido {order.code}",
                actor=user,
                order=order,
                only_active=True,
            )
        order_lines = OrderLine.objects.bulk_create(
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
        # The lines just written, in their pk order (the model's), as order.lines.all():
        # the payment's tender lines and the answer read them without another query.
        with_lines(order, order_lines)
        OrderStatusChange.objects.create(
            order=order, to_status=S.PENDING_PAYMENT, actor_id=user_id(user)
        )
        CartItem.objects.filter(cart=cart).delete()
        # Inside the transaction: if payments refuses, no order and no reservation remain.
        payment = ports.create_checkout(
            order_public_id=str(order.public_id),
            amount_cents=order.total_cents,
            customer=user,
            expires_at=expires_at,
            description=f"StudioZens pedido {order.code}",
            tenders=tenders,
            lines=ports.tender_lines(order),
        )
        order.checkout_url = getattr(payment, "checkout_url", "") or ""
        order.save(update_fields=["checkout_url"])
    return CheckoutResult(order=order, payment=payment)


def retry_payment(
    user: Any, order_public_id: Any, *, staff: bool = False, tenders: Sequence[Any] = ()
) -> CheckoutResult:
    """Pay an order again after a declined attempt (the shop's twin of booking's deposit
    checkout). While the order is PENDING_PAYMENT and its hold lasts: the open attempt
    if payments still has it PENDING (none with ``tenders``: 409 ``payment_open``),
    otherwise a new attempt expiring with the hold, paid first by ``tenders``.
    The order row is locked, so concurrent calls open at most one attempt."""
    now = timezone.now()
    with transaction.atomic():
        order = lock_order(order_public_id)
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
        if payment is not None and tenders:
            raise PaymentOpen()  # the client may be paying it at Wompi right now
        if payment is None:
            payment = ports.create_checkout(
                order_public_id=ref,
                amount_cents=order.total_cents,
                customer=order.user,
                expires_at=order.expires_at,
                description=f"StudioZens pedido {order.code}",
                tenders=tenders,
                lines=ports.tender_lines(order),
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
