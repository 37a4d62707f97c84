"""Tenders under concurrency, with real threads on PostgreSQL (skipped on SQLite): the
provider's row lock and CheckConstraint keep one card's value from being spent twice."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection

from modules.payments.models import Payment, TenderApplication
from modules.payments.public import TenderOffer, TenderRefused, create_checkout
from tests.fake_tenders import KIND, balance, issue

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 10
TOTAL = 4_490_000


def test_concurrent_checkouts_spending_one_card_only_one_gets_it(
    user: Any, fake_tenders: Any
) -> None:
    code = issue("RACE-0001", TOTAL)  # covers exactly one checkout
    barrier = threading.Barrier(THREADS)
    results: list[str] = []
    lock = threading.Lock()

    def checkout(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                dto = create_checkout(
                    purpose="demo.deposit",
                    ref=f"appt-{i}",
                    amount_cents=TOTAL,
                    customer=user,
                    tenders=[TenderOffer(kind=KIND, code=code)],
                )
                outcome = "settled" if dto.settled else "open"
            except TenderRefused as exc:
                outcome = exc.message
            with lock:
                results.append(outcome)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(checkout, range(THREADS)))

    assert sorted(results) == ["Este bono no tiene saldo."] * (THREADS - 1) + ["settled"]
    assert balance(code) == 0
    assert Payment.objects.count() == 1 and TenderApplication.objects.count() == 1
    assert Payment.objects.get().status == "APPROVED"
