"""Client messages for appointments, through platform notifications (Spanish templates
under templates/notifications/<template>/<channel>.txt)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction

from modules.booking.availability import local_tz
from platform_core.money import format_cop
from platform_core.spanish import long_datetime

logger = logging.getLogger(__name__)


def spanish_datetime(moment: datetime) -> str:
    """'martes 1 de diciembre a las 10:00' in Bogotá wall time (no locale needed)."""
    return long_datetime(moment, local_tz())


def appointment_context(appointment: Any) -> dict[str, Any]:
    client = appointment.client
    return {
        "client_name": client.first_name or "",
        "service": appointment.service.name,
        "therapist": appointment.therapist.display_name,
        "when": spanish_datetime(appointment.start),
        "room": appointment.room.name if appointment.room_id else "",
        "appointment_id": str(appointment.public_id),
        "price": format_cop(appointment.price_cents),
    }


def send(appointment: Any, template: str, key_suffix: str, **extra: Any) -> None:
    """One message to the appointment's client on their channel, at most once per key."""
    from platform_core import notifications

    notifications.notify(
        to=notifications.Recipient.from_user(appointment.client),
        template=template,
        context={**appointment_context(appointment), **extra},
        channels=None,  # the client's preferred channel
        idempotency_key=f"appt:{appointment.public_id}:{key_suffix}",
    )


def notify_safely(appointment: Any, template: str, key: str, **extra: Any) -> None:
    """Messages are a side effect: a broken channel must not undo a booking (or a fee)."""
    try:
        with transaction.atomic():
            send(appointment, template, key, **extra)
    except Exception:
        logger.exception("could not queue %s for appointment %s", template, appointment.pk)
