"""Races with real threads against PostgreSQL (skipped on SQLite): the hourly renewal run
started several times at once (beat overlap, a manual run) charges a period once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import time_machine
from django.db import connection

from modules.membership import services as vip
from modules.membership.models import VipCharge, VipChargeAttempt
from modules.payments.sandbox.inprocess import get_sandbox
from tests.modules.membership.with_payments.test_vip import START, _subscribe

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RUNS = 8


@pytest.fixture
def plan(transactional_db: Any) -> Any:
    return vip.ensure_default_plan()


def test_concurrent_renewal_runs_charge_the_period_once(user: Any, plan: Any) -> None:
    with time_machine.travel(START, tick=False):
        sub = _subscribe(user)
    sub.refresh_from_db()
    assert sub.status == "active"
    due = sub.current_period_end
    barrier = threading.Barrier(RUNS)
    lock = threading.Lock()
    counts: list[dict[str, int]] = []

    def run(_: int) -> None:
        try:
            barrier.wait(timeout=30)
            result = vip.run_renewals()
            with lock:
                counts.append(result)
        finally:
            connection.close()

    with time_machine.travel(due, tick=False), ThreadPoolExecutor(max_workers=RUNS) as pool:
        list(pool.map(run, range(RUNS)))

    assert len(counts) == RUNS
    assert sum(c["charged"] for c in counts) == 1
    charge = VipCharge.objects.get(subscription=sub, period_start=due)
    assert charge.attempts == 1 and charge.paid
    assert VipChargeAttempt.objects.filter(charge=charge).count() == 1
    source_charges = [
        t for t in get_sandbox().state.transactions.values() if t["payment_source_id"]
    ]
    assert len(source_charges) == 2  # the first month and this period, never a third
    sub.refresh_from_db()
    assert sub.status == "active" and sub.current_period_start == due
