"""The ledger: double-entry-like lines per account (merchant, developer) for charges,
the developer's commission, refunds and their commission reversal, and Wompi's fees.
Tenders' value (gift cards, package credits) has its own kinds (``modules.payments.tenders``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from modules.payments import errors
from modules.payments.models import LedgerEntry, Payment
from platform_core import audit
from platform_core.errors import NotFound, ValidationFailed

Kind, Account = LedgerEntry.Kind, LedgerEntry.Account


def commission_for(amount_cents: int) -> int:
    """DEVELOPER_COMMISSION_PERCENT of the amount, in integer cents (floor)."""
    basis_points = int(Decimal(str(settings.DEVELOPER_COMMISSION_PERCENT)) * 100)
    return max(0, amount_cents * basis_points // 10_000)


def _entry(kind: str, account: str, amount: int, payment: Payment | None, memo: str = "") -> None:
    LedgerEntry.objects.create(
        kind=kind,
        account=account,
        amount_cents=amount,
        currency=payment.currency if payment else settings.CURRENCY,
        payment=payment,
        purpose=payment.purpose if payment else "",
        memo=memo[:255],
    )


def record_charge(payment: Payment) -> None:
    """The money Wompi collected (the payment less its tenders, whose value has its own
    ``tender_redemption`` entries) and the developer's commission on it: a tender was
    paid for through Wompi when it was sold, so its value earns no second commission.
    Recorded as the payment's own kind (``Payment.charge_kind``: charge, or penalty for a
    no-show / late-cancellation fee)."""
    if payment.gateway_cents <= 0:
        return
    if payment.charge_kind == Kind.PENALTY:
        _entry(Kind.PENALTY, Account.MERCHANT, payment.gateway_cents, payment, "Penalidad cobrada")
    else:
        _entry(Kind.CHARGE, Account.MERCHANT, payment.gateway_cents, payment, "Pago aprobado")
    commission = commission_for(payment.gateway_cents)
    if commission:
        _entry(Kind.COMMISSION, Account.MERCHANT, -commission, payment, "Comisión desarrollador")
        _entry(Kind.COMMISSION, Account.DEVELOPER, commission, payment, "Comisión desarrollador")


def record_refund(payment: Payment, amount: int, memo: str) -> None:
    """Money given back through Wompi or by staff (never a tender's part)."""
    _entry(Kind.REFUND, Account.MERCHANT, -amount, payment, memo)
    commission = (
        LedgerEntry.objects.filter(
            payment=payment, kind=Kind.COMMISSION, account=Account.DEVELOPER
        ).aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )
    reversal = commission * amount // payment.gateway_cents if payment.gateway_cents else 0
    if reversal:
        _entry(Kind.COMMISSION_REVERSAL, Account.DEVELOPER, -reversal, payment, memo)
        _entry(Kind.COMMISSION_REVERSAL, Account.MERCHANT, reversal, payment, memo)


def record_fee(
    *, amount_cents: int, memo: str, actor: Any = None, payment_reference: str = ""
) -> LedgerEntry:
    """Wompi's own fee, entered by staff from Wompi's dashboard or invoice: the
    transaction API and its events do not report fees (see docs/payments.md). A merchant
    debit, for one payment when its reference is given, otherwise for a period."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise errors.InvalidAmount()
    memo = (memo or "").strip()
    if not memo:
        raise ValidationFailed(details={"memo": "required"})
    payment = None
    if payment_reference:
        payment = Payment.objects.filter(reference=payment_reference).first()
        if payment is None:
            raise NotFound()
    with transaction.atomic():
        entry = LedgerEntry.objects.create(
            kind=Kind.FEE,
            account=Account.MERCHANT,
            amount_cents=-amount_cents,
            currency=payment.currency if payment else settings.CURRENCY,
            payment=payment,
            purpose=payment.purpose if payment else "",
            memo=memo[:255],
        )
        audit.record(
            "payments.fee_recorded",
            actor=actor,
            target=f"payment:{payment.reference}" if payment else f"ledger:{entry.public_id}",
            details={"amount_cents": amount_cents, "memo": memo[:255]},
        )
    return entry


def balance(account: str) -> int:
    return (
        LedgerEntry.objects.filter(account=account).aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )
