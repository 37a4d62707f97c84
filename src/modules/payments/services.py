"""Payment use-cases: checkout, webhook verification, settlement, reconciliation, refunds.

Exactly-once settlement rests on two database guarantees, not on timing:
a verified event is stored under a unique ``event_key`` (a duplicate delivery fails
the insert and changes nothing), and every status change happens with the payment
row locked (``select_for_update``) so concurrent events, polls and replays serialise.
The ledger's unique (payment, kind, account) constraint for charges is a last guard.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from modules.payments import errors, outbox
from modules.payments.models import (
    FINAL_STATUSES,
    LedgerEntry,
    Outcome,
    Payment,
    PaymentStatus,
    Refund,
    WebhookEvent,
)
from modules.payments.public import CheckoutDTO
from modules.payments.wompi.gateway import WompiError, get_gateway
from modules.payments.wompi.signatures import (
    MalformedEvent,
    format_expiration,
    integrity_signature,
    verify_event,
)
from platform_core import audit
from platform_core.errors import NotFound, ValidationFailed
from platform_core.request_context import rebase_site_url

logger = logging.getLogger(__name__)

PURPOSE_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
WOMPI_STATUSES = {"PENDING", "APPROVED", "DECLINED", "VOIDED", "ERROR"}
Kind, Account = LedgerEntry.Kind, LedgerEntry.Account

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


# --- checkout --------------------------------------------------------------------------------
def new_reference(prefix: str = "SZ") -> str:
    """96 random bits, Wompi-safe characters."""
    return f"{prefix}-{secrets.token_hex(12).upper()}"


def _customer_fields(customer: Any) -> tuple[int | None, str, str, str]:
    if customer is None:
        return None, "", "", ""
    user_id = getattr(customer, "pk", None) or getattr(customer, "id", None)
    name = f"{getattr(customer, 'first_name', '')} {getattr(customer, 'last_name', '')}".strip()
    return (
        user_id,
        getattr(customer, "email", "") or "",
        name,
        getattr(customer, "phone_number", "") or "",
    )


def checkout_base_url() -> str:
    if settings.WOMPI_ADAPTER == "sandbox":
        return rebase_site_url(settings.WOMPI_SANDBOX_CHECKOUT_URL)
    return settings.WOMPI_CHECKOUT_URL


def card_tokens_url() -> str:
    """Wompi's card tokenization endpoint as the browser must call it."""
    if settings.WOMPI_ADAPTER == "sandbox":
        return rebase_site_url(f"{settings.SITE_URL}/api/finances/sandbox/v1/tokens/cards")
    return f"{settings.WOMPI_BASE_URL}/tokens/cards"


def redirect_url() -> str:
    """Where Wompi sends the browser after paying (follows the dev server's host/port)."""
    return rebase_site_url(settings.WOMPI_REDIRECT_URL)


def checkout_for(payment: Payment, *, full_name: str = "", phone: str = "") -> CheckoutDTO:
    expiration = format_expiration(payment.expires_at) if payment.expires_at else None
    signature = integrity_signature(
        payment.reference,
        payment.amount_cents,
        payment.currency,
        settings.WOMPI_INTEGRITY_SECRET,
        expiration,
    )
    redirect = redirect_url()
    params: dict[str, Any] = {
        "public-key": settings.WOMPI_PUBLIC_KEY,
        "currency": payment.currency,
        "amount-in-cents": payment.amount_cents,
        "reference": payment.reference,
        "signature:integrity": signature,
        "redirect-url": redirect,
    }
    if expiration:
        params["expiration-time"] = expiration
    if payment.customer_email:
        params["customer-data:email"] = payment.customer_email
    if full_name:
        params["customer-data:full-name"] = full_name
    if phone.startswith("+57"):
        params["customer-data:phone-number"] = phone[3:]
        params["customer-data:phone-number-prefix"] = "+57"
    return CheckoutDTO(
        reference=payment.reference,
        amount_in_cents=payment.amount_cents,
        currency=payment.currency,
        public_key=settings.WOMPI_PUBLIC_KEY,
        signature_integrity=signature,
        redirect_url=redirect,
        expiration_time=expiration,
        checkout_url=f"{checkout_base_url()}?{urlencode(params)}",
        status=payment.status,
    )


def _validate_request(purpose: str, ref: str, amount_cents: Any) -> None:
    if not isinstance(purpose, str) or not PURPOSE_RE.match(purpose) or len(purpose) > 64:
        raise errors.InvalidPurpose()
    if not ref or len(str(ref)) > 128:
        raise errors.InvalidPurpose(details={"ref": "required"})
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise errors.InvalidAmount()


def create_checkout(
    *,
    purpose: str,
    ref: str,
    amount_cents: int,
    customer: Any,
    expires_at: datetime | None = None,
    description: str = "",
) -> CheckoutDTO:
    _validate_request(purpose, ref, amount_cents)
    if expires_at is None:
        expires_at = timezone.now() + timedelta(minutes=settings.PAYMENT_CHECKOUT_EXPIRY_MINUTES)
    # Wompi signs the expiration with millisecond precision: store exactly that value.
    expires_at = expires_at.replace(microsecond=expires_at.microsecond // 1000 * 1000)
    user_id, email, full_name, phone = _customer_fields(customer)
    payment = Payment.objects.create(
        reference=new_reference(),
        purpose=purpose,
        purpose_ref=str(ref),
        user_id=user_id,
        amount_cents=amount_cents,
        currency=settings.CURRENCY,
        description=description[:255],
        customer_email=email,
        expires_at=expires_at,
    )
    return checkout_for(payment, full_name=full_name, phone=phone)


# --- ledger --------------------------------------------------------------------------------------
def commission_for(amount_cents: int) -> int:
    """DEVELOPER_COMMISSION_PERCENT of the amount, in integer cents (floor)."""
    basis_points = int(Decimal(str(settings.DEVELOPER_COMMISSION_PERCENT)) * 100)
    return max(0, amount_cents * basis_points // 10_000)


def _entry(kind: str, account: str, amount: int, payment: Payment | None, memo: str = "") -> None:
    LedgerEntry.objects.create(
        kind=kind,
        account=account,
        amount_cents=amount,
        currency=payment.currency if payment else settings.CURRENCY,
        payment=payment,
        purpose=payment.purpose if payment else "",
        memo=memo[:255],
    )


def _record_charge(payment: Payment) -> None:
    _entry(Kind.CHARGE, Account.MERCHANT, payment.amount_cents, payment, "Pago aprobado")
    commission = commission_for(payment.amount_cents)
    if commission:
        _entry(Kind.COMMISSION, Account.MERCHANT, -commission, payment, "Comisión desarrollador")
        _entry(Kind.COMMISSION, Account.DEVELOPER, commission, payment, "Comisión desarrollador")


def _record_refund(payment: Payment, amount: int, memo: str) -> None:
    _entry(Kind.REFUND, Account.MERCHANT, -amount, payment, memo)
    commission = (
        LedgerEntry.objects.filter(
            payment=payment, kind=Kind.COMMISSION, account=Account.DEVELOPER
        ).aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )
    reversal = commission * amount // payment.amount_cents
    if reversal:
        _entry(Kind.COMMISSION_REVERSAL, Account.DEVELOPER, -reversal, payment, memo)
        _entry(Kind.COMMISSION_REVERSAL, Account.MERCHANT, reversal, payment, memo)


def record_fee(
    *, amount_cents: int, memo: str, actor: Any = None, payment_reference: str = ""
) -> LedgerEntry:
    """Wompi's own fee, entered by staff from Wompi's dashboard or invoice: the
    transaction API and its events do not report fees (see docs/payments.md). A merchant
    debit, for one payment when its reference is given, otherwise for a period."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise errors.InvalidAmount()
    memo = (memo or "").strip()
    if not memo:
        raise ValidationFailed(details={"memo": "required"})
    payment = None
    if payment_reference:
        payment = Payment.objects.filter(reference=payment_reference).first()
        if payment is None:
            raise NotFound()
    with transaction.atomic():
        entry = LedgerEntry.objects.create(
            kind=Kind.FEE,
            account=Account.MERCHANT,
            amount_cents=-amount_cents,
            currency=payment.currency if payment else settings.CURRENCY,
            payment=payment,
            purpose=payment.purpose if payment else "",
            memo=memo[:255],
        )
        audit.record(
            "payments.fee_recorded",
            actor=actor,
            target=f"payment:{payment.reference}" if payment else f"ledger:{entry.public_id}",
            details={"amount_cents": amount_cents, "memo": memo[:255]},
        )
    return entry


def balance(account: str) -> int:
    return (
        LedgerEntry.objects.filter(account=account).aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )


# --- settlement -------------------------------------------------------------------------------


def _flag(payment: Payment, reason: str, detail: dict[str, Any] | None = None) -> None:
    payment.needs_review = True
    payment.review_reason = reason[:255]
    payment.save(update_fields=["needs_review", "review_reason", "updated_at"])
    audit.record(
        "payments.payment_flagged",
        target=f"payment:{payment.reference}",
        details={"reason": reason, **(detail or {})},
    )


def _absorb(payment: Payment, tx: dict[str, Any]) -> None:
    """Copy provider facts onto the payment (not its status)."""
    if tx.get("id") and not payment.wompi_transaction_id:
        payment.wompi_transaction_id = str(tx["id"])[:64]
    if tx.get("payment_method_type"):
        payment.method = str(tx["payment_method_type"])[:32]
    if tx.get("status_message"):
        payment.status_message = str(tx["status_message"])[:255]
    payment.provider_payload = redact_transaction(tx)


def _settle(payment: Payment, tx: dict[str, Any], *, late: bool) -> None:
    _absorb(payment, tx)
    payment.status = PaymentStatus.APPROVED
    payment.finalized_at = timezone.now()
    payment.save()
    _record_charge(payment)
    outbox.record(payment, Outcome.Kind.SETTLED, late=late)


def fail_payment(payment: Payment, tx: dict[str, Any], status: str) -> None:
    """End a locked payment as failed with what the provider said (``tx``)."""
    _absorb(payment, tx)
    _end_failed(payment, status)


def _end_failed(payment: Payment, status: str) -> None:
    """Final failed status; the purpose learns it from its PaymentFailed outcome."""
    payment.status = status
    payment.finalized_at = timezone.now()
    payment.save()
    outbox.record(payment, Outcome.Kind.FAILED)


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
        or amount != payment.amount_cents
        or str(tx.get("currency") or "") != payment.currency
    ):
        _flag(
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
            _absorb(payment, tx)
            payment.save()
            return WebhookEvent.Outcome.NOOP, payment
        if status == PaymentStatus.APPROVED:
            _settle(payment, tx, late=False)
        else:
            fail_payment(payment, tx, status)
        return WebhookEvent.Outcome.APPLIED, payment
    if current == PaymentStatus.EXPIRED and status == PaymentStatus.APPROVED:
        # The money arrived after we gave up: record it, tell the purpose (late=True)
        # so it can honour or refund, and ask staff to look.
        if tx_id:
            payment.wompi_transaction_id = tx_id
        _settle(payment, tx, late=True)
        _flag(payment, "approved_after_expiry", {"source": source})
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
        _settle(payment, tx, late=False)
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
        _absorb(payment, tx)
        payment.status = PaymentStatus.VOIDED
        payment.save()
        own = payment.refunds.filter(extra_transaction=False)
        if not own.filter(status=Refund.Status.VOIDED).exists():
            # Our own void request may still be on its way: this event completes it.
            refund = own.filter(status=Refund.Status.REQUESTED).first() or Refund(
                payment=payment,
                amount_cents=payment.amount_cents,
                reason="Anulada en Wompi",
                transaction_id=payment.wompi_transaction_id,
            )
            refund.status = Refund.Status.VOIDED
            refund.processed_at = timezone.now()
            refund.save()
            _record_refund(payment, payment.amount_cents, "Anulación reportada por Wompi")
            outbox.record(payment, Outcome.Kind.REFUNDED)
            audit.record(
                "payments.voided",
                target=f"payment:{payment.reference}",
                details={
                    "source": source,
                    "amount_cents": payment.amount_cents,
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
        _flag(payment, f"approved_after_{current.lower()}", {"source": source})
        return WebhookEvent.Outcome.FLAGGED, payment
    return WebhookEvent.Outcome.NOOP, payment


def _refund_extra_transaction(payment: Payment, tx: dict[str, Any], source: str) -> None:
    tx_id = str(tx.get("id") or "")[:64]
    if payment.refunds.filter(extra_transaction=True, transaction_id=tx_id).exists():
        return  # already refunded (a re-signed copy or a poll of the same transaction)
    method = str(tx.get("payment_method_type") or "")
    refund = _open_refund(
        payment,
        payment.amount_cents,
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


# --- webhook ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class WebhookResult:
    status_code: int
    outcome: str


def _reject(status_code: int, action: str, reason: str, ip: str | None) -> WebhookResult:
    audit.record(
        action, target="webhook:wompi", details={"reason": reason, "status": status_code}, ip=ip
    )
    logger.warning("Wompi webhook rejected (%s): %s", status_code, reason)
    return WebhookResult(status_code, "rejected")


def event_key(event_type: str, tx: dict[str, Any], checksum: str = "") -> str:
    """What identifies an event: its type, Wompi transaction and status (with the
    transaction's amount and currency, which never change for a real transaction, so a
    contradicting copy is not mistaken for a copy). Wompi re-signs a retried event (new
    timestamp, new checksum); those copies mean the same and share this key. Only an
    event without a transaction id falls back to its checksum."""
    transaction_id = str(tx.get("id") or "")[:64]
    if transaction_id:
        status = str(tx.get("status") or "").upper()
        basis = (
            f"{event_type}:tx:{transaction_id}:{status}:"
            f"{tx.get('amount_in_cents')}:{tx.get('currency')}"
        )
    else:
        basis = f"{event_type}:{checksum.strip().lower()}"
    return hashlib.sha256(basis.encode()).hexdigest()


def process_wompi_event(
    raw_body: bytes, *, header_checksum: str | None = None, ip: str | None = None
) -> WebhookResult:
    """Verify and apply one delivery of Wompi's webhook. Never raises for bad input."""
    try:
        body = json.loads(raw_body or b"")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        return _reject(400, "payments.webhook_malformed", "invalid JSON", ip)
    try:
        valid = verify_event(body, settings.WOMPI_EVENT_SECRET, header_checksum)
    except MalformedEvent as exc:
        return _reject(400, "payments.webhook_malformed", str(exc), ip)
    if not valid:
        return _reject(401, "payments.webhook_forged", "checksum mismatch", ip)
    environment = str(body.get("environment") or "")
    if environment != settings.WOMPI_ENVIRONMENT:
        logger.info("Ignoring Wompi event for environment %r", environment)
        return WebhookResult(200, "ignored_environment")
    event_type = body["event"]
    if event_type != "transaction.updated":
        return WebhookResult(200, "ignored_event_type")
    tx = body["data"].get("transaction")
    if not isinstance(tx, dict) or not tx.get("reference") or not tx.get("status"):
        return _reject(400, "payments.webhook_malformed", "transaction fields missing", ip)
    key = event_key(event_type, tx, str(body["signature"]["checksum"]))
    return _store_and_apply(body, tx, key)


def _store_and_apply(body: dict[str, Any], tx: dict[str, Any], key: str) -> WebhookResult:
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = WebhookEvent.objects.create(
                    event_key=key,
                    event_type=body["event"],
                    environment=str(body.get("environment") or ""),
                    transaction_id=str(tx.get("id") or "")[:64],
                    reference=str(tx.get("reference"))[:64],
                    status=str(tx.get("status"))[:20].upper(),
                    payload={
                        "event": body["event"],
                        "data": {"transaction": redact_transaction(tx)},
                        "environment": body.get("environment"),
                        "signature": body["signature"],
                        "timestamp": body["timestamp"],
                        "sent_at": body.get("sent_at"),
                    },
                )
        except IntegrityError:
            return WebhookResult(200, "duplicate")
        outcome, payment = apply_transaction(tx, source="webhook")
        event.outcome = outcome
        event.payment = payment
        event.processed_at = timezone.now()
        event.save(update_fields=["outcome", "payment", "processed_at"])
    return WebhookResult(200, outcome)


def _stored_event(identifier: str) -> WebhookEvent:
    """By the event's public id, or the newest event of a Wompi transaction id (what an
    operator has in hand from Wompi's dashboard)."""
    try:
        return WebhookEvent.objects.get(public_id=uuid.UUID(identifier))
    except (ValueError, WebhookEvent.DoesNotExist):
        pass
    event = (
        WebhookEvent.objects.filter(transaction_id=identifier).order_by("-received_at").first()
        if identifier
        else None
    )
    if event is None:
        raise NotFound()
    return event


@dataclass(frozen=True)
class ReplayResult:
    outcome: str
    resent: str = ""  # the outcome (settled, failed) delivered again for a final payment

    def __str__(self) -> str:
        return f"{self.outcome} ({self.resent} outcome re-sent)" if self.resent else self.outcome


def replay_event(identifier: str) -> ReplayResult:
    """Re-apply a stored event (operators, after fixing a bug). Idempotent by design.

    If the payment was already final and stays so, its outcome is delivered again to its
    purpose's handler (handlers are idempotent): the way to recover a handler that failed.
    ``identifier`` is the event's public id or a Wompi transaction id; a payment reference
    (or a transaction id with no stored event, e.g. settled by polling) only re-sends the
    outcome of that final payment."""
    try:
        event = _stored_event(identifier)
    except NotFound:
        return _resend_for_payment(identifier)
    tx = event.payload.get("data", {}).get("transaction") or {}
    unchanged = None
    with transaction.atomic():
        before = (
            Payment.objects.select_for_update()
            .filter(reference=str(tx.get("reference") or ""))
            .values_list("status", flat=True)
            .first()
        )
        outcome, payment = apply_transaction(tx, source="replay")
        WebhookEvent.objects.filter(pk=event.pk).update(
            outcome=outcome, payment=payment, processed_at=timezone.now()
        )
        if payment is not None and before in FINAL_STATUSES and payment.status == before:
            unchanged = payment
    # After the payment's lock is released: a delivery in progress holds the outcome's row
    # and its handler may need the payment's lock (a refund).
    resent = _resend(unchanged) if unchanged is not None else ""
    audit.record(
        "payments.event_replayed",
        target=f"event:{event.public_id}",
        details={"outcome": outcome, "outcome_resent": resent},
    )
    return ReplayResult(outcome, resent)


def _resend(payment: Payment) -> str:
    with transaction.atomic():
        return outbox.resend(payment)


def _resend_for_payment(identifier: str) -> ReplayResult:
    payment = (
        Payment.objects.filter(Q(reference=identifier) | Q(wompi_transaction_id=identifier))
        .order_by("-created_at")
        .first()
        if identifier
        else None
    )
    if payment is None or payment.status not in FINAL_STATUSES:
        raise NotFound()
    resent = _resend(payment)
    audit.record(
        "payments.outcome_resent",
        target=f"payment:{payment.reference}",
        details={"outcome": resent, "status": payment.status},
    )
    return ReplayResult(WebhookEvent.Outcome.NOOP, resent)


# --- reconciliation -------------------------------------------------------------------------
def _fetch_transaction(payment: Payment) -> dict[str, Any] | None:
    gateway = get_gateway()
    if payment.wompi_transaction_id:
        return gateway.get_transaction(payment.wompi_transaction_id)
    found = gateway.find_transactions(payment.reference)
    if not found:
        return None
    # Prefer a final transaction (an approved one above all) over pending retries.
    rank = {"APPROVED": 0, "VOIDED": 1, "DECLINED": 2, "ERROR": 3, "PENDING": 4}
    return sorted(found, key=lambda t: rank.get(str(t.get("status")), 9))[0]


def fail_attempt(*, payment_reference: str, message: str) -> bool:
    """End a PENDING attempt that never reached the provider (ERROR, with ``message``):
    the purpose gets its PaymentFailed. False when it was not pending any more."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(reference=payment_reference).first()
        if payment is None or payment.status != PaymentStatus.PENDING:
            return False
        fail_payment(payment, {"status_message": message[:255]}, PaymentStatus.ERROR)
    return True


def _expire(payment_pk: int) -> bool:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_pk)
        if payment.status != PaymentStatus.PENDING:
            return False
        # For a VIP renewal Wompi never received, a failed attempt for dunning too.
        _end_failed(payment, PaymentStatus.EXPIRED)
    return True


def reconcile_pending(*, limit: int = 200) -> dict[str, int]:
    """Poll Wompi for payments pending longer than PAYMENT_RECONCILE_AFTER_MINUTES and
    apply what it says; expire payments past their expiry for which Wompi has no
    transaction (checkouts never paid, stored-card charges that never reached Wompi).
    Nothing expires while Wompi cannot be asked: a look-up error skips the payment."""
    now = timezone.now()
    cutoff = now - timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)
    counts = {"polled": 0, "applied": 0, "expired": 0, "errors": 0}
    stale = Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lte=cutoff)
    for payment in stale.order_by("created_at")[:limit]:
        counts["polled"] += 1
        try:
            tx = _fetch_transaction(payment)
        except WompiError as exc:
            counts["errors"] += 1
            logger.warning("Reconcile of %s failed: %s", payment.reference, exc)
            continue
        if tx is not None:
            with transaction.atomic():
                outcome, _ = apply_transaction(tx, source="poll")
            counts["applied"] += outcome == WebhookEvent.Outcome.APPLIED
            continue
        if payment.expires_at and payment.expires_at <= now and _expire(payment.pk):
            counts["expired"] += 1
    return counts


# --- refunds ---------------------------------------------------------------------------------
# A refund is decided under the payment's row lock (a Refund row, REQUESTED when Wompi
# can void it, else PENDING_MANUAL for staff) and taken to Wompi only after commit, with
# no lock held; the answer is recorded in a second short transaction. A refund whose
# call never happened (crash between commit and call) is retried by the reconcile beat.
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
        amount = payment.amount_cents if amount_cents is None else amount_cents
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise errors.InvalidAmount()
        if not 0 < amount <= payment.amount_cents:
            raise errors.InvalidAmount()
        refund = refund_payment(payment, reason, amount_cents=amount, actor=actor)
    refund.refresh_from_db()
    return refund


def refund_payment(
    payment: Payment, reason: str, *, amount_cents: int | None = None, actor: Any = None
) -> Refund:
    """Open the refund of a payment whose row the caller has locked (in a transaction)."""
    amount = payment.amount_cents if amount_cents is None else amount_cents
    existing = (
        payment.refunds.filter(extra_transaction=False)
        .exclude(status=Refund.Status.REJECTED)
        .first()
    )
    if existing is not None:
        return existing
    payment.refund_requested = True
    payment.save(update_fields=["refund_requested", "updated_at"])
    # Wompi voids only whole card transactions; everything else is refunded by staff.
    voidable = (
        payment.status == PaymentStatus.APPROVED
        and amount == payment.amount_cents
        and payment.method == "CARD"
        and bool(payment.wompi_transaction_id)
    )
    refund = _open_refund(
        payment, amount, reason, transaction_id=payment.wompi_transaction_id, voidable=voidable
    )
    audit.record(
        "payments.refund_requested",
        actor=actor,
        target=f"payment:{payment.reference}",
        details={"amount_cents": amount, "reason": reason, "outcome": refund.status},
    )
    return refund


def _open_refund(
    payment: Payment,
    amount: int,
    reason: str,
    *,
    transaction_id: str,
    voidable: bool,
    extra: bool = False,
) -> Refund:
    refund = Refund.objects.create(
        payment=payment,
        amount_cents=amount,
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
            _record_refund(payment, refund.amount_cents, f"Anulación: {refund.reason}")
            outbox.record(payment, Outcome.Kind.REFUNDED, amount_cents=refund.amount_cents)
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
            _record_refund(payment, refund.amount_cents, f"Reembolso manual: {refund.reason}")
            outbox.record(payment, Outcome.Kind.REFUNDED, amount_cents=refund.amount_cents)
        audit.record(
            "payments.refund_completed",
            actor=staff,
            target=f"payment:{refund.payment.reference}",
            details={"amount_cents": refund.amount_cents},
        )
    return refund


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES
