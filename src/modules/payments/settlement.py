"""Settlement: apply what Wompi says about a transaction to its payment.

Exactly-once settlement rests on two database guarantees, not on timing:
a verified event is stored under a unique ``event_key`` (a duplicate delivery fails
the insert and changes nothing), and every status change happens with the payment
row locked (``select_for_update``) so concurrent events, polls and replays serialise.
The ledger's unique (payment, kind, account) constraint for charges is a last guard.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from modules.payments import outbox, tenders
from modules.payments.ledger import record_charge, record_refund
from modules.payments.models import Outcome, Payment, PaymentStatus, Refund, WebhookEvent
from modules.payments.refunds import open_refund
from platform_core import audit

logger = logging.getLogger(__name__)

WOMPI_STATUSES = {"PENDING", "APPROVED", "DECLINED", "VOIDED", "ERROR"}


# Keys of a Wompi transaction we keep; everything else (emails, names, phones,
# addresses, card holder) is dropped before storing a provider payload.
_PAYLOAD_KEYS = (
    "id",
    "status",
    "status_message",
    "amount_in_cents",
    "currency",
    "reference",
    "payment_method_type",
    "created_at",
    "finalized_at",
    "payment_source_id",
    "payment_link_id",
)


_METHOD_EXTRA_KEYS = ("processor_response_code", "brand", "last_four", "type")


def redact_transaction(tx: dict[str, Any]) -> dict[str, Any]:
    clean = {k: tx[k] for k in _PAYLOAD_KEYS if k in tx}
    method = tx.get("payment_method")
    if isinstance(method, dict):
        extra = method.get("extra") if isinstance(method.get("extra"), dict) else {}
        clean["payment_method"] = {
            "type": method.get("type", ""),
            "extra": {k: extra[k] for k in _METHOD_EXTRA_KEYS if k in extra},
        }
    return clean


def flag(payment: Payment, reason: str, detail: dict[str, Any] | None = None) -> None:
    payment.needs_review = True
    payment.review_reason = reason[:255]
    payment.save(update_fields=["needs_review", "review_reason", "updated_at"])
    audit.record(
        "payments.payment_flagged",
        target=f"payment:{payment.reference}",
        details={"reason": reason, **(detail or {})},
    )


def absorb(payment: Payment, tx: dict[str, Any]) -> None:
    """Copy provider facts onto the payment (not its status)."""
    if tx.get("id") and not payment.wompi_transaction_id:
        payment.wompi_transaction_id = str(tx["id"])[:64]
    if tx.get("payment_method_type"):
        payment.method = str(tx["payment_method_type"])[:32]
    if tx.get("status_message"):
        payment.status_message = str(tx["status_message"])[:255]
    payment.provider_payload = redact_transaction(tx)


def settle(payment: Payment, tx: dict[str, Any], *, late: bool) -> None:
    absorb(payment, tx)
    payment.status = PaymentStatus.APPROVED
    payment.finalized_at = timezone.now()
    payment.save()
    captured = tenders.capture_all(payment)
    record_charge(payment)
    received = tenders.received_cents(payment)
    if received < payment.amount_cents:
        # Approved after the attempt failed or expired: its tenders were released then,
        # so only Wompi's part arrived; the purpose gets that amount and staff look.
        flag(payment, "approved_after_tenders_released", {"captured_cents": captured})
    outbox.record(payment, Outcome.Kind.SETTLED, late=late, amount_cents=received)


def fail_payment(payment: Payment, tx: dict[str, Any], status: str) -> None:
    """End a locked payment as failed with what the provider said (``tx``)."""
    absorb(payment, tx)
    end_failed(payment, status)


def end_failed(payment: Payment, status: str) -> None:
    """Final failed status; its tenders' holds go back; the purpose learns it from its
    PaymentFailed outcome."""
    payment.status = status
    payment.finalized_at = timezone.now()
    payment.save()
    tenders.release_all(payment)
    outbox.record(payment, Outcome.Kind.FAILED)


def fail_attempt(*, payment_reference: str, message: str) -> bool:
    """End a PENDING attempt that never reached the provider (ERROR, with ``message``):
    the purpose gets its PaymentFailed. False when it was not pending any more."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(reference=payment_reference).first()
        if payment is None or payment.status != PaymentStatus.PENDING:
            return False
        fail_payment(payment, {"status_message": message[:255]}, PaymentStatus.ERROR)
    return True


def apply_transaction(tx: dict[str, Any], *, source: str) -> tuple[str, Payment | None]:
    """Apply a Wompi transaction (from an event, a poll or a replay). Call inside atomic().

    Returns (outcome, payment). Final statuses never move back; mismatches are flagged.
    """
    reference = str(tx.get("reference") or "")
    payment = Payment.objects.select_for_update().filter(reference=reference).first()
    if payment is None:
        logger.warning("Wompi %s for unknown reference %r", source, reference)
        return WebhookEvent.Outcome.UNKNOWN_REFERENCE, None
    status = str(tx.get("status") or "").upper()
    amount = tx.get("amount_in_cents")
    if status not in WOMPI_STATUSES:
        return WebhookEvent.Outcome.NOOP, payment
    if (
        isinstance(amount, bool)
        or not isinstance(amount, int)
        or amount != payment.gateway_cents
        or str(tx.get("currency") or "") != payment.currency
    ):
        flag(
            payment,
            "amount_or_currency_mismatch",
            {
                "source": source,
                "status": status,
                "amount_in_cents": str(amount),
                "currency": str(tx.get("currency")),
            },
        )
        return WebhookEvent.Outcome.FLAGGED, payment
    current = payment.status
    tx_id = str(tx.get("id") or "")[:64]
    other_tx = bool(
        payment.wompi_transaction_id and tx_id and tx_id != payment.wompi_transaction_id
    )
    if current == PaymentStatus.PENDING:
        if status == PaymentStatus.PENDING:
            absorb(payment, tx)
            payment.save()
            return WebhookEvent.Outcome.NOOP, payment
        if status == PaymentStatus.APPROVED:
            settle(payment, tx, late=False)
        else:
            fail_payment(payment, tx, status)
        return WebhookEvent.Outcome.APPLIED, payment
    if current == PaymentStatus.EXPIRED and status == PaymentStatus.APPROVED:
        # The money arrived after we gave up: record it, tell the purpose (late=True)
        # so it can honour or refund, and ask staff to look.
        if tx_id:
            payment.wompi_transaction_id = tx_id
        settle(payment, tx, late=True)
        flag(payment, "approved_after_expiry", {"source": source})
        return WebhookEvent.Outcome.FLAGGED, payment
    if (
        status == PaymentStatus.APPROVED
        and current in (PaymentStatus.DECLINED, PaymentStatus.ERROR)
        and tx_id
        and tx_id != payment.wompi_transaction_id
    ):
        # A later approval wins: the client paid again on the same reference (a new Wompi
        # transaction, not a late copy of the failed one). Settle exactly once (the row
        # is locked and is APPROVED from now on); the purpose confirms it, or refunds it
        # if it moved on meanwhile (paid by another attempt, expired).
        previous = payment.wompi_transaction_id
        payment.wompi_transaction_id = tx_id
        settle(payment, tx, late=False)
        audit.record(
            "payments.approved_after_failure",
            target=f"payment:{payment.reference}",
            details={
                "source": source,
                "previous_status": current,
                "previous_transaction_id": previous,
                "transaction_id": tx_id,
            },
        )
        return WebhookEvent.Outcome.APPLIED, payment
    if current == PaymentStatus.APPROVED and status == PaymentStatus.VOIDED and not other_tx:
        absorb(payment, tx)
        payment.status = PaymentStatus.VOIDED
        payment.save()
        own = payment.refunds.filter(extra_transaction=False)
        if not own.filter(status=Refund.Status.VOIDED).exists():
            # Our own void request may still be on its way: this event completes it.
            refund = own.filter(status=Refund.Status.REQUESTED).first()
            if refund is None:
                # Voided at Wompi without our asking: the whole payment goes back, its
                # tenders' part too.
                refund = Refund(
                    payment=payment,
                    amount_cents=payment.gateway_cents,
                    tender_cents=tenders.refund_to_tenders(
                        payment, payment.tendered_cents, "Anulada en Wompi"
                    ),
                    reason="Anulada en Wompi",
                    transaction_id=payment.wompi_transaction_id,
                )
            refund.status = Refund.Status.VOIDED
            refund.processed_at = timezone.now()
            refund.save()
            record_refund(payment, payment.gateway_cents, "Anulación reportada por Wompi")
            outbox.record(payment, Outcome.Kind.REFUNDED, amount_cents=refund.total_cents)
            audit.record(
                "payments.voided",
                target=f"payment:{payment.reference}",
                details={
                    "source": source,
                    "amount_cents": payment.gateway_cents,
                    "transaction_id": payment.wompi_transaction_id,
                },
            )
        return WebhookEvent.Outcome.APPLIED, payment
    if (
        status == PaymentStatus.APPROVED
        and current in (PaymentStatus.APPROVED, PaymentStatus.VOIDED)
        and other_tx
    ):
        # A second charge on a reference already paid (or refunded): the purpose is
        # settled, so this money goes back (void at Wompi, else staff refund it).
        _refund_extra_transaction(payment, tx, source)
        return WebhookEvent.Outcome.REFUNDED, payment
    if status == PaymentStatus.APPROVED and current != PaymentStatus.APPROVED:
        # The failed transaction itself reported approved (contradicts a final status):
        # never settle on it, never hide it; polling and staff resolve it.
        flag(payment, f"approved_after_{current.lower()}", {"source": source})
        return WebhookEvent.Outcome.FLAGGED, payment
    return WebhookEvent.Outcome.NOOP, payment


def _refund_extra_transaction(payment: Payment, tx: dict[str, Any], source: str) -> None:
    tx_id = str(tx.get("id") or "")[:64]
    if payment.refunds.filter(extra_transaction=True, transaction_id=tx_id).exists():
        return  # already refunded (a re-signed copy or a poll of the same transaction)
    method = str(tx.get("payment_method_type") or "")
    refund = open_refund(
        payment,
        payment.gateway_cents,
        "Cobro adicional con la misma referencia",
        transaction_id=tx_id,
        voidable=method == "CARD",
        extra=True,
    )
    audit.record(
        "payments.extra_transaction_refunded",
        target=f"payment:{payment.reference}",
        details={
            "source": source,
            "transaction_id": tx_id,
            "payment_status": payment.status,
            "refund": refund.status,
        },
    )
