"""Celery tasks (beat entries in the plugin): thin wrappers over ``delivery``."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="vouchers.deliver_due", acks_late=True)
def deliver_due() -> int:
    from modules.vouchers.delivery import deliver_due

    return deliver_due()


@shared_task(name="vouchers.remind_expiring", acks_late=True)
def remind_expiring() -> int:
    from modules.vouchers.delivery import remind_expiring

    return remind_expiring()
