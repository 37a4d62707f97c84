"""Refunds: decided under the payment's row lock, taken to Wompi after commit.

A refund is decided under the payment's row lock (a Refund row, REQUESTED when Wompi
can void it, else PENDING_MANUAL for staff) and taken to Wompi only after commit, with
no lock held; the answer is recorded in a second short transaction. A refund whose
call never happened (crash between commit and call) is retried by beat
``payments.retry_refunds``.
A completed refund (voided or completed by staff) is a ``refunded`` outcome for the purpose.

A payment partly paid by tenders (gift cards, package credits) gives value back to them
first, at once and in the same transaction (``tenders.refund_to_tenders``): the Refund's
``tender_cents``. Only the rest (``amount_cents``) goes through Wompi or staff; a refund the
tenders cover entirely is COMPLETED at once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from modules.payments import errors, outbox, tenders
from modules.payments.ledger import record_refund
from modules.payments.models import Outcome, Payment, PaymentStatus, Refund
from modules.payments.wompi.gateway import WompiError, get_gateway
from platform_core import audit
from platform_core.errors import NotFound

logger = logging.getLogger(__name__)
REFUND_RETRY_AFTER = timedelta(minutes=5)


def request_refund(
    *,
    purpose: str,
    ref: str,
    reason: str,
    amount_cents: int | None = None,
    actor: Any = None,
    payment_reference: str = "",
) -> Refund:
    """Refund the approved payment of (purpose, ref), or exactly the one named by
    ``payment_reference`` (a purpose refunding a duplicate or late attempt). Idempotent
    per payment: the existing refund is returned."""
    with transaction.atomic():
        payments = Payment.objects.select_for_update().filter(purpose=purpose, purpose_ref=str(ref))
        if payment_reference:
            payments = payments.filter(reference=payment_reference)
        payment = (
            payments.filter(Q(status=PaymentStatus.APPROVED) | Q(refund_requested=True))
            .order_by("-created_at")
            .first()
        )
        if payment is None:
            raise NotFound()
        existing = (
            payment.refunds.filter(extra_transaction=False)
            .exclude(status=Refund.Status.REJECTED)
            .first()
        )
        if existing is not None:
            return existing  # idempotent: receivers may call this more than once
        received = tenders.received_cents(payment)
        amount = received if amount_cents is None else amount_cents
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise errors.InvalidAmount()
        if not 0 < amount <= received:
            raise errors.InvalidAmount()
        refund = refund_payment(payment, reason, amount_cents=amount, actor=actor)
    refund.refresh_from_db()
    return refund


def refund_payment(
    payment: Payment, reason: str, *, amount_cents: int | None = None, actor: Any = None
) -> Refund:
    """Open the refund of a payment whose row the caller has locked (in a transaction)."""
    amount = tenders.received_cents(payment) if amount_cents is None else amount_cents
    existing = (
        payment.refunds.filter(extra_transaction=False)
        .exclude(status=Refund.Status.REJECTED)
        .first()
    )
    if existing is not None:
        return existing
    payment.refund_requested = True
    payment.save(update_fields=["refund_requested", "updated_at"])
    to_tenders = tenders.refund_to_tenders(payment, amount, reason)
    rest = amount - to_tenders
    if rest == 0:
        refund = Refund.objects.create(
            payment=payment,
            amount_cents=0,
            tender_cents=to_tenders,
            reason=reason[:255],
            status=Refund.Status.COMPLETED,
            processed_at=timezone.now(),
        )
        outbox.record(payment, Outcome.Kind.REFUNDED, amount_cents=to_tenders)
    else:
        # Wompi voids only whole card transactions; everything else is refunded by staff.
        voidable = (
            payment.status == PaymentStatus.APPROVED
            and rest == payment.gateway_cents
            and payment.method == "CARD"
            and bool(payment.wompi_transaction_id)
        )
        refund = open_refund(
            payment,
            rest,
            reason,
            transaction_id=payment.wompi_transaction_id,
            voidable=voidable,
            tender_cents=to_tenders,
        )
    audit.record(
        "payments.refund_requested",
        actor=actor,
        target=f"payment:{payment.reference}",
        details={
            "amount_cents": amount,
            "tender_cents": to_tenders,
            "reason": reason,
            "outcome": refund.status,
        },
    )
    return refund


def open_refund(
    payment: Payment,
    amount: int,
    reason: str,
    *,
    transaction_id: str,
    voidable: bool,
    extra: bool = False,
    tender_cents: int = 0,
) -> Refund:
    refund = Refund.objects.create(
        payment=payment,
        amount_cents=amount,
        tender_cents=tender_cents,
        reason=reason[:255],
        transaction_id=transaction_id,
        extra_transaction=extra,
        status=Refund.Status.REQUESTED if voidable else Refund.Status.PENDING_MANUAL,
    )
    if voidable:
        pk = refund.pk
        transaction.on_commit(lambda: execute_refund(pk))
    else:
        _flag_refund_for_staff(payment, refund)
    return refund


def _flag_refund_for_staff(payment: Payment, refund: Refund) -> None:
    audit.record(
        "payments.refund_queued_for_staff",
        target=f"payment:{payment.reference}",
        details={
            "refund": str(refund.public_id),
            "amount_cents": refund.amount_cents,
            "transaction_id": refund.transaction_id,
            "extra_transaction": refund.extra_transaction,
        },
    )


def _claim_refund(refund_pk: int) -> Refund | None:
    """Take a REQUESTED refund for one call to Wompi (short transaction, skip if another
    worker holds it or took it recently)."""
    now = timezone.now()
    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update(skip_locked=True)
            .filter(pk=refund_pk, status=Refund.Status.REQUESTED)
            .first()
        )
        if refund is None:
            return None
        if refund.attempted_at and refund.attempted_at > now - REFUND_RETRY_AFTER:
            return None
        refund.attempted_at = now
        refund.save(update_fields=["attempted_at"])
    return refund


def execute_refund(refund_pk: int) -> str:
    """Void a REQUESTED refund at Wompi (outside any transaction), then record what Wompi
    said. A refusal queues it for staff (PENDING_MANUAL): money is never left silent."""
    refund = _claim_refund(refund_pk)
    if refund is None:
        return ""
    try:
        get_gateway().void_transaction(refund.transaction_id)
    except WompiError as exc:
        logger.warning("Void of refund %s refused, manual refund: %s", refund.public_id, exc)
        return _record_void(refund.pk, voided=False, error=str(exc))
    return _record_void(refund.pk, voided=True)


def _record_void(refund_pk: int, *, voided: bool, error: str = "") -> str:
    with transaction.atomic():
        refund = Refund.objects.select_related("payment").get(pk=refund_pk)
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund_pk)
        if refund.status != Refund.Status.REQUESTED:
            return refund.status  # Wompi's VOIDED event got here first
        if not voided:
            refund.status = Refund.Status.PENDING_MANUAL
            refund.note = f"Wompi no anuló la transacción: {error}"[:255]
            refund.save(update_fields=["status", "note"])
            _flag_refund_for_staff(payment, refund)
            return refund.status
        refund.status = Refund.Status.VOIDED
        refund.processed_at = timezone.now()
        refund.save(update_fields=["status", "processed_at"])
        if not refund.extra_transaction and payment.status != PaymentStatus.VOIDED:
            payment.status = PaymentStatus.VOIDED
            payment.save(update_fields=["status", "updated_at"])
            record_refund(payment, refund.amount_cents, f"Anulación: {refund.reason}")
            outbox.record(payment, Outcome.Kind.REFUNDED, amount_cents=refund.total_cents)
        audit.record(
            "payments.refund_voided",
            target=f"payment:{payment.reference}",
            details={"transaction_id": refund.transaction_id, "amount_cents": refund.amount_cents},
        )
    return refund.status


def retry_requested_refunds(*, limit: int = 100) -> int:
    """Beat: refunds decided but never taken to Wompi (the process died after commit)."""
    cutoff = timezone.now() - REFUND_RETRY_AFTER
    stale = Refund.objects.filter(status=Refund.Status.REQUESTED, created_at__lte=cutoff).filter(
        Q(attempted_at__isnull=True) | Q(attempted_at__lte=cutoff)
    )
    done = 0
    for pk in list(stale.values_list("pk", flat=True)[:limit]):
        done += bool(execute_refund(pk))
    return done


def complete_manual_refund(refund_pk: int, *, staff: Any, note: str = "") -> Refund:
    """Staff confirm they refunded the client outside Wompi: ledger + audit."""
    payment_pk = Refund.objects.filter(pk=refund_pk).values_list("payment_id", flat=True).get()
    with transaction.atomic():
        # The payment first, then the refund: the order every refund path takes.
        payment = Payment.objects.select_for_update().get(pk=payment_pk)
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund_pk)
        if refund.status != Refund.Status.PENDING_MANUAL:
            raise errors.RefundNotAllowed()
        refund.status = Refund.Status.COMPLETED
        refund.processed_by = staff
        refund.processed_at = timezone.now()
        refund.note = note[:255]
        refund.save()
        if not refund.extra_transaction:
            record_refund(payment, refund.amount_cents, f"Reembolso manual: {refund.reason}")
            outbox.record(payment, Outcome.Kind.REFUNDED, amount_cents=refund.total_cents)
        audit.record(
            "payments.refund_completed",
            actor=staff,
            target=f"payment:{refund.payment.reference}",
            details={"amount_cents": refund.amount_cents},
        )
    return refund
