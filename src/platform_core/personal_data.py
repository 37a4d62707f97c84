"""The shared kernel's part of a personal-data export and erasure: the notification
outbox, channel opt-outs, WhatsApp session contacts and stored idempotent responses.

Identity runs this eraser before its own, while the account still has its phone number
and email, so rows addressed to them (not only those linked by user id) are found.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from platform_core.renderers import api_time

ERASED = "erased"


def _addresses(user: Any) -> list[str]:
    return [a for a in (getattr(user, "phone_number", ""), getattr(user, "email", "")) if a]


def _notifications(user: Any) -> Any:
    from platform_core.models import Notification

    return Notification.objects.filter(Q(user_id=user.pk) | Q(to__in=_addresses(user)))


def _opt_outs(user: Any) -> Any:
    from platform_core.models import NotificationOptOut

    phone = getattr(user, "phone_number", "") or None
    return NotificationOptOut.objects.filter(Q(user_id=user.pk) | Q(phone=phone))


def export_user(user: Any) -> dict[str, Any]:
    """What was sent to the person (never message bodies: they may hold one-time codes),
    which channels they refused, and when they last wrote on WhatsApp."""
    from platform_core.models import MessagingContact

    messages = [
        {
            "id": str(n.public_id),
            "template": n.template,
            "channel": n.channel,
            "to": n.to,
            "status": n.status,
            "created_at": api_time(n.created_at),
            "sent_at": api_time(n.sent_at),
        }
        for n in _notifications(user).order_by("created_at", "id")
    ]
    opt_outs = sorted(
        {row.channel for row in _opt_outs(user) if row.opted_out},
    )
    contact = MessagingContact.objects.filter(phone=getattr(user, "phone_number", "")).first()
    return {
        "notifications": messages,
        "opted_out_channels": opt_outs,
        "whatsapp_last_inbound_at": api_time(contact.last_inbound_at) if contact else None,
    }


def erase_user(user: Any) -> None:
    """Blank the outbox rows (kept as delivery statistics with no address, text or
    variables), cancel what has not gone out, and delete opt-outs, the WhatsApp session
    contact and stored idempotent responses. Opt-outs go too: the person no longer exists
    for us, and a number that registers again starts with the defaults."""
    from platform_core.models import (
        IdempotencyKey,
        MessagingContact,
        NotificationStatus,
    )

    rows = _notifications(user)
    rows.filter(status=NotificationStatus.PENDING).update(
        status=NotificationStatus.SKIPPED, error_message="cancelada: datos personales borrados"
    )
    # Encrypted fields: set through the model so the stored value is a real ciphertext.
    for notification in list(rows):
        notification.to = ERASED
        notification.user_id = None
        notification.subject = ""
        notification.body = ""
        notification.context = {}
        notification.save(update_fields=["to", "user_id", "subject", "body", "context"])
    _opt_outs(user).delete()
    MessagingContact.objects.filter(phone=getattr(user, "phone_number", "")).delete()
    IdempotencyKey.objects.filter(user_id=user.pk).delete()
