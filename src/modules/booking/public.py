"""booking's public face: the only thing other modules import from booking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from platform_core.accounts import UserRef

__all__ = ["AppointmentDTO", "upcoming_appointments"]


@dataclass(frozen=True)
class AppointmentDTO:
    id: str
    service_code: str
    service_name: str
    therapist_name: str
    start: datetime
    end: datetime
    status: str


def upcoming_appointments(user: UserRef) -> list[AppointmentDTO]:
    """The user's active appointments from now on (e.g. for a dashboard)."""
    from django.utils import timezone

    from modules.booking.models import ACTIVE_STATUSES, Appointment

    qs = (
        Appointment.objects.filter(
            client_id=user.id, status__in=ACTIVE_STATUSES, start__gte=timezone.now()
        )
        .exclude(status="OFFERED")  # a waitlist offer's hold is not theirs yet
        .select_related("service", "therapist")
        .order_by("start")
    )
    return [
        AppointmentDTO(
            id=str(a.public_id),
            service_code=a.service.code,
            service_name=a.service.name,
            therapist_name=a.therapist.display_name,
            start=a.start,
            end=a.end,
            status=a.status,
        )
        for a in qs
    ]
