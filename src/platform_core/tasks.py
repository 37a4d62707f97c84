from celery import shared_task


@shared_task(name="platform_core.ping", acks_late=True)
def ping() -> str:
    """Round trip through the broker: used by the worker liveness check and tests."""
    return "pong"


@shared_task(name="platform_core.deliver_notification", acks_late=True)
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
