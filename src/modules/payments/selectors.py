"""Read queries for the API, the admin reports and the public face."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncDate

from modules.payments.models import CHARGE_KINDS, LedgerEntry, Payment
from platform_core.errors import NotFound


def latest_status(*, purpose: str, ref: str) -> str | None:
    payment = (
        Payment.objects.filter(purpose=purpose, purpose_ref=str(ref))
        .order_by("-created_at", "-id")
        .only("status")
        .first()
    )
    return payment.status if payment else None


def open_checkout(*, purpose: str, ref: str) -> Any:
    from django.utils import timezone

    from modules.payments.checkout import checkout_for
    from modules.payments.models import PaymentStatus

    payment = (
        Payment.objects.filter(purpose=purpose, purpose_ref=str(ref))
        .order_by("-created_at", "-id")
        .first()
    )
    if payment is None or payment.status != PaymentStatus.PENDING:
        return None
    if payment.expires_at is not None and payment.expires_at <= timezone.now():
        return None
    return checkout_for(payment)


def payment_for_owner(*, reference: str, user: Any) -> Payment:
    """The payment if ``user`` owns it; NotFound otherwise (no existence leak)."""
    payment = Payment.objects.filter(reference=reference, user_id=user.pk).first()
    if payment is None:
        raise NotFound()
    return payment


def payments_of(user: Any) -> QuerySet[Payment]:
    return Payment.objects.filter(user_id=user.pk).order_by("-created_at", "-id")


def revenue_by_day_and_purpose(
    *, date_from: date | None = None, date_to: date | None = None
) -> list[dict[str, Any]]:
    """Net merchant revenue (charges, refunds, commissions) per local day and purpose.
    Tenders' value is not revenue here: it was when the gift card or package was sold."""
    qs = (
        LedgerEntry.objects.filter(account=LedgerEntry.Account.MERCHANT)
        .exclude(purpose="")
        .exclude(kind__in=(LedgerEntry.Kind.TENDER_REDEMPTION, LedgerEntry.Kind.TENDER_REFUND))
    )
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    rows = (
        qs.annotate(day=TruncDate("created_at"))
        .values("day", "purpose", "kind")
        .annotate(total=Sum("amount_cents"))
        .order_by("-day", "purpose", "kind")
    )
    report: dict[tuple[date, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["day"], row["purpose"])
        item = report.setdefault(
            key,
            {"day": row["day"], "purpose": row["purpose"], "gross": 0, "refunds": 0, "net": 0},
        )
        if row["kind"] in CHARGE_KINDS:
            item["gross"] += row["total"]
        elif row["kind"] == LedgerEntry.Kind.REFUND:
            item["refunds"] += row["total"]
        item["net"] += row["total"]
    return list(report.values())


def payment_by_transaction(transaction_id: str) -> Payment:
    """The newest payment Wompi reported under ``transaction_id``; NotFound otherwise."""
    payment = (
        Payment.objects.filter(wompi_transaction_id=transaction_id)
        .order_by("-created_at", "-id")
        .first()
        if transaction_id and len(transaction_id) <= 64
        else None
    )
    if payment is None:
        raise NotFound()
    return payment
