"""What identity's flows share about one phone's account: the live account, activation
once a code is confirmed, and queueing a verification code."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone

from modules.identity.guards import user_model
from modules.identity.roles import CLIENT
from platform_core.outbox import enqueue as enqueue_task


def enqueue_verification(phone: str, channel: str) -> None:
    """The code is sent by a task recorded in platform_core's task outbox, in this
    transaction: a broker outage delays it (the relay publishes it when the broker is back)
    but neither loses it nor fails the request."""
    from modules.identity.tasks import send_verification

    enqueue_task(send_verification, args=(phone, channel))


def live_user(phone: str) -> Any | None:
    return user_model().objects.filter(phone_number=phone, erased_at__isnull=True).first()


def activate(user: Any) -> None:
    now = timezone.now()
    changed = ["phone_verified_at"]
    user.phone_verified_at = now
    if not user.is_active:
        user.is_active = True
        changed.append("is_active")
    user.save(update_fields=changed)
    if not user.groups.exists():
        user.groups.add(Group.objects.get_or_create(name=CLIENT)[0])
