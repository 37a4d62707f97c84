"""Vouchers' handler of payment outcomes for its two purposes (declared in the plugin).
Payments delivers each outcome at least once after the settling transaction committed, so
every branch is idempotent (the services lock the row and look at its state)."""

from __future__ import annotations

from modules.payments.public import PaymentFailed, PaymentOutcome, PaymentRefunded, PaymentSettled
from modules.vouchers import gift_cards, packages, ports


def handle(outcome: PaymentOutcome) -> None:
    gift_card = outcome.purpose == ports.PURPOSE_GIFT_CARD
    if isinstance(outcome, PaymentSettled):
        activate = gift_cards.activate if gift_card else packages.activate
        activate(
            ref=outcome.ref,
            payment_reference=outcome.payment_reference,
            amount_cents=outcome.amount_cents,
        )
    elif isinstance(outcome, PaymentFailed):
        (gift_cards.cancel_unpaid if gift_card else packages.cancel_unpaid)(ref=outcome.ref)
    elif isinstance(outcome, PaymentRefunded):
        if gift_card:
            gift_cards.purchase_refunded(ref=outcome.ref)
        else:
            packages.payment_refunded(ref=outcome.ref, amount_cents=outcome.amount_cents)
