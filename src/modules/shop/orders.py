"""Shop order lifecycle: staff moves, client cancellation, payment settlement (late and
duplicate payments refunded) and expiry of unpaid orders."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.shop import ports
from modules.shop.errors import (
    InvalidTransition,
    OrderNotFound,
)
from modules.shop.inventory import move_stock, user_id
from modules.shop.models import (
    Fulfilment,
    MovementKind,
    Order,
    OrderStatus,
    OrderStatusChange,
)
from modules.shop.selectors import parse_public_id, with_lines
from platform_core.money import format_cop

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


def lock_order(order_public_id: Any) -> Order:
    try:
        return Order.objects.select_for_update().get(public_id=parse_public_id(order_public_id))
    except Order.DoesNotExist:
        raise OrderNotFound() from None


def _release_stock(order: Order, *, actor: Any, reason: str) -> None:
    """Give the order's units back. Its lines stay loaded on it (``order.lines.all()``
    answers without another query)."""
    lines = list(order.lines.all())  # pk order, the model's
    with_lines(order, lines)
    for line in sorted(lines, key=lambda line: line.product_id):  # fixed lock order
        move_stock(
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


def _set_status(
    order: Order, to_status: str, *, actor: Any, note: str = "", also: tuple[str, ...] = ()
) -> None:
    """Move ``order`` (locked by the caller) and record it; ``also``: other fields the
    caller changed on it and not yet saved (only these columns are written)."""
    from_status = order.status
    order.status = to_status
    order.save(update_fields=["status", "updated_at", *also])
    OrderStatusChange.objects.create(
        order=order,
        from_status=from_status,
        to_status=to_status,
        actor_id=user_id(actor),
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
        order = lock_order(order_public_id)
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
        order = lock_order(order_public_id)
        if order.user_id != user.id:
            raise OrderNotFound()
        if order.status != S.PENDING_PAYMENT:
            raise InvalidTransition(_("Solo puedes cancelar pedidos pendientes de pago."))
        if isinstance(user, Order.user.field.related_model):
            order.user = user  # the owner, as authentication loaded it: not read again
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
            _set_status(
                order,
                S.PAID,
                actor=None,
                note=f"Pago {payment_reference}".strip(),
                also=("paid_at", "payment_reference"),
            )
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
