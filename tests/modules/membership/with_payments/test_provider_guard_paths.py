"""Issue 16 (3), membership's path: the first VIP charge and the renewal reach Wompi (the
guarded in-process sandbox) only after the subscription's row lock is released."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from modules.membership import services as vip
from tests.modules.membership.with_payments.test_vip import START, _subscribe

pytestmark = pytest.mark.django_db


def _wompi(calls: list[tuple[str, str, int]]) -> list[tuple[str, int]]:
    return [(operation, depth) for provider, operation, depth in calls if provider == "Wompi"]


def test_vip_subscription_and_renewal_charge_outside_the_lock(
    user: Any, provider_calls: list, django_capture_on_commit_callbacks: Any
) -> None:
    vip.ensure_default_plan()
    with time_machine.travel(START, tick=False), django_capture_on_commit_callbacks(execute=True):
        sub = _subscribe(user)
    sub.refresh_from_db()
    assert sub.status == "active"
    with (
        time_machine.travel(sub.current_period_end, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert vip.run_renewals()["charged"] == 1
    charges = [op for op, _depth in _wompi(provider_calls) if op == "POST /v1/transactions"]
    assert len(charges) == 2  # the first month and the renewal
    assert all(depth == 0 for _op, depth in _wompi(provider_calls))
    sub.refresh_from_db()
    assert sub.status == "active"
