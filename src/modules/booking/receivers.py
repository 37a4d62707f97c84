"""Signal receivers: booking's own model writes bump the availability and catalog versions."""

from __future__ import annotations

from typing import Any

from modules.booking.availability import bump_version, local_tz
from modules.booking.versions import CATALOG


def schedule_changed(sender: Any = None, **kwargs: Any) -> None:
    """A write of what availability is computed from; an Appointment's leaves the
    schedule counter (``versions.SCHEDULE``) alone."""
    bump_version(sender)


def catalog_changed(sender: Any = None, **kwargs: Any) -> None:
    CATALOG.bump()


def schedule_opened(sender: Any = None, instance: Any = None, **kwargs: Any) -> None:
    """A one-off schedule change or a removed absence may open time: the waitlist looks
    at those days after the change commits."""
    from modules.booking import freeing
    from modules.booking.models import ScheduleChange, TimeOff

    if isinstance(instance, ScheduleChange):
        freeing.days_freed(instance.therapist_id, instance.date, instance.date)
    elif isinstance(instance, TimeOff):
        tz = local_tz()
        freeing.days_freed(
            instance.therapist_id,
            instance.start.astimezone(tz).date(),
            instance.end.astimezone(tz).date(),
        )


def offer_freed_time(sender: Any = None, therapist_id: int = 0, day: Any = None, **kw: Any) -> None:
    """``freeing.time_freed`` (after commit): the waitlist looks for clients for that day,
    in the worker -- only when someone waits for it (most cancellations free time nobody
    waits for: one indexed EXISTS here instead of a task that would find nobody)."""
    import logging

    from modules.booking import tasks, waitlist

    if not waitlist.anyone_waiting(day):
        return
    try:
        tasks.offer_freed_slots.delay(therapist_id, day.isoformat())
    except Exception:
        logging.getLogger(__name__).exception(
            "could not enqueue waitlist offers for %s %s", therapist_id, day
        )
