"""Time freed on a therapist's day (a cancellation, a move, an expired hold, a no-show,
a schedule change): after the freeing transaction commits, the signal ``time_freed`` is
sent; booking's receiver (``receivers.offer_freed_time``, connected in ``apps.ready``)
enqueues the waitlist's ``offer_freed_slots`` on the appointments queue. Nothing is sent
when the transaction rolls back, and nothing runs under its locks. A signal, not an
import of the tasks: services -> freeing stays a leaf (no import cycle in booking)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.dispatch import Signal

from modules.booking.availability import local_tz

MAX_RANGE_DAYS = 31
# Sent after commit with therapist_id (int) and day (date).
time_freed = Signal()


def slot_freed(therapist_id: int, moment: datetime) -> None:
    """Inside the freeing transaction: after it commits, look for waitlisted clients
    for that therapist's day."""
    day = moment.astimezone(local_tz()).date()
    transaction.on_commit(lambda: _send(therapist_id, day))


def days_freed(therapist_id: int, first: date, last: date) -> None:
    """A schedule change opened time between two days (at most MAX_RANGE_DAYS)."""
    for n in range(min((last - first).days + 1, MAX_RANGE_DAYS)):
        day = first + timedelta(days=n)
        transaction.on_commit(lambda day=day: _send(therapist_id, day))


def _send(therapist_id: int, day: date) -> None:
    time_freed.send(sender=None, therapist_id=therapist_id, day=day)
