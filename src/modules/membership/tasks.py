"""Celery tasks: thin, idempotent wrappers over the services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="membership.renew_vip", acks_late=True)
def renew_vip() -> dict[str, int]:
    from modules.membership.services import run_renewals

    return run_renewals()
