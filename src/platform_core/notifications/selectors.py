"""Read queries for notifications."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from platform_core.errors import ValidationFailed
from platform_core.phones import normalize_phone


def list_outbox(*, to: str = "", template: str = "") -> list[dict[str, Any]]:
    """The latest outbox rows as dicts (decrypted body), newest first, for the DEBUG view."""
    from platform_core.models import Notification

    qs = Notification.objects.order_by("-created_at", "-id")
    if to:
        # A filter, not an input to store: a number that is not one matches nothing.
        try:
            qs = qs.filter(to=to if "@" in to else normalize_phone(to))
        except ValidationFailed:
            return []
    if template:
        qs = qs.filter(template=template)
    return [
        {
            "id": n.public_id,
            "channel": n.channel,
            "to": n.to,
            "template": n.template,
            "subject": n.subject,
            "body": str(n.body or ""),
            "status": n.status,
            "sent_via": n.sent_via,
            "attempts": n.attempts,
            "error_code": n.error_code,
            "created_at": n.created_at,
        }
        for n in qs[:200]
    ]


def is_opted_out(*, channel: str, user_id: int | None = None, phone: str = "") -> bool:
    from platform_core.models import NotificationOptOut

    who = Q()
    if user_id is not None:
        who |= Q(user_id=user_id)
    if phone:
        who |= Q(phone=phone)
    if not who:
        return False
    rows = NotificationOptOut.objects.filter(who, channel__in=(channel, "all")).values_list(
        "channel", "opted_out"
    )
    # A channel-specific answer wins over "all" (e.g. all off but email allowed).
    specific = [out for ch, out in rows if ch == channel]
    if specific:
        return any(specific)
    return any(out for _, out in rows)
