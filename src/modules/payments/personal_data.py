"""Personal-data export and erasure. Payments are kept (accounting), pseudonymised."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from modules.payments.models import Payment
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
    }


def erase_user(user: Any) -> None:
    """Drop contact data; keep amounts, statuses and the ledger (the stored card is
    membership's: its eraser drops it)."""
    with transaction.atomic():
        Payment.objects.filter(user_id=user.pk).update(customer_email="", description="")
