"""Celery tasks: thin, idempotent wrappers over booking services."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from modules.booking import deposits, fees, reminders, waitlist


@shared_task(name="booking.expire_holds", acks_late=True)
def expire_holds() -> int:
    return deposits.expire_holds()


@shared_task(name="booking.send_reminders", acks_late=True)
def send_reminders() -> int:
    return reminders.send_due_reminders()


@shared_task(name="booking.waitlist_offer_freed_slots", acks_late=True)
def offer_freed_slots(therapist_id: int | None, day: str) -> int:
    return waitlist.offer_freed_slots(therapist_id, date.fromisoformat(day))


@shared_task(name="booking.waitlist_cascade", acks_late=True)
def waitlist_cascade() -> dict[str, int]:
    return waitlist.cascade()


@shared_task(name="booking.charge_fee", acks_late=True)
def charge_fee(fee_id: int) -> str:
    return fees.charge(fee_id)


@shared_task(name="booking.charge_due_fees", acks_late=True)
def charge_due_fees() -> dict[str, int]:
    return fees.run_due()
