"""Celery tasks: thin, idempotent wrappers over the services (queue ``payments``)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="payments.reconcile", acks_late=True)
def reconcile() -> dict[str, int]:
    from modules.payments.reconciliation import reconcile_pending

    return reconcile_pending()


@shared_task(name="payments.retry_refunds", acks_late=True)
def retry_refunds() -> int:
    from modules.payments.refunds import retry_requested_refunds

    return retry_requested_refunds()


@shared_task(name="payments.disperse_payouts", acks_late=True)
def disperse_payouts() -> dict[str, int]:
    from modules.payments.payouts import disperse

    return disperse()


@shared_task(name="payments.retry_payouts", acks_late=True)
def retry_payouts() -> dict[str, int]:
    from modules.payments.payouts import retry_unsent

    return retry_unsent()


@shared_task(name="payments.relay_outcomes", acks_late=True)
def relay_outcomes() -> dict[str, int]:
    """Deliver the payment outcomes whose retry is due (or whose after-commit delivery
    never ran): ``modules.payments.outbox``."""
    from modules.payments.outbox import relay_due

    return relay_due()
