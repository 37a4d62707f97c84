"""Publishing Celery tasks without letting a broker outage reach the caller.

Two pieces:

* ``OutageAwareTask`` (the Celery app's task class): a publish that fails opens a
  process-local breaker for ``CELERY_BROKER_OUTAGE_BACKOFF_SECONDS``; while it is open every
  publish fails at once with ``BrokerUnavailable`` instead of waiting on the broker again.
  Together with the bounded retries and socket timeouts in settings (``CELERY_*``), a request
  never spends more than about a second on a dead broker.
* The task outbox (``enqueue``): work that must happen later, whatever the broker's state
  (the sign-up OTP), is a row of ``OutboxTask`` written in the caller's transaction. After
  commit it is published at once when the broker answers; otherwise the periodic relay
  (``platform_core.relay_task_outbox``, from beat, so only when the broker is back) publishes
  it. Each publish first claims the row with a conditional UPDATE, so the on-commit attempt
  and concurrent relays publish a row once. A publish that succeeds but whose
  ``published_at`` cannot be written (the database fails in between) is published again by
  the relay: at least once in that corner, so tasks stay idempotent as everywhere.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from celery import Task, current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from platform_core.backoff import ProcessBackoff

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 60  # far above a bounded publish; a crashed publisher's claim expires
RETRY_BASE_SECONDS = 5
RETRY_MAX_SECONDS = 300


class BrokerUnavailable(ConnectionError):
    """The broker failed a moment ago; publishing is not attempted until the backoff ends."""


_broker = ProcessBackoff("CELERY_BROKER_OUTAGE_BACKOFF_SECONDS", 5.0)


def broker_available() -> bool:
    return _broker.available()


def note_broker_failure() -> None:
    _broker.failed()


def reset_breaker() -> None:
    """Forget a recorded outage (tests, and the relay once the broker delivered its task)."""
    _broker.reset()


class OutageAwareTask(Task):
    """A Celery task whose publishing fails fast while the broker is known to be down."""

    def apply_async(self, *args: Any, **kwargs: Any) -> Any:
        eager = self.app.conf.task_always_eager
        if not eager and not broker_available():
            raise BrokerUnavailable(f"broker unavailable; {self.name} not published")
        try:
            return super().apply_async(*args, **kwargs)
        except Exception as exc:
            if not eager and _is_broker_error(exc):
                note_broker_failure()
                logger.warning("broker unavailable publishing %s: %s", self.name, exc)
            raise


def _is_broker_error(exc: BaseException) -> bool:
    from kombu.exceptions import OperationalError

    return isinstance(exc, OperationalError | ConnectionError | TimeoutError | OSError)


# --- Tasks by name ------------------------------------------------------------------------------
_TASK_IMPORT_LOCK = threading.Lock()


def task_named(name: str) -> Task:
    """The registered Celery task called ``name``. A module's services queue their own
    tasks through it instead of importing ``tasks.py`` (which imports the services: no
    import cycle). Celery imports the plugins' task modules lazily (at worker start), so a
    web process imports them here on first use."""
    if name not in current_app.tasks:
        # One thread imports; the others wait for it. Celery's autodiscovery is a promise
        # that runs once: a second thread calling import_default_modules meanwhile returned
        # at once and found the task not registered yet (NotRegistered in a web worker whose
        # first two WhatsApp messages arrived together; seen in `make memory`).
        with _TASK_IMPORT_LOCK:
            if name not in current_app.tasks:
                current_app.loader.import_default_modules()
    return current_app.tasks[name]


# --- The task outbox ---------------------------------------------------------------------------
def enqueue(
    task: Task | str,
    *,
    args: Iterable[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    queue: str = "",
) -> int:
    """Record ``task(*args, **kwargs)`` in the outbox and publish it after commit.

    Call it inside the transaction whose outcome the task belongs to: a rollback leaves no
    row and publishes nothing. Returns the row's id. Arguments must be JSON-serialisable.
    """
    from platform_core.models import OutboxTask

    name = task if isinstance(task, str) else task.name
    row = OutboxTask.objects.create(
        task=name, args=list(args), kwargs=dict(kwargs or {}), queue=queue
    )
    # robust: the answer of the request never depends on the broker.
    transaction.on_commit(lambda: publish(row.pk), robust=True)
    return int(row.pk)


def _claim(row_id: int) -> bool:
    from platform_core.models import OutboxTask

    now = timezone.now()
    return (
        OutboxTask.objects.filter(pk=row_id, published_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        == 1
    )


def publish(row_id: int) -> bool:
    """Publish one outbox row if nobody else holds or has published it. True when this
    call published it. A broker failure leaves the row for the relay (never raises)."""
    from platform_core.models import OutboxTask

    if not current_app.conf.task_always_eager and not broker_available():
        return False  # skip the wait: the relay publishes it when the broker is back
    if not _claim(row_id):
        return False
    row = OutboxTask.objects.get(pk=row_id)
    try:
        task = current_app.tasks[row.task]
        options = {"queue": row.queue} if row.queue else {}
        task.apply_async(args=list(row.args), kwargs=dict(row.kwargs), **options)
    except Exception as exc:  # noqa: BLE001 - any failure leaves the row for the relay
        attempts = row.attempts + 1
        delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (attempts - 1))
        OutboxTask.objects.filter(pk=row_id).update(
            claimed_until=None,
            attempts=F("attempts") + 1,
            available_at=timezone.now() + timedelta(seconds=delay),
            last_error=f"{exc.__class__.__name__}: {exc}"[:255],
        )
        logger.warning("outbox: %s not published yet (%s)", row.task, exc.__class__.__name__)
        return False
    OutboxTask.objects.filter(pk=row_id).update(
        published_at=timezone.now(), claimed_until=None, attempts=F("attempts") + 1
    )
    return True


def due_ids(limit: int = 100) -> list[int]:
    """Unpublished rows the on-commit publish did not take: failed ones whose retry is due,
    and fresh ones older than ``OUTBOX_RELAY_GRACE_SECONDS`` (their publish was skipped
    during an outage, or the process died between commit and publish)."""
    from platform_core.models import OutboxTask

    now = timezone.now()
    grace = timedelta(seconds=getattr(settings, "OUTBOX_RELAY_GRACE_SECONDS", 10))
    due = Q(available_at__lte=now) | Q(available_at__isnull=True, created_at__lte=now - grace)
    return list(
        OutboxTask.objects.filter(published_at__isnull=True)
        .filter(due)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("created_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def relay(limit: int = 200) -> int:
    """Publish every due row (the periodic task's body); stops at the first broker failure.
    Also deletes rows published more than ``OUTBOX_KEEP_PUBLISHED_DAYS`` ago."""
    from platform_core.models import OutboxTask

    reset_breaker()  # this runs in a worker that just received a task: the broker is up
    published = 0
    for row_id in due_ids(limit):
        if publish(row_id):
            published += 1
        elif not broker_available():
            break
    keep = timedelta(days=getattr(settings, "OUTBOX_KEEP_PUBLISHED_DAYS", 7))
    OutboxTask.objects.filter(published_at__lt=timezone.now() - keep).delete()
    return published
