"""Issue 14, VIP: a declined charge followed by an approval of the same reference pays
the period once; an approval the membership cannot use is refunded. Signed webhook."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from modules.membership import services as vip
from modules.membership.models import VipCharge, VipChargeAttempt, VipPlan
from modules.payments import outbox
from modules.payments.models import LedgerEntry, Payment, Refund
from modules.payments.sandbox.inprocess import get_sandbox
from tests.modules.membership.with_payments.test_vip import START, _run, _subscribe, attempt_of
from tests.modules.payments.conftest import deliver_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(db: Any) -> VipPlan:
    return vip.ensure_default_plan()


def _only_attempt(sub: Any) -> Payment:
    link = VipChargeAttempt.objects.get(charge__subscription=sub)
    return Payment.objects.get(reference=link.payment_reference)


def _event(api: Any, payment: Payment, status: str, tx_id: str, capture: Any) -> str:
    return deliver_status(api, payment.reference, status, tx_id, capture)


def _declined_renewal(user: Any, capture: Any) -> tuple[Any, Payment]:
    with time_machine.travel(START, tick=False):
        sub = _run(capture, lambda: _subscribe(user))
    sub.refresh_from_db()
    for source in get_sandbox().state.sources.values():
        source["outcome"] = "DECLINED"
    with time_machine.travel(sub.current_period_end, tick=False):
        _run(capture, vip.run_renewals)
    sub.refresh_from_db()
    assert sub.status == "past_due" and sub.failed_attempts == 1
    return sub, attempt_of(sub.current_period_end)


def test_declined_renewal_then_approved_reactivates_once(
    api: Any, user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    sub, renewal = _declined_renewal(user, capture)
    due = sub.current_period_end
    assert renewal.status == "DECLINED"
    assert _event(api, renewal, "APPROVED", "tx-paid-later", capture) == "applied"
    assert _event(api, renewal, "APPROVED", "tx-paid-later", capture) == "duplicate"
    sub.refresh_from_db()
    user.refresh_from_db()
    assert sub.status == "active" and sub.failed_attempts == 0 and sub.next_retry_at is None
    assert sub.current_period_start == due and user.vip_until == sub.current_period_end
    assert VipCharge.objects.get(period_start=due).paid
    assert LedgerEntry.objects.filter(payment=renewal, kind="charge").count() == 1
    assert not Refund.objects.exists()
    # The dunning retry finds the period paid: nothing is charged again.
    with time_machine.travel(due + timedelta(days=1), tick=False):
        assert _run(capture, vip.run_renewals)["charged"] == 0


def test_an_old_attempt_approved_after_the_period_was_paid_is_refunded(
    api: Any, user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    sub, declined = _declined_renewal(user, capture)
    for source in get_sandbox().state.sources.values():
        source["outcome"] = "APPROVED"
    with time_machine.travel(sub.next_retry_at, tick=False):
        assert _run(capture, vip.run_renewals)["charged"] == 1
    sub.refresh_from_db()
    assert sub.status == "active"
    assert _event(api, declined, "APPROVED", "tx-late", capture) == "applied"
    refund = Refund.objects.get()
    assert refund.payment == declined and refund.reason == "Periodo VIP ya pagado"
    sub.refresh_from_db()
    assert sub.status == "active"


def test_first_charge_declined_then_approved_activates(
    api: Any, user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    sub = _run(capture, lambda: _subscribe(user, "4111111111111111"))
    sub.refresh_from_db()
    assert sub.status == "failed"
    first = _only_attempt(sub)
    assert _event(api, first, "APPROVED", "tx-second-try", capture) == "applied"
    sub.refresh_from_db()
    user.refresh_from_db()
    assert sub.status == "active" and user.vip_until == sub.current_period_end
    assert not Refund.objects.exists()


def test_first_charge_approved_after_a_new_membership_is_refunded(
    api: Any, user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    old = _run(capture, lambda: _subscribe(user, "4111111111111111"))
    first = _only_attempt(old)
    new = _run(capture, lambda: _subscribe(user))
    new.refresh_from_db()
    assert new.status == "active"
    assert _event(api, first, "APPROVED", "tx-late", capture) == "applied"
    old.refresh_from_db()
    assert old.status == "failed"
    assert Refund.objects.get().payment == first


def test_lapsed_membership_refunds_a_late_approval(
    api: Any, user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    sub, declined = _declined_renewal(user, capture)
    sub.status = "lapsed"
    sub.save(update_fields=["status"])
    assert _event(api, declined, "APPROVED", "tx-late", capture) == "applied"
    assert Refund.objects.get().reason == "Membresía VIP terminada"


def test_one_month_checkout_declined_then_approved_extends_vip(
    api: Any, user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    dto = vip.one_month_checkout(user=user)
    payment = Payment.objects.get(reference=dto.reference)
    _event(api, payment, "DECLINED", "tx-1", capture)
    user.refresh_from_db()
    assert user.vip_until is None
    assert _event(api, payment, "APPROVED", "tx-2", capture) == "applied"
    user.refresh_from_db()
    assert user.vip_until is not None


def test_vip_is_a_purpose_handler_declared_in_its_plugin_not_called_by_settlement(
    api: Any, user: Any, plan: VipPlan, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Settlement commits whatever VIP does: a failing VIP handler leaves the payment
    approved (and charged once); its retry activates the membership."""
    from modules.membership.handlers import handle_outcome
    from platform_core.plugins import get_plugins, payment_handlers

    plugins = {p.name: p for p in get_plugins()}
    assert plugins["membership"].payment_handlers == {
        "payments.vip": "modules.membership.handlers:handle_outcome"
    }
    assert not plugins["payments"].payment_handlers  # money knows no purpose
    assert payment_handlers()["payments.vip"] is handle_outcome
    calls: list[Any] = []
    real = vip.on_charge_approved

    def flaky(**kwargs: Any) -> None:
        calls.append(kwargs["payment_reference"])
        if len(calls) == 1:
            raise RuntimeError("membership database hiccup")
        real(**kwargs)

    monkeypatch.setattr(vip, "on_charge_approved", flaky)
    with time_machine.travel(START, tick=False):
        sub = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
    sub.refresh_from_db()
    payment = Payment.objects.get(purpose="payments.vip")
    assert payment.status == "APPROVED" and len(calls) == 1
    assert LedgerEntry.objects.filter(payment=payment, kind="charge").count() == 1
    assert sub.status == "pending"  # nothing of the failed attempt stayed
    outcome = payment.outcomes.get()
    assert outcome.attempts == 1 and outcome.delivered_at is None
    assert "membership database hiccup" in outcome.last_error
    with time_machine.travel(START + timedelta(minutes=2), tick=False):
        assert _run(django_capture_on_commit_callbacks, outbox.relay_due)["delivered"] == 1
    sub.refresh_from_db()
    assert len(calls) == 2 and sub.status == "active"
