"""identity's part of a personal-data export and erasure (Ley 1581 / GDPR requests)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.utils import timezone

from modules.identity import selectors
from modules.identity.models import LocalVerification
from platform_core.renderers import api_time


def export_user(user: Any) -> dict[str, Any]:
    """The profile the user sees, plus the account's bookkeeping, as JSON-ready values."""
    data = selectors.profile(user)
    data["public_id"] = str(data.pop("id"))
    data.update(is_active=user.is_active, last_login=user.last_login)
    return {
        key: api_time(value) if isinstance(value, datetime) else value
        for key, value in data.items()
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
