from celery import shared_task


@shared_task(name="platform_core.ping", acks_late=True)
def ping() -> str:
    """Round trip through the broker: used by the worker liveness check and tests."""
    return "pong"
