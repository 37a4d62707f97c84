"""Outcomes are delivered at least once (payments' outbox, an operator's replay): a second
delivery of the same outcome changes nothing in membership."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from modules.membership import services as vip
from modules.membership.handlers import handle_outcome
from modules.membership.models import VipChargeAttempt, VipMonthPurchase, VipPlan
from modules.membership.public import PURPOSE_VIP
from modules.payments.models import Payment, Refund
from modules.payments.public import PaymentFailed, PaymentSettled
from platform_core.notifications import sent_messages
from tests.modules.membership.with_payments.test_vip import START, _run, _subscribe, attempt_of
from tests.modules.membership.with_payments.test_vip_later_approval import _declined_renewal
from tests.modules.payments.conftest import deliver_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(db: Any) -> VipPlan:
    return vip.ensure_default_plan()


def _settled(payment: Payment) -> PaymentSettled:
    return PaymentSettled(
        purpose=payment.purpose,
        ref=payment.purpose_ref,
        payment_reference=payment.reference,
        amount_cents=payment.amount_cents,
        user_id=payment.user_id,
    )


def test_a_redelivered_approval_neither_refunds_nor_notifies_again(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(START, tick=False):
        sub = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
    sub.refresh_from_db()
    payment = attempt_of(sub.current_period_start)
    assert VipChargeAttempt.objects.get(payment_reference=payment.reference).outcome == "paid"
    before = (sub.status, sub.current_period_end, len(sent_messages()))
    with time_machine.travel(START, tick=False):
        _run(django_capture_on_commit_callbacks, lambda: handle_outcome(_settled(payment)))
    sub.refresh_from_db()
    assert (sub.status, sub.current_period_end, len(sent_messages())) == before
    assert not Refund.objects.exists()  # the attempt that paid the period is not "a second"


def test_a_redelivered_failure_takes_one_dunning_step_only(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    sub, declined = _declined_renewal(user, django_capture_on_commit_callbacks)
    failure = PaymentFailed(
        purpose=PURPOSE_VIP,
        ref=declined.purpose_ref,
        payment_reference=declined.reference,
        status="DECLINED",
    )
    _run(django_capture_on_commit_callbacks, lambda: handle_outcome(failure))
    sub.refresh_from_db()
    assert sub.status == "past_due" and sub.failed_attempts == 1


def test_a_redelivered_one_month_purchase_extends_once(
    api: Any, user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    dto = vip.one_month_checkout(user=user)
    assert deliver_status(api, dto.reference, "APPROVED", "tx-month", capture) == "applied"
    user.refresh_from_db()
    until = user.vip_until
    assert until is not None
    assert VipMonthPurchase.objects.get(payment_reference=dto.reference).until == until
    payment = Payment.objects.get(reference=dto.reference)
    _run(capture, lambda: handle_outcome(_settled(payment)))
    user.refresh_from_db()
    assert user.vip_until == until
