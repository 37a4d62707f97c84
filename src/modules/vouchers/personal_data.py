"""Personal-data export and erasure (identity's GET /api/users/me/export/ and erasure).

A buyer's erasure keeps the gift cards they bought usable by their recipients (the value
was paid for and given away): the link to the buyer goes, the card stays. A recipient's
contact data stays until the card is delivered (the code has to reach them); after that it
is only kept to tell them about its use and expiry. A person's own packages are theirs: the
purchase is kept for the accounts, its sessions stay usable if the account comes back."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from modules.vouchers import codes
from modules.vouchers.models import GiftCard, PackagePurchase
from platform_core.renderers import api_time


def export_user(user: Any) -> dict[str, Any]:
    cards = GiftCard.objects.filter(purchaser_id=user.id).exclude(status=GiftCard.Status.CANCELLED)
    purchases = PackagePurchase.objects.filter(user_id=user.id).select_related("package")
    return {
        "gift_cards_bought": [
            {
                "card": codes.masked(c.code_hint),
                "status": c.status,
                "amount_cents": c.amount_cents,
                "balance_cents": c.balance_cents,
                "recipient_name": c.recipient_name,
                "recipient_phone": c.recipient_phone,
                "recipient_email": c.recipient_email,
                "message": c.message,
                "deliver_at": api_time(c.deliver_at),
                "expires_at": api_time(c.expires_at),
                "created_at": api_time(c.created_at),
            }
            for c in cards
        ],
        "packages": [
            {
                "package": p.package.name,
                "status": p.status,
                "sessions": p.sessions,
                "credits_left": p.credits_left,
                "price_cents": p.price_cents,
                "expires_at": api_time(p.expires_at),
                "created_at": api_time(p.created_at),
            }
            for p in purchases
        ],
    }


def erase_user(user: Any) -> None:
    """Anonymise the cards the user bought (still usable by their recipients); unpaid
    purchases lose their recipient data too (nobody will receive them)."""
    now = timezone.now()
    with transaction.atomic():
        for card in GiftCard.objects.select_for_update().filter(purchaser_id=user.id):
            card.purchaser = None
            card.purchaser_erased_at = now
            if card.status in (GiftCard.Status.PENDING_PAYMENT, GiftCard.Status.CANCELLED):
                card.recipient_name = card.recipient_phone = card.recipient_email = ""
                card.message = ""
                card.code_pending_delivery = ""
            card.save()
