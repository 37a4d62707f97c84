"""Reactions to other modules' signals (connected in ShopConfig.ready)."""

from __future__ import annotations

from typing import Any

from modules.shop import ports, services
from modules.shop.versions import CATALOG


def on_payment_settled(
    sender: Any,
    *,
    purpose: str,
    ref: str,
    payment_reference: str = "",
    amount_cents: int | None = None,
    **kwargs: Any,
) -> None:
    """payments.payment_settled -> mark the order paid (or flag a late payment for refund)."""
    if purpose != ports.ORDER_PURPOSE:
        return
    services.mark_paid(ref, payment_reference=payment_reference, amount_cents=amount_cents)


def catalog_changed(sender: Any = None, **kwargs: Any) -> None:
    """A category, tag, product or image was saved or deleted: new catalog ETags."""
    CATALOG.bump()
