"""Spanish (es-CO) names of days and months, for text a person reads (WhatsApp, SMS,
e-mail): no locale is installed on the servers, and the messages must not depend on one."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
WEEKDAYS_SHORT = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
MONTHS = (
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


def long_datetime(moment: datetime, tz: ZoneInfo) -> str:
    """'martes 1 de diciembre a las 10:00' in ``tz``'s wall time."""
    local = moment.astimezone(tz)
    return (
        f"{WEEKDAYS[local.weekday()]} {local.day} de {MONTHS[local.month - 1]} a las {local:%H:%M}"
    )
