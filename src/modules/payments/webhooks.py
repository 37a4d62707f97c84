"""Webhook intake: verify Wompi's event, store it once per meaning, apply it; and the
operators' replay of a stored event (or the re-send of a final payment's outcome)."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from modules.payments import outbox
from modules.payments.models import FINAL_STATUSES, Payment, WebhookEvent
from modules.payments.settlement import apply_transaction, redact_transaction
from modules.payments.wompi.signatures import MalformedEvent, verify_event
from platform_core import audit
from platform_core.errors import NotFound

logger = logging.getLogger(__name__)


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
        # A "\ud800" escape decodes to half a UTF-16 pair, text no encoder takes: neither the
        # checksum (UTF-8) nor the database could use it, and Wompi never sends one.
        json.dumps(body, ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # Unicode errors are ValueErrors; Recursion: nesting
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
