"""Personal-data export and erasure: the member's subscriptions and stored card."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from modules.membership.models import VipSubscription
from platform_core.renderers import api_time


def export_user(user: Any) -> dict[str, Any]:
    subs = VipSubscription.objects.filter(user_id=user.id).select_related("plan")
    return {
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
    """Drop the stored card and contact data; end a live membership (nothing renews)."""
    with transaction.atomic():
        for sub in VipSubscription.objects.select_for_update().filter(user_id=user.id):
            sub.vip_payment_token = ""
            sub.customer_email = ""
            sub.card_last_four = ""
            if sub.status in VipSubscription.LIVE_STATUSES:
                sub.status = VipSubscription.Status.CANCELED
                sub.cancel_at_period_end = True
            sub.save()
