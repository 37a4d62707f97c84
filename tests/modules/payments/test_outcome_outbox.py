"""The outcome outbox: outcomes are rows written in the settling transaction, handed to the
purpose's handler after commit in the transaction that marks them delivered, retried by
the relay with backoff (attempts, next try, last error and "late" are columns), and
re-sent by a replay."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from modules.payments import outbox, tasks
from modules.payments.models import Outcome, Payment, WebhookEvent
from modules.payments.public import PaymentFailed, PaymentSettled
from platform_core.models import AuditEvent
from tests.factories import UserFactory
from tests.modules.payments.conftest import post_event, tx_event

pytestmark = pytest.mark.django_db


class FlakyHandler:
    """Fails its first ``failures`` calls (after writing something, which must vanish),
    then records what it receives."""

    def __init__(self, failures: int = 1) -> None:
        self.failures = failures
        self.calls: list[Any] = []
        self.received: list[Any] = []

    def __call__(self, outcome: Any) -> None:
        self.calls.append(outcome)
        AuditEvent.objects.create(action="test.handler_wrote", target=outcome.payment_reference)
        if len(self.calls) <= self.failures:
            raise RuntimeError("booking database hiccup")
        self.received.append(outcome)


@pytest.fixture
def flaky(outcome_listeners: list[Any]) -> Any:
    def add(failures: int = 1) -> FlakyHandler:
        handler = FlakyHandler(failures)
        outcome_listeners.append(handler)
        return handler

    return add


def _settle(api: Any, payment: Payment, capture: Any, **event: Any) -> None:
    with capture(execute=True):
        post_event(api, tx_event(payment, "APPROVED", **event))


def _relay_at(when: Any, capture: Any) -> dict[str, int]:
    with time_machine.travel(when, tick=False), capture(execute=True):
        return tasks.relay_outcomes.apply().get()


def test_settlement_writes_the_outcome_in_its_transaction_and_delivers_after_commit(
    api: Any, checkout: Payment, settled_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post_event(api, tx_event(checkout, "APPROVED"))
    row = Outcome.objects.get(payment=checkout)
    assert (row.kind, row.purpose, row.purpose_ref, row.late) == (
        "settled",
        "demo.deposit",
        "appt-1",
        False,
    )
    assert row.delivered_at is None and row.attempts == 0 and settled_spy.calls == []
    for callback in callbacks:
        callback()
    row.refresh_from_db()
    assert row.delivered_at is not None and row.attempts == 1 and row.next_try_at is None
    assert settled_spy.outcomes == [
        PaymentSettled(
            purpose="demo.deposit",
            ref="appt-1",
            payment_reference=checkout.reference,
            amount_cents=checkout.amount_cents,
            user_id=checkout.user_id,
            late=False,
        )
    ]


def test_a_rolled_back_settlement_leaves_no_outcome(checkout: Payment) -> None:
    from modules.payments.settlement import apply_transaction

    tx = tx_event(checkout)["data"]["transaction"]
    with pytest.raises(RuntimeError), transaction.atomic():
        apply_transaction(tx, source="poll")
        raise RuntimeError("crash before commit")
    assert not Outcome.objects.exists()
    checkout.refresh_from_db()
    assert checkout.status == "PENDING"


def test_failed_handler_leaves_nothing_and_the_relay_retries_with_backoff(
    api: Any,
    checkout: Payment,
    flaky: Any,
    settled_spy: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    handler = flaky(failures=1)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _settle(api, checkout, django_capture_on_commit_callbacks)
    checkout.refresh_from_db()
    assert checkout.status == "APPROVED"
    assert not checkout.needs_review and checkout.review_reason == ""  # no text state
    row = Outcome.objects.get(payment=checkout)
    assert row.delivered_at is None and row.attempts == 1
    assert row.next_try_at == start + timedelta(seconds=outbox.RETRY_DELAYS[0])
    assert "booking database hiccup" in row.last_error
    # The handler's writes were rolled back with its failure (no partial effect).
    assert not AuditEvent.objects.filter(action="test.handler_wrote").exists()
    failure = AuditEvent.objects.get(action="payments.outcome_handler_failed")
    assert failure.details["outcome"] == "settled" and failure.details["attempt"] == 1
    # Not due yet: the relay leaves it.
    assert _relay_at(start + timedelta(seconds=30), django_capture_on_commit_callbacks) == {
        "delivered": 0,
        "pending": 0,
    }
    # Due: delivered once, with its effects.
    due = start + timedelta(seconds=61)
    assert _relay_at(due, django_capture_on_commit_callbacks)["delivered"] == 1
    row.refresh_from_db()
    assert row.delivered_at is not None and row.attempts == 2 and row.next_try_at is None
    assert [o.payment_reference for o in handler.received] == [checkout.reference]
    assert AuditEvent.objects.filter(action="test.handler_wrote").count() == 1
    assert _relay_at(due + timedelta(hours=3), django_capture_on_commit_callbacks) == {
        "delivered": 0,
        "pending": 0,
    }


def test_retries_are_bounded_and_leave_the_row_for_staff(
    api: Any, checkout: Payment, flaky: Any, django_capture_on_commit_callbacks: Any
) -> None:
    handler = flaky(failures=99)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _settle(api, checkout, django_capture_on_commit_callbacks)
    when = start
    for delay in outbox.RETRY_DELAYS:
        when += timedelta(seconds=delay + 1)
        _relay_at(when, django_capture_on_commit_callbacks)
    assert len(handler.calls) == outbox.MAX_ATTEMPTS
    row = Outcome.objects.get(payment=checkout)
    assert row.attempts == outbox.MAX_ATTEMPTS and row.next_try_at is None
    assert row.delivered_at is None and "hiccup" in row.last_error
    assert AuditEvent.objects.filter(action="payments.outcome_retries_exhausted").count() == 1
    _relay_at(when + timedelta(days=1), django_capture_on_commit_callbacks)
    assert len(handler.calls) == outbox.MAX_ATTEMPTS


def test_an_after_commit_delivery_that_never_ran_is_taken_by_the_relay(
    api: Any, checkout: Payment, settled_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        post_event(api, tx_event(checkout))  # on-commit work not executed: the process died
    assert _relay_at(start + timedelta(seconds=10), django_capture_on_commit_callbacks) == {
        "delivered": 0,
        "pending": 0,
    }
    later = start + outbox.RELAY_GRACE + timedelta(seconds=1)
    assert _relay_at(later, django_capture_on_commit_callbacks)["delivered"] == 1
    assert len(settled_spy.calls) == 1


def test_a_delivered_outcome_is_not_handled_again(
    api: Any, checkout: Payment, settled_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _settle(api, checkout, django_capture_on_commit_callbacks)
    row = Outcome.objects.get(payment=checkout)
    assert outbox.deliver(row.pk) is False
    assert len(settled_spy.calls) == 1


def test_outcomes_of_one_payment_arrive_in_order(
    api: Any,
    checkout: Payment,
    flaky: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A failure whose handler failed holds back the later approval of the same reference
    until it is delivered (the purpose never learns them in the wrong order)."""
    handler = flaky(failures=1)
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(checkout, "DECLINED", tx_id="tx-declined"))
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(checkout, "APPROVED", tx_id="tx-approved", timestamp=1530300000))
    failed, settled = Outcome.objects.filter(payment=checkout).order_by("pk")
    assert (failed.kind, settled.kind) == ("failed", "settled")
    assert failed.delivered_at is None and settled.delivered_at is None
    assert settled.attempts == 0  # it waited, it did not fail
    _relay_at(start + timedelta(seconds=61), django_capture_on_commit_callbacks)
    assert [type(o) for o in handler.received] == [PaymentFailed, PaymentSettled]
    assert Outcome.objects.filter(payment=checkout, delivered_at__isnull=True).count() == 0


def test_replay_resends_the_outcome_of_a_final_payment(
    api: Any, checkout: Payment, flaky: Any, django_capture_on_commit_callbacks: Any
) -> None:
    handler = flaky(failures=1)
    _settle(api, checkout, django_capture_on_commit_callbacks)
    assert handler.received == []
    event = WebhookEvent.objects.get()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("replay_wompi_event", str(event.public_id), stdout=out)
    assert "noop (settled outcome re-sent)" in out.getvalue()
    assert [o.payment_reference for o in handler.received] == [checkout.reference]
    checkout.refresh_from_db()
    assert checkout.status == "APPROVED" and not checkout.needs_review
    assert checkout.ledger_entries.count() == 1  # re-sending never settles twice
    assert Outcome.objects.get(payment=checkout).delivered_at is not None


def test_replay_by_payment_reference_resends_without_a_stored_event(
    checkout: Payment, failed_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Settled by polling (no webhook event stored): the operator has the reference."""
    from modules.payments.reconciliation import reconcile_pending

    checkout.expires_at = timezone.now()
    checkout.save()
    with (
        time_machine.travel(timezone.now() + timedelta(hours=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        reconcile_pending()
    checkout.refresh_from_db()
    assert checkout.status == "EXPIRED" and not WebhookEvent.objects.exists()
    assert [c["status"] for c in failed_spy.calls] == ["EXPIRED"]
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("replay_wompi_event", checkout.reference, stdout=out)
    assert "failed outcome re-sent" in out.getvalue()
    assert [c["status"] for c in failed_spy.calls] == ["EXPIRED", "EXPIRED"]
    assert AuditEvent.objects.filter(action="payments.outcome_resent").count() == 1


def test_late_is_a_column_kept_through_a_replay(
    api: Any, checkout: Payment, settled_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    Payment.objects.filter(pk=checkout.pk).update(status="EXPIRED")
    _settle(api, checkout, django_capture_on_commit_callbacks)
    checkout.refresh_from_db()
    assert checkout.review_reason == "approved_after_expiry"
    assert Outcome.objects.get(payment=checkout).late is True
    AuditEvent.objects.all().delete()  # "late" is not rebuilt from the audit trail
    with django_capture_on_commit_callbacks(execute=True):
        call_command("replay_wompi_event", checkout.reference, stdout=StringIO())
    assert [c["late"] for c in settled_spy.calls] == [True, True]


def test_a_replay_of_a_payment_settled_before_the_outbox_writes_its_row(
    checkout: Payment, settled_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    Payment.objects.filter(pk=checkout.pk).update(status="APPROVED")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("replay_wompi_event", checkout.reference, stdout=StringIO())
    assert Outcome.objects.get(payment=checkout).delivered_at is not None
    assert len(settled_spy.calls) == 1


def test_a_voided_payment_that_was_never_paid_resends_its_failure(
    checkout: Payment, failed_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    Payment.objects.filter(pk=checkout.pk).update(status="VOIDED")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("replay_wompi_event", checkout.reference, stdout=StringIO())
    assert [c["status"] for c in failed_spy.calls] == ["VOIDED"]


def test_refunds_are_outcomes_too(
    api: Any,
    checkout: Payment,
    refunded_spy: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from modules.payments.models import Refund
    from modules.payments.public import PaymentRefunded, request_refund
    from modules.payments.refunds import complete_manual_refund

    _settle(api, checkout, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        request_refund(
            purpose="demo.deposit", ref="appt-1", reason="Cita cancelada", amount_cents=10_000
        )
    refund = Refund.objects.get()
    assert refund.status == "pending_manual" and refunded_spy.calls == []
    with django_capture_on_commit_callbacks(execute=True):
        complete_manual_refund(refund.pk, staff=UserFactory(is_staff=True))
    assert refunded_spy.outcomes == [
        PaymentRefunded(
            purpose="demo.deposit",
            ref="appt-1",
            payment_reference=checkout.reference,
            amount_cents=10_000,
        )
    ]
    assert Outcome.objects.filter(payment=checkout, kind="refunded").count() == 1


def test_replay_refuses_a_payment_that_is_not_final(checkout: Payment) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("replay_wompi_event", checkout.reference)


def test_staff_see_undelivered_outcomes_and_deliver_them_now(
    api: Any, checkout: Payment, flaky: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.test import Client

    handler = flaky(failures=1)
    _settle(api, checkout, django_capture_on_commit_callbacks)
    owner = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(owner)
    page = client.get("/admin/payments/outcome/?entregado=no")
    assert page.status_code == 200 and checkout.reference in page.content.decode()
    row = Outcome.objects.get(payment=checkout)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/payments/outcome/",
            {"action": "deliver_now", "_selected_action": [row.pk]},
        )
    row.refresh_from_db()
    assert row.delivered_at is not None and len(handler.received) == 1
    for choice in ("agotado", "si"):
        assert client.get(f"/admin/payments/outcome/?entregado={choice}").status_code == 200


def test_the_migration_moves_retry_state_out_of_review_reason(user: Any) -> None:
    """0007: final payments get their outcome rows; a delivery that had failed (packed in
    review_reason) becomes an undelivered row due now; "late" comes from the audit trail
    once; unrelated review reasons stay."""
    import importlib

    from django.apps import apps

    from modules.payments.models import LedgerEntry, Refund

    backfill = importlib.import_module("modules.payments.migrations.0007_backfill_outcomes")

    def payment(reference: str, status: str, reason: str = "") -> Payment:
        return Payment.objects.create(
            reference=reference,
            purpose="booking.appointment",
            purpose_ref=f"ref-{reference}",
            amount_cents=50_000,
            status=status,
            needs_review=bool(reason),
            review_reason=reason,
            finalized_at=timezone.now(),
        )

    stuck = payment(
        "P-STUCK",
        "APPROVED",
        "approved_after_expiry; signal_delivery_failed:payment_settled:modules.x.on_settled",
    )
    AuditEvent.objects.create(
        action="payments.payment_flagged",
        target="payment:P-STUCK",
        details={"reason": "approved_after_expiry"},
    )
    declined = payment("P-DECLINED", "DECLINED", "signal_delivery_failed:payment_failed:m.f")
    refunded = payment("P-VOIDED", "VOIDED")
    LedgerEntry.objects.create(
        kind="charge", account="merchant", amount_cents=50_000, payment=refunded
    )
    Refund.objects.create(payment=refunded, amount_cents=50_000, reason="x", status="voided")
    never_paid = payment("P-VOID-UNPAID", "VOIDED")
    pending = payment("P-PENDING", "PENDING")
    Payment.objects.create(
        reference="P-DESK",
        purpose="booking.appointment",
        purpose_ref="d",
        amount_cents=1,
        status="APPROVED",
        kind="desk",
    )

    backfill.forwards(apps, None)

    row = Outcome.objects.get(payment=stuck)
    assert (row.kind, row.late, row.delivered_at) == ("settled", True, None)
    assert row.next_try_at is not None and "modules.x.on_settled" in row.last_error
    stuck.refresh_from_db()
    assert stuck.review_reason == "approved_after_expiry" and stuck.needs_review
    failed = Outcome.objects.get(payment=declined)
    assert (failed.kind, failed.status, failed.delivered_at) == ("failed", "DECLINED", None)
    declined.refresh_from_db()
    assert declined.review_reason == "" and not declined.needs_review
    kinds = sorted(Outcome.objects.filter(payment=refunded).values_list("kind", flat=True))
    assert kinds == ["refunded", "settled"]
    assert Outcome.objects.get(payment=never_paid).kind == "failed"
    assert not Outcome.objects.filter(payment=pending).exists()
    assert not Outcome.objects.filter(payment__kind="desk").exists()
    assert Outcome.objects.filter(delivered_at__isnull=False).count() == 3


def test_a_plugin_may_only_handle_the_purposes_it_owns(monkeypatch: Any) -> None:
    from platform_core import plugins

    thief = plugins.ModulePlugin(
        name="thief",
        app="x",
        label="thief",
        payment_handlers={"booking.appointment": "modules.shop.payment_handlers:handle"},
    )
    monkeypatch.setattr(plugins, "get_plugins", lambda: [thief])
    with pytest.raises(ValueError, match="does not own"):
        plugins.payment_handlers()
