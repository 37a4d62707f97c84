"""Reconciliation: poll Wompi for payments left pending, and expire the ones it never
saw (beat ``payments.reconcile``)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from modules.payments.models import Payment, PaymentStatus, WebhookEvent
from modules.payments.settlement import apply_transaction, end_failed
from modules.payments.wompi.gateway import WompiError, get_gateway

logger = logging.getLogger(__name__)


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


def _expire(payment_pk: int) -> bool:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_pk)
        if payment.status != PaymentStatus.PENDING:
            return False
        # For a VIP renewal Wompi never received, a failed attempt for dunning too.
        end_failed(payment, PaymentStatus.EXPIRED)
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
