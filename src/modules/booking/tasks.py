"""Celery tasks: thin, idempotent wrappers over booking services."""

from __future__ import annotations

from celery import shared_task

from modules.booking import services


@shared_task(name="booking.expire_holds", acks_late=True)
def expire_holds() -> int:
    return services.expire_holds()


@shared_task(name="booking.send_reminders", acks_late=True)
def send_reminders() -> int:
    return services.send_due_reminders()
