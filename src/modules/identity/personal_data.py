"""identity's part of a personal-data export and erasure (Ley 1581 / GDPR requests)."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone

from modules.identity.models import LocalVerification
from modules.identity.roles import ALL_ROLES


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def export_user(user: Any) -> dict[str, Any]:
    return {
        "public_id": str(user.public_id),
        "phone_number": user.phone_number,
        "pending_phone_number": user.pending_phone_number,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
        "notification_channel": user.notification_channel,
        "notification_opt_outs": list(user.notification_opt_outs or []),
        "roles": sorted(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True)),
        "is_active": user.is_active,
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
        "phone_verified_at": _iso(user.phone_verified_at),
        "vip_until": _iso(user.vip_until),
        "terms_accepted_at": _iso(user.terms_accepted_at),
        "data_policy_accepted_at": _iso(user.data_policy_accepted_at),
        "policy_version": user.policy_version,
    }


def erase_user(user: Any) -> None:
    """Anonymise the account in place (the row stays so pseudonymised financial records
    kept for legal retention still point somewhere); it can never sign in again."""
    LocalVerification.objects.filter(
        phone_number__in=[p for p in (user.phone_number, user.pending_phone_number) if p]
    ).delete()
    user.phone_number = f"erased-{uuid.uuid4().hex[:12]}"
    user.pending_phone_number = ""
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.language = "es-co"
    user.notification_opt_outs = []
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.vip_until = None
    user.erased_at = timezone.now()
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
