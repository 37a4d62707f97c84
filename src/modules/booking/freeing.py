"""Time freed on a therapist's day (a cancellation, a move, an expired hold, a no-show,
a schedule change): after the freeing transaction commits, the waitlist looks for
clients to offer it to (``waitlist.offer_freed_slots`` on the appointments queue).
Nothing is enqueued when the transaction rolls back, and nothing runs under its locks."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.db import transaction

from modules.booking.availability import local_tz

logger = logging.getLogger(__name__)
MAX_RANGE_DAYS = 31


def slot_freed(therapist_id: int, moment: datetime) -> None:
    """Inside the freeing transaction: after it commits, look for waitlisted clients
    for that therapist's day."""
    day = moment.astimezone(local_tz()).date()
    transaction.on_commit(lambda: _enqueue(therapist_id, day))


def days_freed(therapist_id: int, first: date, last: date) -> None:
    """A schedule change opened time between two days (at most MAX_RANGE_DAYS)."""
    for n in range(min((last - first).days + 1, MAX_RANGE_DAYS)):
        day = first + timedelta(days=n)
        transaction.on_commit(lambda day=day: _enqueue(therapist_id, day))


def _enqueue(therapist_id: int, day: date) -> None:
    from modules.booking import tasks

    try:
        tasks.offer_freed_slots.delay(therapist_id, day.isoformat())
    except Exception:
        logger.exception("could not enqueue waitlist offers for %s %s", therapist_id, day)
