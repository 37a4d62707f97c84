from celery import shared_task

from platform_core.notifications.services import DELIVER_NOTIFICATION


# Results are ignored by default (CELERY_TASK_IGNORE_RESULT); the ping's answer is read.
@shared_task(name="platform_core.ping", acks_late=True, ignore_result=False)
def ping() -> str:
    """Round trip through the broker: used by the worker liveness check and tests."""
    return "pong"


@shared_task(name=DELIVER_NOTIFICATION, acks_late=True)
def deliver_notification(notification_id: int) -> str:
    """Send one outbox row (idempotent: a redelivered task sends nothing twice)."""
    from platform_core.notifications.services import deliver

    return deliver(notification_id)


@shared_task(name="platform_core.relay_pending_notifications", acks_late=True)
def relay_pending_notifications(limit: int = 200) -> int:
    """Periodic safety net: enqueue pending rows that are due (retries, deferrals while
    the breaker was open, rows whose on-commit publish was lost in a crash)."""
    from platform_core.notifications.services import relay_pending

    return relay_pending(limit)


@shared_task(name="platform_core.prune_idempotency_keys", acks_late=True)
def prune_idempotency_keys() -> int:
    """Delete idempotency keys older than 24 hours."""
    from platform_core.idempotency import prune_expired

    return prune_expired()


@shared_task(name="platform_core.relay_task_outbox", acks_late=True)
def relay_task_outbox(limit: int = 200) -> int:
    """Publish the outbox's tasks that could not be published when they were recorded
    (the broker was down). Beat sends it, so it runs once the broker is back."""
    from platform_core.outbox import relay

    return relay(limit)
