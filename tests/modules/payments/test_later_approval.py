"""Issue 14: events identified by meaning, "a later approval wins", and no approved
charge left silent (refunded automatically, or queued for staff when Wompi refuses)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.db import connection

from modules.payments import ledger, refunds, settlement, webhooks
from modules.payments.models import LedgerEntry, Payment, Refund, WebhookEvent
from platform_core.models import AuditEvent
from tests.modules.payments.conftest import post_event, tx_event

pytestmark = pytest.mark.django_db


def test_re_signed_copies_of_one_event_are_stored_once(
    api: Any, checkout: Payment, settled_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Wompi retries re-sign the event with a new timestamp (so a new checksum).
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = [
            post_event(api, tx_event(checkout, timestamp=1530291411 + i)).json()["outcome"]
            for i in range(22)
        ]
    assert outcomes == ["applied"] + ["duplicate"] * 21
    assert WebhookEvent.objects.count() == 1
    assert LedgerEntry.objects.filter(payment=checkout, kind="charge").count() == 1
    assert len(settled_spy.calls) == 1


def test_another_status_of_the_same_transaction_is_another_event(
    api: Any, checkout: Payment
) -> None:
    post_event(api, tx_event(checkout, "PENDING"))
    post_event(api, tx_event(checkout, "PENDING", timestamp=1530291999))
    post_event(api, tx_event(checkout, "APPROVED", timestamp=1530292000))
    assert sorted(WebhookEvent.objects.values_list("status", flat=True)) == [
        "APPROVED",
        "PENDING",
    ]


def test_the_event_key_ignores_signature_and_timestamp() -> None:
    tx = {"id": "1-2-3", "status": "approved", "amount_in_cents": 100, "currency": "COP"}
    key = webhooks.event_key("transaction.updated", tx, "AAA")
    assert key == webhooks.event_key("transaction.updated", {**tx, "status": "APPROVED"}, "bbb")
    assert key != webhooks.event_key("transaction.updated", {**tx, "status": "DECLINED"}, "AAA")
    assert key != webhooks.event_key("transaction.updated", {**tx, "id": "1-2-4"}, "AAA")
    # Without a transaction id only the signature can tell events apart.
    assert webhooks.event_key("transaction.updated", {}, "AAA") != webhooks.event_key(
        "transaction.updated", {}, "BBB"
    )


def test_migration_keeps_one_row_per_event(checkout: Payment) -> None:
    """0003 re-keys stored events by meaning and drops the re-signed copies."""
    migration = importlib.import_module("modules.payments.migrations.0004_identify_webhook_events")

    def stored(i: int, status: str = "APPROVED") -> WebhookEvent:
        body = tx_event(checkout, status, timestamp=1530291411 + i)
        return WebhookEvent.objects.create(
            event_key=f"old-checksum-key-{i}-{status}",
            event_type="transaction.updated",
            transaction_id=body["data"]["transaction"]["id"],
            reference=checkout.reference,
            status=status,
            payload=body,
            payment=checkout,
        )

    first = stored(0)
    for i in range(1, 22):
        stored(i)
    pending = stored(30, "PENDING")
    migration.identify_events(apps, connection.schema_editor())
    assert list(WebhookEvent.objects.order_by("id").values_list("pk", flat=True)) == [
        first.pk,
        pending.pk,
    ]
    first.refresh_from_db()
    tx = first.payload["data"]["transaction"]
    assert first.event_key == webhooks.event_key("transaction.updated", tx)


def _approved_elsewhere(payment: Payment, tx_id: str, status: str = "APPROVED") -> dict:
    return tx_event(payment, status, tx_id=tx_id, timestamp=1530300000)


def test_a_later_approval_on_a_declined_reference_settles_once(
    api: Any,
    checkout: Payment,
    settled_spy: Any,
    failed_spy: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(checkout, "DECLINED", tx_id="tx-declined"))
        # The client paid again on the same checkout link: a new Wompi transaction.
        first = post_event(api, _approved_elsewhere(checkout, "tx-approved"))
        again = post_event(api, tx_event(checkout, tx_id="tx-approved", timestamp=1530300999))
    assert first.json()["outcome"] == "applied"
    assert again.json()["outcome"] == "duplicate"
    checkout.refresh_from_db()
    assert checkout.status == "APPROVED" and not checkout.needs_review
    assert checkout.wompi_transaction_id == "tx-approved"
    assert [c["payment_reference"] for c in settled_spy.calls] == [checkout.reference]
    assert settled_spy.calls[0]["late"] is False
    assert len(failed_spy.calls) == 1
    # Receivers also get the typed outcome (frozen dataclasses of payments.public).
    from modules.payments.public import PaymentFailed, PaymentSettled

    assert settled_spy.outcomes[0] == PaymentSettled(
        purpose="demo.deposit",
        ref="appt-1",
        payment_reference=checkout.reference,
        amount_cents=checkout.amount_cents,
        user_id=checkout.user_id,
        late=False,
    )
    assert failed_spy.outcomes[0] == PaymentFailed(
        purpose="demo.deposit",
        ref="appt-1",
        payment_reference=checkout.reference,
        status="DECLINED",
    )
    assert LedgerEntry.objects.filter(payment=checkout, kind="charge").count() == 1
    audit = AuditEvent.objects.get(action="payments.approved_after_failure")
    assert audit.details["previous_transaction_id"] == "tx-declined"
    assert audit.details["previous_status"] == "DECLINED"
    # A poll of the same approved transaction changes nothing.
    tx = _approved_elsewhere(checkout, "tx-approved")["data"]["transaction"]
    with django_capture_on_commit_callbacks(execute=True):
        outcome, _ = _apply(tx)
    assert outcome == "noop" and len(settled_spy.calls) == 1


def test_error_then_approval_also_settles(
    api: Any, checkout: Payment, settled_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(checkout, "ERROR", tx_id="tx-error"))
        post_event(api, _approved_elsewhere(checkout, "tx-ok"))
    checkout.refresh_from_db()
    assert checkout.status == "APPROVED" and len(settled_spy.calls) == 1


def test_the_declined_transaction_itself_turning_approved_is_flagged_not_settled(
    api: Any, checkout: Payment, settled_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The same transaction cannot move from a final status: that is not a new payment."""
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(checkout, "DECLINED", tx_id="tx-1"))
        response = post_event(api, _approved_elsewhere(checkout, "tx-1"))
    assert response.json()["outcome"] == "flagged"
    checkout.refresh_from_db()
    assert checkout.status == "DECLINED" and checkout.review_reason == "approved_after_declined"
    assert settled_spy.calls == []


def _apply(tx: dict[str, Any]) -> tuple[str, Any]:
    from django.db import transaction

    with transaction.atomic():
        return settlement.apply_transaction(tx, source="poll")


@pytest.mark.django_db(transaction=True)
def test_a_second_approved_transaction_is_voided_after_commit(
    api: Any, checkout: Payment, settled_spy: Any, monkeypatch: Any
) -> None:
    voided: list[str] = []

    class Gateway:
        def void_transaction(self, tx_id: str) -> dict:
            # The provider is called with no transaction open (so no row lock held).
            assert not connection.in_atomic_block
            voided.append(tx_id)
            return {}

    monkeypatch.setattr(refunds, "get_gateway", Gateway)
    # A real commit (no test transaction around it): signals and the void run after it.
    post_event(api, tx_event(checkout, tx_id="tx-first"))
    second = post_event(api, _approved_elsewhere(checkout, "tx-second"))
    post_event(api, tx_event(checkout, tx_id="tx-second", timestamp=1530309999))
    assert second.json()["outcome"] == "refunded"
    assert voided == ["tx-second"]
    refund = Refund.objects.get()
    assert (refund.status, refund.transaction_id, refund.extra_transaction) == (
        "voided",
        "tx-second",
        True,
    )
    checkout.refresh_from_db()
    # The first payment stands; its money (and only it) is in the ledger.
    assert checkout.status == "APPROVED" and checkout.wompi_transaction_id == "tx-first"
    assert ledger.balance("merchant") == checkout.amount_cents
    assert len(settled_spy.calls) == 1


@pytest.mark.django_db(transaction=True)
def test_a_refused_void_is_queued_for_staff(api: Any, checkout: Payment, monkeypatch: Any) -> None:
    from modules.payments.wompi.gateway import WompiError

    class Gateway:
        def void_transaction(self, tx_id: str) -> dict:
            assert not connection.in_atomic_block
            raise WompiError("Solo se anulan pagos con tarjeta", status=422)

    monkeypatch.setattr(refunds, "get_gateway", Gateway)
    post_event(api, tx_event(checkout, tx_id="tx-first"))
    post_event(api, _approved_elsewhere(checkout, "tx-second"))
    refund = Refund.objects.get()
    assert refund.status == "pending_manual" and "Wompi" in refund.note
    assert AuditEvent.objects.filter(action="payments.refund_queued_for_staff").exists()
    # Staff refund it by hand: the ledger never saw that money, so it stays as it was.
    staff = refunds.complete_manual_refund(refund.pk, staff=None)
    assert staff.status == "completed"
    assert ledger.balance("merchant") == checkout.amount_cents


def test_a_refund_decided_but_never_sent_is_retried_by_the_beat(
    user: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from modules.payments.public import create_checkout, request_refund
    from tests.modules.payments.test_api_and_ops import _pay_in_sandbox

    dto = create_checkout(purpose="demo.order", ref="r-1", amount_cents=80_000, customer=user)
    with django_capture_on_commit_callbacks(execute=True):
        _pay_in_sandbox(dto.checkout_url, "4242424242424242")
    # The process dies between the commit and the call to Wompi.
    with django_capture_on_commit_callbacks(execute=False):
        request_refund(purpose="demo.order", ref="r-1", reason="Sin stock")
    assert Refund.objects.get().status == "requested"
    assert refunds.retry_requested_refunds() == 0  # too early: it may still be on its way
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=6)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert refunds.retry_requested_refunds() == 1
    assert Refund.objects.get().status == "voided"
    assert Payment.objects.get(reference=dto.reference).status == "VOIDED"
    assert ledger.balance("merchant") == 0


def test_sandbox_paying_again_after_a_decline_settles(
    user: Any, settled_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The reported case, end to end in the sandbox: a declined card, then a good one
    on the same checkout link (same reference, a second transaction)."""
    from modules.payments.public import create_checkout, payment_status
    from tests.modules.payments.test_api_and_ops import _pay_in_sandbox

    dto = create_checkout(purpose="demo.order", ref="o-9", amount_cents=50_000, customer=user)
    with django_capture_on_commit_callbacks(execute=True):
        _pay_in_sandbox(dto.checkout_url, "4111 1111 1111 1111")
    assert payment_status(purpose="demo.order", ref="o-9") == "DECLINED"
    with django_capture_on_commit_callbacks(execute=True):
        approved_tx = _pay_in_sandbox(dto.checkout_url, "4242 4242 4242 4242")
    payment = Payment.objects.get(reference=dto.reference)
    assert payment.status == "APPROVED" and payment.wompi_transaction_id == approved_tx
    assert not payment.needs_review
    assert [c["ref"] for c in settled_spy.calls] == ["o-9"]
