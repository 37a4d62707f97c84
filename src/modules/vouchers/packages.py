"""Packages: bought online (a payments checkout; the settled payment grants the credits),
and staff refunds of unused sessions, pro rata."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.payments.public import CheckoutDTO
from modules.vouchers import ledger, messages, ports
from modules.vouchers.errors import NothingToRefund, PackageNotFound
from modules.vouchers.models import CreditEntry, Package, PackagePurchase
from platform_core.accounts import UserRef
from platform_core.money import format_cop


@dataclass(frozen=True)
class Bought:
    purchase: PackagePurchase
    checkout: CheckoutDTO


def buy(*, buyer: UserRef, package_code: str) -> Bought:
    package = Package.objects.filter(code=package_code, active=True).first()
    if package is None:
        raise PackageNotFound()
    with transaction.atomic():
        purchase = PackagePurchase.objects.create(
            package=package,
            user_id=buyer.id,
            sessions=package.sessions,
            price_cents=package.price_cents,
        )
        checkout = ports.create_checkout(
            purpose=ports.PURPOSE_PACKAGE,
            ref=str(purchase.public_id),
            amount_cents=package.price_cents,
            customer=buyer,
            description=_("Paquete %(name)s") % {"name": package.name},
        )
        purchase.payment_reference = checkout.reference
        purchase.save(update_fields=["payment_reference"])
    return Bought(purchase=purchase, checkout=checkout)


def activate(*, ref: str, payment_reference: str, amount_cents: int) -> PackagePurchase | None:
    """The purchase was paid: grant its credits (once). A late payment is honoured."""
    with transaction.atomic():
        purchase = ledger.lock_purchase(public_id=ref)
        if purchase is None or purchase.status not in (
            PackagePurchase.Status.PENDING_PAYMENT,
            PackagePurchase.Status.CANCELLED,
        ):
            return purchase
        if amount_cents != purchase.price_cents:
            ports.request_refund(
                purpose=ports.PURPOSE_PACKAGE,
                ref=ref,
                amount_cents=amount_cents,
                reason="monto distinto al precio del paquete",
            )
            return purchase
        now = timezone.now()
        purchase.status = PackagePurchase.Status.ACTIVE
        purchase.payment_reference = payment_reference
        purchase.activated_at = now
        purchase.expires_at = now + timedelta(days=purchase.package.validity_days)
        purchase.save(update_fields=["status", "payment_reference", "activated_at", "expires_at"])
        ledger.move_credits(purchase, CreditEntry.Kind.ISSUE, purchase.sessions)
        messages.package_purchased(purchase)
        return purchase


def cancel_unpaid(*, ref: str) -> None:
    PackagePurchase.objects.filter(
        public_id=ref, status=PackagePurchase.Status.PENDING_PAYMENT
    ).update(status=PackagePurchase.Status.CANCELLED)


def refund_unused(*, purchase_id: int, actor: UserRef, reason: str) -> int:
    """Staff refund the sessions not used yet, pro rata (price / sessions each, rounded
    down): the credits go, the money goes back through payments (after commit). Sessions
    held by a checkout in progress are not refunded. Audited. Returns the amount."""
    with transaction.atomic():
        purchase = ledger.lock_purchase(pk=purchase_id)
        if purchase is None or purchase.status != PackagePurchase.Status.ACTIVE:
            raise NothingToRefund()
        sessions = purchase.credits_left
        if sessions <= 0:
            raise NothingToRefund()
        amount = purchase.unit_value_cents * sessions
        ledger.move_credits(
            purchase, CreditEntry.Kind.CASH_OUT, -sessions, actor=actor, note=reason
        )
        purchase.refunded_cents += amount
        purchase.status = PackagePurchase.Status.REFUNDED
        purchase.save(update_fields=["refunded_cents", "status"])
        ports.request_refund(
            purpose=ports.PURPOSE_PACKAGE,
            ref=str(purchase.public_id),
            amount_cents=amount,
            reason=reason or "sesiones no usadas",
        )
        ports.audit(
            "vouchers.package_refunded",
            actor=actor,
            target=f"vouchers.PackagePurchase:{purchase.public_id}",
            details={"sessions": sessions, "amount": format_cop(amount), "reason": reason[:255]},
        )
        return amount


def payment_refunded(*, ref: str, amount_cents: int) -> None:
    """Payments refunded the purchase (staff did it there, not here): a refund of all that
    is left takes the remaining credits; a partial one is left to staff (audited there)."""
    with transaction.atomic():
        purchase = ledger.lock_purchase(public_id=ref)
        if purchase is None or purchase.status != PackagePurchase.Status.ACTIVE:
            return
        if amount_cents < purchase.price_cents - purchase.refunded_cents:
            return
        if purchase.credits_left:
            ledger.move_credits(
                purchase, CreditEntry.Kind.CASH_OUT, -purchase.credits_left, note="pago reembolsado"
            )
        purchase.refunded_cents = purchase.price_cents
        purchase.status = PackagePurchase.Status.REFUNDED
        purchase.save(update_fields=["refunded_cents", "status"])
