"""Personal-data export and erasure. Payments are kept (accounting), pseudonymised."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from modules.payments.models import Payment, SavedCard
from modules.payments.saved_cards import delete_card
from platform_core.renderers import api_time


def export_user(user: Any) -> dict[str, Any]:
    payments = Payment.objects.filter(user_id=user.pk).order_by("created_at")
    return {
        "payments": [
            {
                "reference": p.reference,
                "purpose": p.purpose,
                "amount_cents": p.amount_cents,
                "currency": p.currency,
                "status": p.status,
                "method": p.method,
                "email": p.customer_email,
                "created_at": api_time(p.created_at),
            }
            for p in payments
        ],
        "saved_card": [
            {
                "brand": c.brand,
                "last_four": c.last_four,
                "accepted_at": api_time(c.accepted_at),
                "acceptance_permalink": c.acceptance_permalink,
                "personal_data_permalink": c.personal_data_permalink,
            }
            for c in SavedCard.objects.filter(user_id=user.pk)
        ],
    }


def erase_user(user: Any) -> None:
    """Drop contact data and the saved card (voided at Wompi after commit); keep amounts,
    statuses and the ledger (VIP's stored card is membership's: its eraser drops it)."""
    with transaction.atomic():
        Payment.objects.filter(user_id=user.pk).update(customer_email="", description="")
        delete_card(user, why="erased")
