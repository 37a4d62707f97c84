from celery import shared_task

from modules.assistant import inbound, inbox, processing


@shared_task(name=inbound.PROCESS_MESSAGE, acks_late=True)
def process_message_task(message_id: str) -> None:
    """Answer one stored inbound message (idempotent: processed once)."""
    processing.process_message(message_id)


@shared_task(name="assistant.requeue_unanswered")
def requeue_unanswered_task() -> int:
    """Queue inbound messages that were stored but never processed."""
    return inbound.requeue_unanswered()


@shared_task(name="assistant.release_stale_handoffs")
def release_stale_handoffs_task() -> int:
    """Return unanswered handoffs to the assistant after ASSISTANT_HANDOFF_TIMEOUT_MINUTES."""
    return inbox.release_stale_handoffs()
