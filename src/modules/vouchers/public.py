"""vouchers' public face. Other modules never need vouchers (it plugs into payments'
tenders and reacts to its own payment outcomes); this is what a module above it, or an
integration, may ask: what a gift-card code is worth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["GIFT_CARD", "PACKAGE_CREDIT", "GiftCardBalance", "gift_card_balance"]

GIFT_CARD = "gift_card"  # the tender kinds this module provides
PACKAGE_CREDIT = "package_credit"


@dataclass(frozen=True)
class GiftCardBalance:
    card: str  # masked
    status: str
    balance_cents: int
    expires_at: datetime | None


def gift_card_balance(code: str) -> GiftCardBalance:
    """The balance of the card a code names. Raises InvalidCode (422) or CardNotFound (404)."""
    from modules.vouchers import codes, selectors

    card = selectors.card_by_code(code)
    return GiftCardBalance(
        card=codes.masked(card.code_hint),
        status=card.status,
        balance_cents=card.balance_cents,
        expires_at=card.expires_at,
    )
