"""Read queries for notifications."""

from __future__ import annotations

from typing import Any

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
