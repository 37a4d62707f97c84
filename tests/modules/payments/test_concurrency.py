"""Races with real threads against PostgreSQL (skipped on SQLite)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection

from modules.payments.models import LedgerEntry, Payment, Payout, WebhookEvent
from tests.modules.payments.conftest import post_event, tx_event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DELIVERIES = 100
THREADS = 20  # 100 deliveries over 20 threads keeps us under the connection limit


def test_100_concurrent_deliveries_settle_once(
    api: Any, checkout: Payment, settled_spy: Any
) -> None:
    body = tx_event(checkout)
    barrier = threading.Barrier(THREADS)
    lock = threading.Lock()
    statuses: list[int] = []

    def deliver(i: int) -> None:
        try:
            if i < THREADS:
                barrier.wait(timeout=30)
            from tests.conftest import ApiClient

            response = post_event(ApiClient(), body)
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(deliver, range(DELIVERIES)))

    assert statuses == [200] * DELIVERIES
    checkout.refresh_from_db()
    assert checkout.status == "APPROVED"
    assert WebhookEvent.objects.count() == 1
    assert LedgerEntry.objects.filter(payment=checkout, kind="charge").count() == 1
    assert len(settled_spy.calls) == 1


def test_100_concurrent_re_signed_copies_of_a_later_approval_settle_once(
    api: Any, checkout: Payment, settled_spy: Any
) -> None:
    """Wompi retries re-sign an event (new timestamp and checksum): 100 such copies of an
    approval that follows a decline, delivered at once, store one event, settle once."""
    post_event(api, tx_event(checkout, "DECLINED", tx_id="tx-declined"))
    bodies = [
        tx_event(checkout, "APPROVED", tx_id="tx-approved", timestamp=1530300000 + i)
        for i in range(DELIVERIES)
    ]
    barrier = threading.Barrier(THREADS)
    lock = threading.Lock()
    outcomes: list[str] = []

    def deliver(i: int) -> None:
        try:
            if i < THREADS:
                barrier.wait(timeout=30)
            from tests.conftest import ApiClient

            response = post_event(ApiClient(), bodies[i])
            with lock:
                outcomes.append(f"{response.status_code} {response.json()['outcome']}")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(deliver, range(DELIVERIES)))

    assert sorted(set(outcomes)) == ["200 applied", "200 duplicate"]
    assert outcomes.count("200 applied") == 1
    checkout.refresh_from_db()
    assert checkout.status == "APPROVED" and checkout.wompi_transaction_id == "tx-approved"
    assert WebhookEvent.objects.filter(status="APPROVED").count() == 1
    assert LedgerEntry.objects.filter(payment=checkout, kind="charge").count() == 1
    assert len(settled_spy.calls) == 1


def test_concurrent_payout_runs_disperse_once(settings: Any, db: Any) -> None:
    from modules.payments import payouts
    from modules.payments.sandbox.inprocess import get_sandbox

    settings.WOMPI_DEVELOPER_DESTINATION = (
        "legalIdType=CC;legalId=1020304050;bankId=ec6ad3b0-0000-4000-8000-000000000007;"
        "accountType=AHORROS;accountNumber=123456789;name=Dev;email=dev@example.com"
    )
    settings.WOMPI_PAYOUT_ACCOUNT_ID = "b3f5e6c2-0000-4000-8000-000000000001"
    settings.WOMPI_PAYOUT_PRIVATE_KEY = "payout_test_key"
    settings.WOMPI_PAYOUT_USER_PRINCIPAL_ID = "principal-1"
    settings.DEVELOPER_PAYOUT_THRESHOLD_CENTS = 1000
    for i in range(30):
        LedgerEntry.objects.create(kind="commission", account="developer", amount_cents=100 + i)
    expected = sum(100 + i for i in range(30))
    barrier = threading.Barrier(8)
    results: list[Any] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(payouts.disperse())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert Payout.objects.count() == 1
    payout = Payout.objects.get()
    assert payout.amount_cents == expected and payout.status == "TOTAL_PAYMENT"
    assert len(get_sandbox().state.payouts) == 1
    assert payouts.developer_balance() == 0
    assert payouts.disperse()["sent"] == 0  # nothing left


def test_concurrent_relays_hand_an_outcome_to_its_handler_once(
    checkout: Payment, outcome_listeners: list[Any]
) -> None:
    """Ten relays (and after-commit deliveries) take the same undelivered outcome at once:
    the row lock (skip_locked) and delivered_at let exactly one run the handler."""
    from django.db import transaction

    from modules.payments import outbox
    from modules.payments.models import Outcome
    from modules.payments.settlement import apply_transaction

    handled: list[str] = []
    lock = threading.Lock()

    def slow_handler(outcome: Any) -> None:
        with lock:
            handled.append(outcome.payment_reference)
        threading.Event().wait(0.2)  # hold the row while the others arrive

    outcome_listeners.append(slow_handler)
    with transaction.atomic():
        apply_transaction(tx_event(checkout)["data"]["transaction"], source="poll")
        # the commit runs the after-commit delivery once; undo its effect to race on it
    Outcome.objects.filter(payment=checkout).update(delivered_at=None)
    handled.clear()
    row = Outcome.objects.get(payment=checkout)
    barrier = threading.Barrier(10)
    results: list[bool] = []

    def relay() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(outbox.deliver(row.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=relay) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == [False] * 9 + [True]
    assert handled == [checkout.reference]
    row.refresh_from_db()
    assert row.delivered_at is not None
