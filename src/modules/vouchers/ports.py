"""Vouchers' boundary with other modules and shared services: payments (checkouts,
refunds), identity (who a user is), notifications and the audit log. The services read as
business rules; tests replace one seam instead of many imports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modules.identity import public as identity
from modules.payments import public as payments
from platform_core.accounts import UserRef

PURPOSE_GIFT_CARD = "vouchers.gift_card"
PURPOSE_PACKAGE = "vouchers.package"


def create_checkout(
    *, purpose: str, ref: str, amount_cents: int, customer: Any, description: str
) -> payments.CheckoutDTO:
    return payments.create_checkout(
        purpose=purpose,
        ref=ref,
        amount_cents=amount_cents,
        customer=customer,
        description=description,
    )


def request_refund(*, purpose: str, ref: str, amount_cents: int, reason: str) -> None:
    payments.request_refund(purpose=purpose, ref=ref, reason=reason, amount_cents=amount_cents)


def user(user_id: int) -> identity.UserDTO:
    return identity.get_user(pk=user_id)


def is_staff(user: UserRef | None, *roles: str) -> bool:
    return identity.has_role(user, *(roles or (identity.RECEPTION, identity.ADMIN)))


def notify(
    *,
    template: str,
    context: dict[str, Any],
    key: str,
    user: UserRef | None = None,
    phone: str = "",
    email: str = "",
    channel: str | None = None,
) -> None:
    """One message, written to the notifications outbox in the caller's transaction (sent
    after commit by the notifications worker: never a provider call here). To a user on
    their preferred channel, or to a bare address on ``channel``."""
    from platform_core import notifications

    if user is not None:
        to = notifications.Recipient.from_user(user)
    else:
        to = notifications.Recipient(phone=phone, email=email)
    notifications.notify(
        to=to,
        template=template,
        context=context,
        channels=[channel] if channel else None,
        idempotency_key=key,
    )


def audit(action: str, *, actor: Any = None, target: str = "", details: dict | None = None) -> None:
    from platform_core import audit as audit_log

    audit_log.record(action, actor=actor, target=target, details=details or {})


def local_date(moment: datetime) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%d/%m/%Y")
