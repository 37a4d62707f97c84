"""Appointment reminders: the hours before a visit at which the client is reminded, sent
once per appointment and hour mark (beat runs send_due_reminders)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from modules.booking import messaging
from modules.booking.models import (
    Appointment,
    AppointmentReminder,
)
from modules.booking.models import AppointmentStatus as S

logger = logging.getLogger(__name__)


def reminder_hours() -> list[int]:
    return sorted({int(h) for h in settings.BOOKING_REMINDER_HOURS if int(h) > 0})


def send_reminder(appointment_id: int, hours: int, now: datetime | None = None) -> bool:
    """Send the ``hours``-before reminder once: the reminder row is claimed with a
    conditional UPDATE in the same transaction as the outbox write."""
    now = now or timezone.now()
    with transaction.atomic():
        appt = (
            Appointment.objects.select_related("client", "service", "therapist", "room")
            .filter(pk=appointment_id, status=S.CONFIRMED, start__gt=now)
            .first()
        )
        if appt is None:
            return False
        AppointmentReminder.objects.bulk_create(
            [AppointmentReminder(appointment_id=appointment_id, hours=hours)],
            ignore_conflicts=True,
        )
        claimed = AppointmentReminder.objects.filter(
            appointment_id=appointment_id, hours=hours, sent_at__isnull=True
        ).update(sent_at=now)
        if not claimed:
            return False
        # The start is part of the key: a rescheduled appointment (whose claims were
        # deleted) gets a new message for its new time instead of the old outbox row.
        key = f"reminder:{hours}:{int(appt.start.timestamp())}"
        messaging.send(appt, "booking_reminder", key, hours=hours)
    return True


def send_due_reminders(now: datetime | None = None) -> int:
    """For each confirmed upcoming appointment, send the nearest reminder that is due.
    A reminder whose moment had already passed when the booking was made is skipped
    (the confirmation covers it), as are earlier reminders the beat missed."""
    now = now or timezone.now()
    hours = reminder_hours()
    if not hours:
        return 0
    rows = Appointment.objects.filter(
        status=S.CONFIRMED, start__gt=now, start__lte=now + timedelta(hours=max(hours))
    ).values_list("pk", "start", "created_at")
    sent = 0
    for pk, start, created_at in rows:
        due = [h for h in hours if start - timedelta(hours=h) <= now]
        if not due:
            continue
        nearest = min(due)
        if created_at > start - timedelta(hours=nearest):
            continue
        if send_reminder(pk, nearest, now):
            sent += 1
    return sent
