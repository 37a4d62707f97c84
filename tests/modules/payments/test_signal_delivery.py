"""Durable delivery of payment_settled / payment_failed: a failed receiver is flagged
on the payment, retried by a Celery task with backoff, and re-sent by a replay."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from modules.payments import delivery, tasks
from modules.payments.models import Payment, WebhookEvent
from modules.payments.public import payment_failed, payment_settled
from platform_core.models import AuditEvent
from tests.modules.payments.conftest import post_event, tx_event

pytestmark = pytest.mark.django_db


class FlakyReceiver:
    """Fails its first ``failures`` calls, then records what it receives. ``handler`` is
    the function to connect (Django's send_robust logs receivers by __qualname__)."""

    def __init__(self, failures: int = 1) -> None:
        self.failures = failures
        self.calls: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []

        def on_payment(sender: Any, **kwargs: Any) -> None:
            kwargs.pop("signal", None)
            self.calls.append(kwargs)
            if len(self.calls) <= self.failures:
                raise RuntimeError("booking database hiccup")
            self.received.append(kwargs)

        self.handler = on_payment


LABEL = f"{__name__}.FlakyReceiver.__init__.<locals>.on_payment"


@pytest.fixture
def connect() -> Any:
    connected: list[tuple[Any, Any]] = []

    def _connect(signal: Any, receiver: FlakyReceiver) -> FlakyReceiver:
        signal.connect(receiver.handler, weak=False)
        connected.append((signal, receiver.handler))
        return receiver

    yield _connect
    for signal, receiver in connected:
        signal.disconnect(receiver)


@pytest.fixture
def enqueued(monkeypatch: Any) -> list[dict[str, Any]]:
    """Capture the retries instead of running them (a worker would, after countdown)."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(
        tasks.redeliver_signal, "apply_async", lambda **kw: calls.append(kw), raising=False
    )
    return calls


def _settle(api: Any, payment: Payment, capture: Any, **event: Any) -> None:
    with capture(execute=True):
        post_event(api, tx_event(payment, "APPROVED", **event))


def test_failed_receiver_flags_the_payment_and_a_task_resends(
    api: Any,
    checkout: Payment,
    connect: Any,
    enqueued: list[dict[str, Any]],
    settled_spy: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    flaky = connect(payment_settled, FlakyReceiver(failures=1))
    _settle(api, checkout, django_capture_on_commit_callbacks)
    checkout.refresh_from_db()
    assert checkout.status == "APPROVED"
    assert checkout.needs_review
    assert checkout.review_reason == f"signal_delivery_failed:payment_settled:{LABEL}"
    assert len(settled_spy.calls) == 1  # the other receivers were not held back
    failure = AuditEvent.objects.get(action="payments.signal_receiver_failed")
    assert failure.details == {"signal": "payment_settled", "receivers": [LABEL], "delivery": 1}
    [retry] = enqueued
    assert retry["queue"] == "payments" and retry["countdown"] == delivery.RETRY_DELAYS[0]
    name, kwargs, attempt = retry["args"]
    assert (name, attempt) == ("payment_settled", 2)
    assert kwargs["payment_reference"] == checkout.reference and kwargs["late"] is False

    # The worker runs the retry: the receiver gets it this time, the flag goes away.
    assert tasks.redeliver_signal.apply(args=retry["args"]).get() == []
    assert [c["payment_reference"] for c in flaky.received] == [checkout.reference]
    checkout.refresh_from_db()
    assert not checkout.needs_review and checkout.review_reason == ""
    assert AuditEvent.objects.filter(action="payments.signal_redelivered").count() == 1
    assert len(enqueued) == 1  # nothing more to retry


def test_receiver_failing_once_recovers_without_a_broker(
    api: Any, checkout: Payment, connect: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Eager Celery (tests, demo): the retry runs at once."""
    flaky = connect(payment_failed, FlakyReceiver(failures=1))
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(checkout, "DECLINED"))
    assert len(flaky.calls) == 2 and flaky.received[0]["status"] == "DECLINED"
    checkout.refresh_from_db()
    assert checkout.status == "DECLINED" and not checkout.needs_review


def test_retries_are_bounded_and_leave_the_flag(
    api: Any, checkout: Payment, connect: Any, django_capture_on_commit_callbacks: Any
) -> None:
    flaky = connect(payment_settled, FlakyReceiver(failures=99))
    _settle(api, checkout, django_capture_on_commit_callbacks)
    assert len(flaky.calls) == delivery.MAX_DELIVERIES
    checkout.refresh_from_db()
    assert checkout.needs_review and LABEL in checkout.review_reason
    assert AuditEvent.objects.filter(action="payments.signal_retries_exhausted").count() == 1


def test_replay_resends_the_signal_of_a_final_payment(
    api: Any,
    checkout: Payment,
    connect: Any,
    enqueued: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    flaky = connect(payment_settled, FlakyReceiver(failures=1))
    _settle(api, checkout, django_capture_on_commit_callbacks)
    assert flaky.received == [] and len(enqueued) == 1  # the retry was lost (say)
    event = WebhookEvent.objects.get()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("replay_wompi_event", str(event.public_id), stdout=out)
    assert "noop (payment_settled re-sent)" in out.getvalue()
    assert [c["payment_reference"] for c in flaky.received] == [checkout.reference]
    checkout.refresh_from_db()
    assert checkout.status == "APPROVED" and not checkout.needs_review
    assert checkout.ledger_entries.count() == 1  # re-sending never settles twice


def test_replay_by_payment_reference_resends_without_a_stored_event(
    checkout: Payment, connect: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Settled by polling (no webhook event stored): the operator has the reference."""
    from modules.payments.services import reconcile_pending

    checkout.expires_at = timezone.now()
    checkout.save()
    with (
        time_machine.travel(timezone.now() + timedelta(hours=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        reconcile_pending()
    checkout.refresh_from_db()
    assert checkout.status == "EXPIRED" and not WebhookEvent.objects.exists()
    flaky = connect(payment_failed, FlakyReceiver(failures=0))
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("replay_wompi_event", checkout.reference, stdout=out)
    assert "payment_failed re-sent" in out.getvalue()
    assert flaky.received[0]["status"] == "EXPIRED"
    assert AuditEvent.objects.filter(action="payments.signal_resent").count() == 1


def test_late_settlement_keeps_its_review_reason_and_late_flag(
    api: Any,
    checkout: Payment,
    connect: Any,
    enqueued: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    Payment.objects.filter(pk=checkout.pk).update(status="EXPIRED")
    flaky = connect(payment_settled, FlakyReceiver(failures=1))
    _settle(api, checkout, django_capture_on_commit_callbacks)
    checkout.refresh_from_db()
    assert checkout.review_reason == (
        f"approved_after_expiry; signal_delivery_failed:payment_settled:{LABEL}"
    )
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("replay_wompi_event", checkout.reference, stdout=out)
    assert flaky.received[0]["late"] is True
    checkout.refresh_from_db()
    assert checkout.needs_review and checkout.review_reason == "approved_after_expiry"


def test_a_stale_retry_is_not_sent(checkout: Payment, connect: Any) -> None:
    flaky = connect(payment_failed, FlakyReceiver(failures=0))
    Payment.objects.filter(pk=checkout.pk).update(status="APPROVED")
    kwargs = delivery.failed_kwargs(checkout) | {"status": "DECLINED"}
    assert delivery.redeliver("payment_failed", kwargs, 2) == []
    assert flaky.calls == []


def test_replay_refuses_a_payment_that_is_not_final(checkout: Payment) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("replay_wompi_event", checkout.reference)
