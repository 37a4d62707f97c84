"""The task outbox and the broker breaker: a broker outage neither fails the caller nor
loses the task, and each recorded task is published exactly once."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from celery import Task
from django.db import connection, transaction
from kombu.exceptions import OperationalError

from platform_core import outbox
from platform_core.models import OutboxTask
from platform_core.tasks import ping


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch, settings: Any) -> dict[str, Any]:
    """A fake broker behind the real OutageAwareTask: records publishes, or refuses them."""
    state: dict[str, Any] = {"down": False, "published": [], "calls": 0}
    lock = threading.Lock()

    def publish(self: Task, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        with lock:
            state["calls"] += 1
        if state["down"]:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")
        time.sleep(0.05)  # a real publish takes a moment: widens any race window
        with lock:
            state["published"].append((self.name, list(args or ()), dict(kwargs or {})))

    monkeypatch.setattr(Task, "apply_async", publish)
    monkeypatch.setitem(ping.app.conf, "task_always_eager", False)
    settings.CELERY_BROKER_OUTAGE_BACKOFF_SECONDS = 60
    settings.OUTBOX_RELAY_GRACE_SECONDS = 0
    outbox.reset_breaker()
    yield state
    outbox.reset_breaker()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_caller_records_and_publishes_nothing(broker) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue(ping, args=())
        raise RuntimeError("the caller failed")
    assert OutboxTask.objects.count() == 0 and broker["published"] == []


@pytest.mark.django_db(transaction=True)
def test_broker_down_the_task_waits_and_is_published_once_when_it_is_back(broker) -> None:
    broker["down"] = True
    started = time.monotonic()
    with transaction.atomic():
        first = outbox.enqueue(ping, args=(), kwargs={})
    with transaction.atomic():
        second = outbox.enqueue("platform_core.ping", queue="celery")
    # One refused publish opened the breaker: the second did not even try.
    assert broker["calls"] == 1
    assert time.monotonic() - started < 1
    assert not outbox.broker_available()
    with pytest.raises(outbox.BrokerUnavailable):
        ping.apply_async()
    row = OutboxTask.objects.get(pk=first)
    assert row.published_at is None and row.attempts == 1 and "OperationalError" in row.last_error
    assert OutboxTask.objects.get(pk=second).attempts == 0

    broker["down"] = False
    OutboxTask.objects.update(available_at=None)  # the retry of the first is due now
    assert outbox.relay() == 2  # the relay runs in a worker: the broker is up
    assert outbox.relay() == 0  # nothing twice
    assert [name for name, _a, _k in broker["published"]] == ["platform_core.ping"] * 2
    assert OutboxTask.objects.filter(published_at__isnull=True).count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_publishers_publish_a_row_once(broker) -> None:
    broker["down"] = True
    with transaction.atomic():
        row_id = outbox.enqueue(ping)
    broker["down"] = False
    outbox.reset_breaker()
    OutboxTask.objects.update(available_at=None)
    barrier = threading.Barrier(6)
    results: list[bool] = []

    def race(i: int) -> None:
        try:
            barrier.wait()
            results.append(outbox.publish(row_id) if i % 2 else outbox.relay() == 1)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1, results
    assert len(broker["published"]) == 1


@pytest.mark.django_db
def test_published_rows_are_pruned_after_the_retention(broker, settings) -> None:
    from datetime import timedelta

    from django.utils import timezone

    settings.OUTBOX_KEEP_PUBLISHED_DAYS = 7
    old = OutboxTask.objects.create(task="platform_core.ping")
    OutboxTask.objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(days=8))
    recent = OutboxTask.objects.create(task="platform_core.ping", published_at=timezone.now())
    outbox.relay()
    assert list(OutboxTask.objects.values_list("pk", flat=True)) == [recent.pk]


def test_readiness_probes_the_broker_and_a_success_ends_the_backoff(settings) -> None:
    from platform_core import health

    settings.CELERY_TASK_ALWAYS_EAGER = False
    outbox.note_broker_failure()
    assert not outbox.broker_available()
    if settings.REDIS_URL:  # a real broker answers: ready, and publishing resumes at once
        assert health.check_broker() == "ok"
        assert outbox.broker_available()


def _probe() -> None:
    """The body of the task the slow import registers."""


def test_task_named_waits_for_the_thread_importing_the_task_modules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two threads asking for a task not yet imported: both get it. Celery's autodiscovery
    runs once, so the second caller must wait for the first's import, not return early."""
    import threading
    import time

    from celery import current_app
    from celery import shared_task as celery_shared_task

    from platform_core import outbox

    name = "tests.slow_import_probe"
    calls: list[str] = []

    def slow_import() -> list[object]:
        calls.append(threading.current_thread().name)
        if len(calls) == 1:  # the first caller imports, slowly; a second one finds nothing
            time.sleep(0.3)
            celery_shared_task(name=name)(_probe)
        return []

    monkeypatch.setattr(current_app.loader, "import_default_modules", slow_import)
    found: list[object] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            found.append(outbox.task_named(name))
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    current_app.tasks.pop(name, None)
    assert errors == [] and len(found) == 2
    assert len(calls) == 1  # the second thread waited and found it registered
