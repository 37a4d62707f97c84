"""Money taken in person at the spa (cash, card terminal, transfer) and the day's close.

A desk payment is a Payment of kind DESK, APPROVED at once, with who took it
(``recorded_by``) and how (``method``), and one ``desk_charge`` merchant ledger entry
in the same transaction. No developer commission: the money never went through the
platform's gateway (docs/payments.md). The day's close reads the ledger, so its totals
are the ledger's by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from modules.payments import errors
from modules.payments.checkout import new_reference, validate_request
from modules.payments.dtos import Customer, DeskPaymentDTO
from modules.payments.models import (
    DeskMethod,
    LedgerEntry,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from platform_core import audit
from platform_core.accounts import UserRef
from platform_core.errors import ValidationFailed

Kind, Account = LedgerEntry.Kind, LedgerEntry.Account
# Ledger kinds that move the spa's takings (the close sums these).
TAKINGS_KINDS = (Kind.CHARGE, Kind.PENALTY, Kind.DESK_CHARGE, Kind.REFUND)
# What a purpose counts as paid: the takings and the tenders' value (gift cards, credits).
PAID_KINDS = (*TAKINGS_KINDS, Kind.TENDER_REDEMPTION, Kind.TENDER_REFUND)
ONLINE = "online"


def record_desk_payment(
    *,
    purpose: str,
    ref: str,
    amount_cents: int,
    method: str,
    taken_by: UserRef,
    customer: Customer | None = None,
    description: str = "",
) -> DeskPaymentDTO:
    validate_request(purpose, ref, amount_cents)
    if method not in DeskMethod.values:
        raise ValidationFailed(
            "Elige cómo pagó: efectivo, datáfono o transferencia.",
            code="invalid_method",
            details={"method": list(DeskMethod.values)},
        )
    if getattr(taken_by, "id", None) is None:
        raise ValidationFailed(code="invalid_staff")
    if amount_cents > 100_000_000_00:
        raise errors.InvalidAmount()
    now = timezone.now()
    with transaction.atomic():
        payment = Payment.objects.create(
            reference=new_reference("SZD"),
            purpose=purpose,
            purpose_ref=str(ref),
            user_id=customer.id if customer is not None else None,
            kind=PaymentKind.DESK,
            amount_cents=amount_cents,
            currency=settings.CURRENCY,
            description=description[:255],
            status=PaymentStatus.APPROVED,
            method=method,
            recorded_by_id=taken_by.id,
            finalized_at=now,
        )
        LedgerEntry.objects.create(
            kind=Kind.DESK_CHARGE,
            account=Account.MERCHANT,
            amount_cents=amount_cents,
            currency=payment.currency,
            payment=payment,
            purpose=purpose,
            memo=f"{DeskMethod(method).label}: {description}"[:255],
        )
        audit.record(
            "payments.desk_payment_recorded",
            actor=taken_by,
            target=f"payment:{payment.reference}",
            details={
                "purpose": purpose,
                "ref": str(ref),
                "amount_cents": amount_cents,
                "method": method,
            },
        )
    return DeskPaymentDTO(
        payment.reference, amount_cents, method, DeskMethod(method).label, taken_by.id, now
    )


def paid_by_ref(*, purposes: tuple[str, ...], refs: list[str]) -> dict[str, int]:
    """Net value received (charges, desk charges and tenders' value, less refunds; merchant
    account) per purpose reference, in one query."""
    if not refs:
        return {}
    rows = (
        LedgerEntry.objects.filter(
            account=Account.MERCHANT,
            kind__in=PAID_KINDS,
            payment__purpose__in=purposes,
            payment__purpose_ref__in=[str(r) for r in refs],
        )
        .values("payment__purpose_ref")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    )
    return {row["payment__purpose_ref"]: int(row["total"] or 0) for row in rows}


def _day_range(day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time.min, tz)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class CloseLine:
    key: str
    label: str
    count: int
    total_cents: int


@dataclass(frozen=True)
class DayClose:
    day: date
    by_method: list[CloseLine]
    by_staff: list[CloseLine]
    entries: list[dict[str, Any]]
    total_cents: int


def _method_label(kind: str, method: str) -> tuple[str, str]:
    if kind == PaymentKind.DESK and method in DeskMethod.values:
        return method, str(DeskMethod(method).label)
    return ONLINE, "En línea (Wompi)"


def day_close(day: date) -> DayClose:
    """The day's takings (Bogotá day) from the ledger: every merchant charge, desk charge
    and refund, grouped by method and by who took it. Three queries whatever the size."""
    start, end = _day_range(day)
    qs = LedgerEntry.objects.filter(
        account=Account.MERCHANT, kind__in=TAKINGS_KINDS, created_at__gte=start, created_at__lt=end
    )
    grouped = (
        qs.values("kind", "payment__kind", "payment__method", "payment__recorded_by_id")
        .annotate(total=Sum("amount_cents"), n=Count("id"))
        .order_by()
    )
    from django.contrib.auth import get_user_model

    methods: dict[str, list[Any]] = {}
    staff: dict[str, list[Any]] = {}
    staff_ids: set[int] = set()
    total = 0
    for row in grouped:
        key, label = _method_label(row["payment__kind"], row["payment__method"])
        item = methods.setdefault(key, [label, 0, 0])
        item[1] += row["n"]
        item[2] += row["total"]
        who = row["payment__recorded_by_id"]
        skey = str(who) if who else ONLINE
        if who:
            staff_ids.add(who)
        sitem = staff.setdefault(skey, ["En línea (Wompi)", 0, 0])
        sitem[1] += row["n"]
        sitem[2] += row["total"]
        total += row["total"]
    names = {
        str(u.pk): (u.get_full_name() or u.phone_number or u.email or str(u.pk))
        for u in get_user_model().objects.filter(pk__in=staff_ids)
    }
    for skey, item in staff.items():
        if skey != ONLINE:
            item[0] = names.get(skey, skey)
    entries = [
        {
            "created_at": e.created_at,
            "kind": e.get_kind_display(),
            "reference": e.payment.reference if e.payment_id else "",
            "purpose": e.purpose,
            "method": _method_label(
                e.payment.kind if e.payment_id else "", e.payment.method if e.payment_id else ""
            )[1],
            "staff": names.get(str(e.payment.recorded_by_id), "")
            if e.payment_id and e.payment.recorded_by_id
            else "",
            "amount_cents": e.amount_cents,
        }
        for e in qs.select_related("payment").order_by("created_at", "id")
    ]

    def lines(d: dict[str, list[Any]]) -> list[CloseLine]:
        return sorted(
            (CloseLine(k, v[0], v[1], v[2]) for k, v in d.items()), key=lambda line: line.label
        )

    return DayClose(day, lines(methods), lines(staff), entries, total)
