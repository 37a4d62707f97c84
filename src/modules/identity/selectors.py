"""Read queries for the API and admin."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from modules.identity.roles import ALL_ROLES
from platform_core.errors import NotFound


def live_user(public_id: Any) -> Any:
    """The account with this public id, unless erased; NotFound otherwise."""
    user = get_user_model().objects.filter(public_id=public_id, erased_at__isnull=True).first()
    if user is None:
        raise NotFound()
    return user


def roles_of(user: Any) -> list[str]:
    cached = getattr(user, "_role_groups", None)
    if cached is not None:
        return sorted(g.name for g in cached)
    from modules.identity.memberships import group_names

    return sorted(name for name in group_names(user.pk) if name in ALL_ROLES)


def profile(user: Any) -> dict[str, Any]:
    return {
        "id": user.public_id,
        "phone_number": user.phone_number,
        "pending_phone_number": user.pending_phone_number,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
        "notification_channel": user.notification_channel,
        "notification_opt_outs": list(user.notification_opt_outs or []),
        "roles": roles_of(user),
        "is_vip": user.is_vip,
        "vip_until": user.vip_until,
        "phone_verified_at": user.phone_verified_at,
        "date_joined": user.date_joined,
        "terms_accepted_at": user.terms_accepted_at,
        "data_policy_accepted_at": user.data_policy_accepted_at,
        "policy_version": user.policy_version,
    }


def search_users(*, q: str = "", role: str | None = None, vip: bool | None = None) -> QuerySet:
    """Live (not erased) accounts for staff, by phone/name/email, role and VIP status."""
    from django.contrib.auth.models import Group

    qs = get_user_model().objects.filter(erased_at__isnull=True)
    if q:
        digits = "".join(ch for ch in q if ch.isdigit())
        cond = Q(first_name__icontains=q) | Q(last_name__icontains=q) | Q(email__icontains=q)
        if digits:
            cond |= Q(phone_number__contains=digits)
        qs = qs.filter(cond)
    if role:
        qs = qs.filter(groups__name=role)
    if vip is True:
        qs = qs.filter(vip_until__gt=timezone.now())
    elif vip is False:
        qs = qs.filter(Q(vip_until__isnull=True) | Q(vip_until__lte=timezone.now()))
    roles = Group.objects.filter(name__in=ALL_ROLES)
    return (
        qs.prefetch_related(Prefetch("groups", queryset=roles, to_attr="_role_groups"))
        .distinct()
        .order_by("-date_joined", "pk")
    )
