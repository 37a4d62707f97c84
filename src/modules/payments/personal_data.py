"""Personal-data export and erasure. Payments are kept (accounting), pseudonymised."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from modules.payments.models import Payment, VipSubscription
from platform_core.renderers import api_time


def export_user(user: Any) -> dict[str, Any]:
    payments = Payment.objects.filter(user_id=user.pk).order_by("created_at")
    subs = VipSubscription.objects.filter(user_id=user.pk).select_related("plan")
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
        "vip_subscriptions": [
            {
                "plan": s.plan.name,
                "status": s.status,
                "card": f"{s.card_brand} ****{s.card_last_four}" if s.card_last_four else "",
                "accepted_at": api_time(s.accepted_at),
                "current_period_end": api_time(s.current_period_end),
                "created_at": api_time(s.created_at),
            }
            for s in subs
        ],
    }


def erase_user(user: Any) -> None:
    """Drop contact data and the stored card; keep amounts, statuses and the ledger."""
    with transaction.atomic():
        Payment.objects.filter(user_id=user.pk).update(customer_email="", description="")
        for sub in VipSubscription.objects.select_for_update().filter(user_id=user.pk):
            sub.vip_payment_token = ""
            sub.customer_email = ""
            sub.card_last_four = ""
            if sub.status in VipSubscription.LIVE_STATUSES:
                sub.status = VipSubscription.Status.CANCELED
                sub.cancel_at_period_end = True
            sub.save()
