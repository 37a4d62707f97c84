"""The double-spend race with real threads on PostgreSQL (skipped on SQLite): 20 checkouts
at once, each spending one card's full balance: exactly one gets it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection

from modules.payments import public as payments
from modules.payments.public import TenderOffer, TenderRefused
from modules.vouchers.models import GiftCard, TenderHold
from tests.modules.vouchers.conftest import active_card

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20
BALANCE = 10_000_000


@pytest.mark.parametrize("amount", [BALANCE, BALANCE + 5_000_000], ids=["covered", "split"])
def test_twenty_checkouts_spend_one_card_once(user: Any, amount: int) -> None:
    card, code = active_card(user, BALANCE)
    barrier = threading.Barrier(THREADS)
    results: list[tuple[str, int]] = []
    lock = threading.Lock()

    def checkout(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                dto = payments.create_checkout(
                    purpose="demo.deposit",
                    ref=f"race-{i}",
                    amount_cents=amount,
                    customer=user,
                    tenders=[TenderOffer(kind="gift_card", code=code)],
                )
                outcome = ("won", dto.tendered_cents)
            except TenderRefused as exc:
                outcome = (exc.code, exc.status_code)
            with lock:
                results.append(outcome)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(checkout, range(THREADS)))

    won = [r for r in results if r[0] == "won"]
    assert won == [("won", BALANCE)]
    refused = sorted(set(results) - set(won))
    # Settled at once: nothing left (422). Split: the card is held by an open checkout (409).
    expected = ("tender_refused", 422) if amount == BALANCE else ("tender_in_use", 409)
    assert refused == [expected] and len(results) == THREADS
    card = GiftCard.objects.get(pk=card.pk)
    assert card.balance_cents == 0
    assert TenderHold.objects.count() == 1
    assert sum(card.entries.values_list("amount_cents", flat=True)) == 0
