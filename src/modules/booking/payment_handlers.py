"""Booking's handler of payment outcomes for its purpose (declared in the plugin)."""

from __future__ import annotations

import logging

from modules.booking import deposits, fees
from modules.payments.public import PaymentFailed, PaymentOutcome, PaymentSettled

logger = logging.getLogger(__name__)


def handle(outcome: PaymentOutcome) -> None:
    """A deposit settled confirms the appointment (or refunds it); a failed attempt is
    recorded. Idempotent: a re-delivered outcome changes nothing."""
    if isinstance(outcome, PaymentSettled):
        result = deposits.handle_deposit_settled(
            ref=outcome.ref,
            payment_reference=outcome.payment_reference,
            amount_cents=outcome.amount_cents,
        )
        logger.info("deposit for appointment %s settled: %s", outcome.ref, result)
    elif isinstance(outcome, PaymentFailed):
        deposits.handle_deposit_failed(
            ref=outcome.ref, payment_reference=outcome.payment_reference, status=outcome.status
        )


def handle_fee(outcome: PaymentOutcome) -> None:
    """Purpose ``booking.fee``: a no-show / late-cancellation fee's card-on-file attempt
    was approved (CHARGED, receipt) or failed (retry or UNPAID). Idempotent."""
    if isinstance(outcome, PaymentSettled):
        result = fees.on_settled(ref=outcome.ref, payment_reference=outcome.payment_reference)
        logger.info("fee %s settled: %s", outcome.ref, result)
    elif isinstance(outcome, PaymentFailed):
        fees.on_failed(
            ref=outcome.ref, payment_reference=outcome.payment_reference, status=outcome.status
        )
