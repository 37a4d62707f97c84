"""The VIP purpose's payment-outcome handler, declared in membership's plugin
(``payment_handlers``): payments delivers the typed outcome after the settling
transaction committed, at least once, so every branch is idempotent."""

from __future__ import annotations

from modules.membership import services
from modules.payments.public import PaymentFailed, PaymentOutcome, PaymentSettled


def handle_outcome(outcome: PaymentOutcome) -> None:
    if isinstance(outcome, PaymentSettled):
        services.on_payment_settled(
            ref=outcome.ref,
            payment_reference=outcome.payment_reference,
            user_id=outcome.user_id,
        )
    elif isinstance(outcome, PaymentFailed):
        services.on_payment_failed(payment_reference=outcome.payment_reference)
