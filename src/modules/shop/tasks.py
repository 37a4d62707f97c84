"""Celery tasks: thin, idempotent wrappers over services."""

from __future__ import annotations

from celery import shared_task

from modules.shop import orders


@shared_task(name="shop.expire_orders", acks_late=True)
def expire_orders() -> int:
    """Expire unpaid orders past ORDER_HOLD_MINUTES and release their stock."""
    return orders.expire_overdue_orders()
