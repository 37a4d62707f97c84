"""Client messages for appointments, through platform notifications (Spanish templates
under templates/notifications/<template>/<channel>.txt)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modules.booking.availability import local_tz

_WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)


def spanish_datetime(moment: datetime) -> str:
    """'martes 1 de diciembre a las 10:00' in Bogotá wall time (no locale needed)."""
    local = moment.astimezone(local_tz())
    return (
        f"{_WEEKDAYS[local.weekday()]} {local.day} de {_MONTHS[local.month - 1]} "
        f"a las {local:%H:%M}"
    )


def appointment_context(appointment: Any) -> dict[str, Any]:
    client = appointment.client
    return {
        "client_name": client.first_name or "",
        "service": appointment.service.name,
        "therapist": appointment.therapist.display_name,
        "when": spanish_datetime(appointment.start),
        "room": appointment.room.name if appointment.room_id else "",
        "appointment_id": str(appointment.public_id),
        "price": f"{appointment.price_cents // 100:,}".replace(",", "."),
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
