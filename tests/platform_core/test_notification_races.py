"""Concurrency claims of the outbox, tested with real threads on PostgreSQL (and Redis for
the shared circuit breaker): one row and one send per idempotency key across
transactions, and one half-open probe among racing deliveries."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection, transaction

from platform_core.http import CircuitBreaker
from platform_core.models import Notification, NotificationStatus
from platform_core.notifications import Recipient, notify, sent_messages
from platform_core.notifications.services import deliver
from platform_core.testing import twilio_message, use_scripted_twilio

PHONE = "+573001112233"
START = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
WAIT = 10  # seconds; a correct run never waits this long


class _Rollback(Exception):
    pass


def _notify_once(key: str) -> list[int]:
    rows = notify(
        to=Recipient(phone=PHONE), template="otp", context={"code": "482913"}, idempotency_key=key
    )
    return [row.pk for row in rows]


def _run(*targets) -> None:
    threads = [threading.Thread(target=target) for target in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT * 3)
    assert not any(t.is_alive() for t in threads), "a worker hung"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first_outcome", ["commit", "rollback"])
def test_same_key_in_two_open_transactions_makes_one_row_and_one_send(first_outcome):
    """The second transaction's INSERT waits on the first's uncommitted key: after a
    commit it returns the committed row (no send of its own); after a rollback it
    inserts and sends once."""
    first_in_transaction = threading.Event()
    second_calling = threading.Event()
    first_ending = threading.Event()
    results: dict[str, object] = {}
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                results["first"] = _notify_once("booking-confirmed-1")
                first_in_transaction.set()
                assert second_calling.wait(WAIT)
                threading.Event().wait(0.3)  # the second is now blocked on the unique index
                first_ending.set()  # the last thing before COMMIT / ROLLBACK
                if first_outcome == "rollback":
                    raise _Rollback
        except _Rollback:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    def second() -> None:
        try:
            assert first_in_transaction.wait(WAIT)
            with transaction.atomic():
                second_calling.set()
                results["second"] = _notify_once("booking-confirmed-1")
                # It could only get past the INSERT once the first transaction ended.
                results["second_waited"] = first_ending.is_set()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    _run(first, second)

    assert errors == []
    assert results["second_waited"] is True
    [row] = Notification.objects.all()
    assert row.status == NotificationStatus.SENT
    assert len(sent_messages()) == 1
    if first_outcome == "commit":
        assert results["first"] == results["second"] == [row.pk]
    else:
        assert results["second"] == [row.pk] != results["first"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_transactions_with_one_key_send_once():
    barrier = threading.Barrier(8)
    results: list[list[int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                pks = _notify_once("vip-payment-approved-1")
            with lock:
                results.append(pks)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    _run(*[worker] * 8)

    assert errors == []
    [row] = Notification.objects.all()
    assert results == [[row.pk]] * 8
    assert row.status == NotificationStatus.SENT
    assert len(sent_messages()) == 1


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_half_open_breaker_admits_one_probe_among_eight_racing_deliveries(twilio_settings):
    assert twilio_settings.CACHES["default"]["BACKEND"].startswith("django_redis")
    rows = [
        Notification.objects.create(
            channel="sms", template="otp", to=f"+57300111{i:04d}", body="Código 1", context={}
        )
        for i in range(8)
    ]
    breaker = CircuitBreaker("notifications:twilio", failures=5, reset_seconds=60)
    outcomes: dict[int, str] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()
    others_refused = threading.Event()
    barrier = threading.Barrier(len(rows))

    def slow_probe(call: dict) -> object:
        # Hold the probe in flight until every other delivery has been answered, so a
        # second caller admitted while it runs would show up as a second request.
        others_refused.wait(WAIT)
        return twilio_message()

    def worker(pk: int) -> None:
        try:
            barrier.wait()
            outcome = deliver(pk)
            with lock:
                outcomes[pk] = outcome
                if list(outcomes.values()).count("deferred") == len(rows) - 1:
                    others_refused.set()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(5):
            breaker.record_failure()
        traveller.shift(61)  # past TWILIO_CB_TIMEOUT
        assert breaker.state == "half-open"
        with use_scripted_twilio(slow_probe) as twilio:
            _run(*[lambda pk=row.pk: worker(pk) for row in rows])
        assert breaker.state == "closed"  # the probe succeeded

    assert errors == []
    assert sorted(outcomes.values()) == ["deferred"] * 7 + ["sent"]
    assert len(twilio.requests) == 1
    statuses = sorted(Notification.objects.values_list("status", "attempts"))
    assert statuses == [(NotificationStatus.PENDING, 0)] * 7 + [(NotificationStatus.SENT, 1)]
