"""Shop's handler of payment outcomes for its purpose (declared in the plugin)."""

from __future__ import annotations

from modules.payments.public import PaymentOutcome, PaymentSettled
from modules.shop import orders


def handle(outcome: PaymentOutcome) -> None:
    """A settled order payment marks the order paid (or flags a late or duplicate payment
    for refund). Failures and refunds need nothing: the hold expires on its own."""
    if isinstance(outcome, PaymentSettled):
        orders.mark_paid(
            outcome.ref,
            payment_reference=outcome.payment_reference,
            amount_cents=outcome.amount_cents,
        )
