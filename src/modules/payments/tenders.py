"""Tenders: value a plugin holds for a checkout besides Wompi (gift cards, package credits).

payments knows no tender: each kind is a ``TenderProvider`` some plugin declares
(``ModulePlugin.tenders``). Every provider call happens here, inside the transaction that
changes the payment (its row locked by the caller), so a hold, its ``TenderApplication``
row and the payment's ``tendered_cents`` commit or roll back together: a refused tender
leaves nothing behind, a settlement captures exactly the holds it settles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from modules.payments import errors
from modules.payments.dtos import (
    AppliedTender,
    TenderContext,
    TenderLine,
    TenderOffer,
    TenderProvider,
)
from modules.payments.models import LedgerEntry, Payment, TenderApplication
from platform_core import audit
from platform_core.errors import ValidationFailed
from platform_core.plugins import tender_providers

State = TenderApplication.State
Kind, Account = LedgerEntry.Kind, LedgerEntry.Account
MAX_OFFERS = 3
MAX_CODE_LENGTH = 128


def provider_for(kind: str) -> TenderProvider:
    provider = tender_providers().get(kind)
    if provider is None:
        raise errors.TenderNotAccepted(details={"kind": kind})
    return provider


def prepay(offers: Sequence[TenderOffer]) -> bool:
    """True when an offered kind's provider pays whole items (``prepays_items``)."""
    providers = tender_providers()
    return any(
        getattr(providers.get(offer.kind), "prepays_items", False) is True for offer in offers
    )


def validate_offers(offers: Sequence[TenderOffer]) -> list[TenderOffer]:
    """Well-formed offers of accepted kinds, at most MAX_OFFERS, none repeated (checked
    before anything is written)."""
    offers = list(offers)
    if len(offers) > MAX_OFFERS:
        raise ValidationFailed(
            _("Puedes usar hasta %(n)s bonos o créditos por pago.") % {"n": MAX_OFFERS},
            code="too_many_tenders",
        )
    seen: set[tuple[str, str]] = set()
    for offer in offers:
        code = offer.code.strip() if isinstance(offer.code, str) else ""
        if not code or len(code) > MAX_CODE_LENGTH:
            raise ValidationFailed(
                _("Escribe el código del bono o crédito."), code="tender_code_required"
            )
        provider_for(offer.kind)
        if (offer.kind, code) in seen:
            raise ValidationFailed(
                _("Usaste el mismo bono o crédito más de una vez."), code="tender_repeated"
            )
        seen.add((offer.kind, code))
    return offers


def apply_offers(
    payment: Payment,
    offers: Sequence[TenderOffer],
    *,
    customer: Any,
    lines: Sequence[TenderLine],
) -> None:
    """Hold each offer in order against what is still due, until nothing is: an offer not
    needed any more is not touched. Call in the transaction that created ``payment``."""
    for position, offer in enumerate(offers):
        due = payment.gateway_cents
        if due <= 0:
            break
        context = TenderContext(
            purpose=payment.purpose,
            ref=payment.purpose_ref,
            payment_reference=payment.reference,
            amount_cents=due,
            customer=customer,
            lines=tuple(lines),
        )
        held = provider_for(offer.kind).hold(
            TenderOffer(kind=offer.kind, code=offer.code.strip()), context
        )
        if not (0 < held.amount_cents <= due) or not 0 < len(held.hold_id) <= 64:
            # A provider broke the contract: never take more than is due.
            raise RuntimeError(f"tender provider {offer.kind!r} returned an invalid hold {held!r}")
        TenderApplication.objects.create(
            payment=payment,
            position=position,
            kind=offer.kind,
            hold_id=held.hold_id,
            amount_cents=held.amount_cents,
            label=held.label[:120],
        )
        payment.tendered_cents += held.amount_cents
    if payment.tendered_cents:
        payment.save(update_fields=["tendered_cents", "updated_at"])


def applied(payment: Payment) -> tuple[AppliedTender, ...]:
    return tuple(
        AppliedTender(kind=t.kind, label=t.label, amount_cents=t.amount_cents)
        for t in payment.tenders.all()
    )


def capture_all(payment: Payment) -> int:
    """The payment settled: capture every hold still held, with its ledger entry. Returns
    the value captured (holds released before a late approval are not: flagged by the
    caller)."""
    captured = 0
    for tender in payment.tenders.select_for_update().filter(state=State.HELD):
        provider_for(tender.kind).capture(tender.hold_id)
        tender.state = State.CAPTURED
        tender.save(update_fields=["state", "updated_at"])
        _entry(payment, Kind.TENDER_REDEMPTION, tender.amount_cents, tender.label)
        captured += tender.amount_cents
    return captured


def release_all(payment: Payment) -> int:
    """The attempt failed (declined, error, expired, voided before approval): give every
    hold back to its tender. Returns the value released."""
    released = 0
    for tender in payment.tenders.select_for_update().filter(state=State.HELD):
        provider_for(tender.kind).release(tender.hold_id)
        tender.state = State.RELEASED
        tender.save(update_fields=["state", "updated_at"])
        released += tender.amount_cents
    return released


def received_cents(payment: Payment) -> int:
    """What a settled payment brought in: Wompi's part and the tenders it captured (a
    late approval's released tenders brought nothing)."""
    if not payment.tendered_cents:
        return payment.gateway_cents
    captured = payment.tenders.filter(state__in=(State.CAPTURED, State.REFUNDED))
    return payment.gateway_cents + sum(t.amount_cents for t in captured)


def refund_to_tenders(payment: Payment, amount_cents: int, reason: str) -> int:
    """Give up to ``amount_cents`` of a settled payment back to its captured tenders, in
    the order they were applied, with their ledger entries. Returns the value returned;
    the caller refunds the rest through Wompi."""
    left = amount_cents
    for tender in payment.tenders.select_for_update().filter(state=State.CAPTURED):
        if left <= 0:
            break
        amount = min(left, tender.amount_cents - tender.refunded_cents)
        if amount <= 0:
            continue
        provider_for(tender.kind).refund(tender.hold_id, amount)
        tender.refunded_cents += amount
        if tender.refunded_cents == tender.amount_cents:
            tender.state = State.REFUNDED
        tender.save(update_fields=["refunded_cents", "state", "updated_at"])
        _entry(payment, Kind.TENDER_REFUND, -amount, f"{tender.label}: {reason}")
        audit.record(
            "payments.tender_refunded",
            target=f"payment:{payment.reference}",
            details={"kind": tender.kind, "amount_cents": amount, "reason": reason[:255]},
        )
        left -= amount
    return amount_cents - left


def _entry(payment: Payment, kind: str, amount: int, memo: str) -> None:
    LedgerEntry.objects.create(
        kind=kind,
        account=Account.MERCHANT,
        amount_cents=amount,
        currency=payment.currency,
        payment=payment,
        purpose=payment.purpose,
        memo=memo[:255],
    )
