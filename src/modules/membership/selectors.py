"""Read queries for the API, the assistant tools and the admin."""

from __future__ import annotations

from django.db.models import QuerySet

from modules.membership.models import VipPlan, VipSubscription
from platform_core.accounts import UserRef


def active_plans() -> QuerySet[VipPlan]:
    return VipPlan.objects.filter(is_active=True).order_by("price_cents")


def latest_subscription(user: UserRef) -> VipSubscription | None:
    return (
        VipSubscription.objects.filter(user_id=user.id)
        .select_related("plan")
        .order_by("-created_at")
        .first()
    )
