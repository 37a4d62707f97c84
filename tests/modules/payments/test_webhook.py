from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import timezone

from modules.payments.models import LedgerEntry, Payment, WebhookEvent
from platform_core.models import AuditEvent
from tests.modules.payments.conftest import post_event, tx_event

pytestmark = pytest.mark.django_db


def _snapshot(payment: Payment) -> tuple[Any, ...]:
    payment.refresh_from_db()
    return (
        payment.status,
        payment.needs_review,
        LedgerEntry.objects.count(),
        WebhookEvent.objects.count(),
    )


def test_create_checkout_returns_a_signed_web_checkout(checkout: Payment, user: Any) -> None:
    from modules.payments.public import create_checkout, payment_status

    dto = create_checkout(purpose="demo.order", ref="order-9", amount_cents=150_000, customer=user)
    assert dto.status == "PENDING" and dto.currency == "COP"
    assert len(dto.reference) >= 20 and dto.reference != checkout.reference
    assert dto.expiration_time and dto.expiration_time.endswith("Z")
    assert "signature%3Aintegrity=" + dto.signature_integrity in dto.checkout_url
    assert dto.checkout_url.startswith("http")
    assert payment_status(purpose="demo.order", ref="order-9") == "PENDING"
    assert payment_status(purpose="demo.order", ref="nope") is None


@pytest.mark.parametrize(
    ("purpose", "amount"), [("bad purpose", 100), ("demo.order", 0), ("demo.order", 1.5)]
)
def test_create_checkout_validates(user: Any, purpose: str, amount: Any) -> None:
    from modules.payments.public import create_checkout
    from platform_core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        create_checkout(purpose=purpose, ref="x", amount_cents=amount, customer=user)


def test_approved_event_settles_once_with_ledger_and_signal(
    api: Any, checkout: Payment, settled_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    body = tx_event(checkout)
    with django_capture_on_commit_callbacks(execute=True):
        first = post_event(api, body)
    with django_capture_on_commit_callbacks(execute=True):
        second = post_event(api, body)
    assert first.status_code == 200 and first.json()["outcome"] == "applied"
    assert second.status_code == 200 and second.json()["outcome"] == "duplicate"
    checkout.refresh_from_db()
    assert checkout.status == "APPROVED"
    assert checkout.wompi_transaction_id == "1234-1610641025-49201"
    assert checkout.method == "CARD"
    assert "customer_email" not in checkout.provider_payload  # redacted
    assert LedgerEntry.objects.filter(payment=checkout, kind="charge").count() == 1
    assert settled_spy.calls == [
        {
            "purpose": "demo.deposit",
            "ref": "appt-1",
            "payment_reference": checkout.reference,
            "amount_cents": 4_490_000,
            "user_id": checkout.user_id,
            "late": False,
        }
    ]


def _forged(payment: Payment) -> dict[str, Any]:
    body = tx_event(payment)
    body["signature"]["checksum"] = "0" * 64
    return body


def _wrong_secret(payment: Payment) -> dict[str, Any]:
    return tx_event(payment, secret="test_events_attacker")


def _tampered(payment: Payment) -> dict[str, Any]:
    body = tx_event(payment)
    body["data"]["transaction"]["amount_in_cents"] = 1
    return body


def _missing_field(payment: Payment) -> dict[str, Any]:
    body = tx_event(payment)
    del body["timestamp"]
    return body


def _missing_property(payment: Payment) -> dict[str, Any]:
    body = tx_event(payment)
    del body["data"]["transaction"]["status"]
    return body


def _lone_surrogate_signed(payment: Payment) -> dict[str, Any]:
    # JSON may escape half a UTF-16 pair ("\ud800"); Python decodes it to a str no
    # encoder accepts. Unsigned: the checksum could not even be computed (it was a 500).
    body = tx_event(payment)
    body["data"]["transaction"]["status"] = "\ud800"
    return body


def _lone_surrogate_unsigned_field(payment: Payment) -> dict[str, Any]:
    # The checksum covers id, status and amount only: this copy verifies, and the text
    # could not be stored (PostgreSQL and SQLite take UTF-8).
    body = tx_event(payment)
    body["data"]["transaction"]["reference"] = payment.reference + "\udfff"
    body["sent_at"] = "\ud800"
    return body


@pytest.mark.parametrize(
    ("build", "status", "action"),
    [
        (_forged, 401, "payments.webhook_forged"),
        (_wrong_secret, 401, "payments.webhook_forged"),
        (_tampered, 401, "payments.webhook_forged"),
        (_missing_field, 400, "payments.webhook_malformed"),
        (_missing_property, 400, "payments.webhook_malformed"),
        (lambda p: "{not json", 400, "payments.webhook_malformed"),
        (_lone_surrogate_signed, 400, "payments.webhook_malformed"),
        (_lone_surrogate_unsigned_field, 400, "payments.webhook_malformed"),
    ],
)
def test_bad_events_change_nothing_and_are_audited(
    api: Any, checkout: Payment, build: Any, status: int, action: str
) -> None:
    before = _snapshot(checkout)
    response = post_event(api, build(checkout))
    assert response.status_code == status
    assert response.json()["error"]["code"] in ("invalid_signature", "bad_request")
    assert _snapshot(checkout) == before
    assert AuditEvent.objects.filter(action=action).count() == 1


def test_header_checksum_must_match_too(api: Any, checkout: Payment) -> None:
    response = post_event(api, tx_event(checkout), HTTP_X_EVENT_CHECKSUM="ab" * 32)
    assert response.status_code == 401
    checkout.refresh_from_db()
    assert checkout.status == "PENDING"


def test_declined_after_approved_does_not_downgrade(
    api: Any, checkout: Payment, failed_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(checkout, "APPROVED"))
        response = post_event(api, tx_event(checkout, "DECLINED", timestamp=1530291999))
    assert response.status_code == 200 and response.json()["outcome"] == "noop"
    checkout.refresh_from_db()
    assert checkout.status == "APPROVED"
    assert failed_spy.calls == []


def test_declined_event_fails_the_payment(
    api: Any, checkout: Payment, failed_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(checkout, "DECLINED"))
        # money after a decline is never settled silently: flagged
        response = post_event(api, tx_event(checkout, "APPROVED", timestamp=1530299999))
    checkout.refresh_from_db()
    assert checkout.status == "DECLINED"
    assert response.json()["outcome"] == "flagged" and checkout.needs_review
    assert failed_spy.calls[0]["status"] == "DECLINED"
    assert not LedgerEntry.objects.filter(payment=checkout).exists()


def test_approved_after_expired_is_flagged_and_settled_late(
    api: Any, checkout: Payment, settled_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    Payment.objects.filter(pk=checkout.pk).update(status="EXPIRED", finalized_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(api, tx_event(checkout, "APPROVED"))
    assert response.json()["outcome"] == "flagged"
    checkout.refresh_from_db()
    assert checkout.needs_review and checkout.review_reason == "approved_after_expiry"
    assert settled_spy.calls[0]["late"] is True
    assert AuditEvent.objects.filter(action="payments.payment_flagged").exists()


def test_amount_mismatch_with_a_valid_signature_is_flagged_never_settled(
    api: Any, checkout: Payment, settled_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        a = post_event(api, tx_event(checkout, amount=100))
        b = post_event(api, tx_event(checkout, currency="USD", timestamp=1530291500))
    assert a.json()["outcome"] == b.json()["outcome"] == "flagged"
    checkout.refresh_from_db()
    assert checkout.status == "PENDING" and checkout.needs_review
    assert settled_spy.calls == []
    assert not LedgerEntry.objects.exists()


def test_other_environment_and_unknown_events_are_ignored(api: Any, checkout: Payment) -> None:
    prod = post_event(api, tx_event(checkout, environment="prod"))
    other = tx_event(checkout)
    other["event"] = "nequi_token.updated"
    from modules.payments.wompi.signatures import sign_event
    from tests.modules.payments.conftest import EVENT_SECRET

    unknown = post_event(api, sign_event(other, EVENT_SECRET))
    assert prod.status_code == unknown.status_code == 200
    assert prod.json()["outcome"] == "ignored_environment"
    assert unknown.json()["outcome"] == "ignored_event_type"
    checkout.refresh_from_db()
    assert checkout.status == "PENDING" and not WebhookEvent.objects.exists()


def test_unknown_reference_is_stored_and_answered_200(api: Any, db: Any) -> None:
    ghost = Payment(reference="SZ-GHOST", amount_cents=100, currency="COP")
    response = post_event(api, tx_event(ghost))
    assert response.status_code == 200
    assert WebhookEvent.objects.get().outcome == "unknown_reference"


def test_voided_after_approved_records_a_refund(
    api: Any, checkout: Payment, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(checkout, "APPROVED"))
        post_event(api, tx_event(checkout, "VOIDED", timestamp=1530299000))
    checkout.refresh_from_db()
    assert checkout.status == "VOIDED"
    assert checkout.refunds.get().status == "voided"
    from modules.payments.ledger import balance

    assert balance("merchant") == 0
    voided = AuditEvent.objects.get(action="payments.voided")
    assert voided.target == f"payment:{checkout.reference}"
    assert voided.details["amount_cents"] == checkout.amount_cents
    assert voided.details["source"] == "webhook"
    # A redelivery of the same VOIDED event (new checksum) audits nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(checkout, "VOIDED", timestamp=1530299001))
    assert AuditEvent.objects.filter(action="payments.voided").count() == 1


def test_commission_accrues_with_integer_math(
    api: Any, checkout: Payment, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DEVELOPER_COMMISSION_PERCENT = 2.5
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(checkout))
    from modules.payments.ledger import balance

    assert balance("developer") == 4_490_000 * 250 // 10_000
    assert balance("merchant") == 4_490_000 - 112_250


def test_replay_command_reprocesses_a_stored_event(
    api: Any, checkout: Payment, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(checkout, "PENDING"))
    event = WebhookEvent.objects.get()
    # Simulate a stored APPROVED event that a bug failed to apply, then replay it.
    payload = event.payload
    payload["data"]["transaction"]["status"] = "APPROVED"
    WebhookEvent.objects.filter(pk=event.pk).update(payload=payload)
    from io import StringIO

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("replay_wompi_event", str(event.public_id), stdout=out)
    assert "applied" in out.getvalue()
    checkout.refresh_from_db()
    assert checkout.status == "APPROVED"
    # By the Wompi transaction id too (what the operator sees in Wompi's dashboard).
    out = StringIO()
    call_command("replay_wompi_event", event.transaction_id, stdout=out)
    assert "noop" in out.getvalue()  # already settled: nothing happens twice
    for unknown in ("00000000-0000-0000-0000-000000000000", "12345-0000000000-00000"):
        with pytest.raises(CommandError):
            call_command("replay_wompi_event", unknown)
    assert json.loads(json.dumps(payload))  # payload stays JSON
