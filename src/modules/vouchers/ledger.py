"""Balance and credit movements: every change of a card's balance or a purchase's credits is
one ledger row written with the running figure, on a row the caller has locked
(``select_for_update``). The database refuses a negative figure (check constraints), so a
bug here can fail a transaction but never overspend."""

from __future__ import annotations

from typing import Any

from modules.vouchers.models import (
    CreditEntry,
    GiftCard,
    GiftCardEntry,
    PackagePurchase,
    TenderHold,
)


def move_balance(
    card: GiftCard,
    kind: str,
    amount_cents: int,
    *,
    hold: TenderHold | None = None,
    actor: Any = None,
    note: str = "",
) -> GiftCardEntry:
    """Add ``amount_cents`` (negative: take) to a locked card's balance."""
    card.balance_cents += amount_cents
    card.save(update_fields=["balance_cents"])
    return GiftCardEntry.objects.create(
        card=card,
        kind=kind,
        amount_cents=amount_cents,
        balance_after_cents=card.balance_cents,
        hold=hold,
        actor=actor if getattr(actor, "pk", None) else None,
        note=note[:255],
    )


def move_credits(
    purchase: PackagePurchase,
    kind: str,
    credits: int,
    *,
    hold: TenderHold | None = None,
    actor: Any = None,
    note: str = "",
) -> CreditEntry:
    """Add ``credits`` (negative: take) to a locked purchase's credits."""
    purchase.credits_left += credits
    purchase.save(update_fields=["credits_left"])
    return CreditEntry.objects.create(
        purchase=purchase,
        kind=kind,
        credits=credits,
        credits_after=purchase.credits_left,
        hold=hold,
        actor=actor if getattr(actor, "pk", None) else None,
        note=note[:255],
    )


def lock_card(**lookup: Any) -> GiftCard | None:
    return GiftCard.objects.select_for_update().filter(**lookup).first()


def lock_purchase(**lookup: Any) -> PackagePurchase | None:
    return (
        PackagePurchase.objects.select_for_update(of=("self",))
        .select_related("package")
        .filter(**lookup)
        .first()
    )
