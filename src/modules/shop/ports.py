"""The shop's boundary with other modules and shared services.

Everything the shop asks of payments, notifications, audit and identity goes through
these few functions, so the services read as business rules and tests can replace
one seam instead of many imports.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from modules.identity import public as identity
from modules.payments import public as payments

ORDER_PURPOSE = "shop.order"


def create_checkout(
    *,
    order_public_id: str,
    amount_cents: int,
    customer: Any,
    expires_at: datetime,
    description: str,
    tenders: Sequence[payments.TenderOffer] = (),
    lines: Sequence[payments.TenderLine] = (),
) -> Any:
    """A payment checkout (payments.public.CheckoutDTO) for one order, paid first by the
    client's ``tenders`` (gift cards, ...) when given; ``lines``: what the order holds."""
    return payments.create_checkout(
        purpose=ORDER_PURPOSE,
        ref=order_public_id,
        amount_cents=amount_cents,
        customer=customer,
        expires_at=expires_at,
        description=description,
        tenders=tenders,
        lines=lines,
    )


def tender_lines(order: Any) -> list[payments.TenderLine]:
    """The order's products (and delivery fee) as the tenders' providers see them."""
    lines = [
        payments.TenderLine(kind="product", code=line.sku, amount_cents=line.line_total_cents)
        for line in order.lines.all()
    ]
    if order.delivery_fee_cents:
        lines.append(
            payments.TenderLine(
                kind="delivery", code="delivery", amount_cents=order.delivery_fee_cents
            )
        )
    return lines


def tender_offers(items: Any) -> list[payments.TenderOffer]:
    """A request body's ``tenders`` as payments' offers."""
    return payments.tender_offers(items)


def request_refund(
    *,
    order_public_id: str,
    reason: str,
    amount_cents: int | None = None,
    payment_reference: str = "",
) -> None:
    """Refund one payment of the order (the one named, else its approved one)."""
    payments.request_refund(
        purpose=ORDER_PURPOSE,
        ref=order_public_id,
        reason=reason,
        amount_cents=amount_cents,
        payment_reference=payment_reference,
    )


def open_checkout(*, order_public_id: str) -> Any:
    """The order's payment attempt still open at payments (CheckoutDTO), or None."""
    return payments.open_checkout(purpose=ORDER_PURPOSE, ref=order_public_id)


def payment_status(*, order_public_id: str) -> str | None:
    """Status of the order's latest payment attempt (None if it has none)."""
    return payments.payment_status(purpose=ORDER_PURPOSE, ref=order_public_id)


def notify_user(
    user: identity.UserRef, *, template: str, context: dict[str, Any], key: str
) -> None:
    """One message to a user on their channel, written to the outbox in the caller's transaction."""
    from platform_core import notifications

    notifications.notify(
        to=notifications.Recipient.from_user(user),
        template=template,
        context=context,
        channels=None,  # the user's preferred channel
        idempotency_key=key,
    )


def audit(action: str, *, actor: Any = None, target: str = "", details: dict | None = None) -> None:
    from platform_core import audit as audit_log

    audit_log.record(action, actor=actor, target=target, details=details or {})


def is_vip(user: identity.UserRef) -> bool:
    return identity.is_vip(user)


def is_shop_staff(user: identity.UserRef | None) -> bool:
    return identity.has_role(user, identity.RECEPTION, identity.ADMIN)


def shop_staff() -> list[identity.UserDTO]:
    """Who receives low-stock alerts."""
    return identity.users_with_role(identity.RECEPTION, identity.ADMIN)
