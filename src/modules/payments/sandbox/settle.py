"""Pay an open checkout in the in-process sandbox, for demo data (never in production).

The attempt is paid as a client would pay it on the sandbox's Web Checkout, with the card
the sandbox approves: the sandbox creates the APPROVED transaction and signs Wompi's
``transaction.updated`` event, and that event goes through the real webhook intake
(checksum, stored event, settlement, ledger entries, outcome row). The outcome is then
delivered at once, inside the caller's transaction, so the purpose's handler has run when
this returns (seed_demo runs each module's seed in one transaction and continues from the
state the handler left); the after-commit delivery finds it delivered and does nothing.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings

from modules.payments import outbox
from modules.payments.checkout import checkout_for
from modules.payments.models import Payment, PaymentStatus
from modules.payments.sandbox.inprocess import get_sandbox
from modules.payments.webhooks import process_wompi_event
from platform_core.errors import NotFound

APPROVED_CARD = "4242424242424242"  # sandbox.core.card_outcome approves it


class SandboxUnavailable(RuntimeError):
    """Settling through the sandbox was asked where Wompi is real (or in production)."""


def available() -> bool:
    """The in-process sandbox stands in for Wompi here (never true in production)."""
    return settings.WOMPI_ADAPTER == "sandbox" and not settings.PRODUCTION


def settle(payment_reference: str) -> str:
    """Pay the PENDING attempt ``payment_reference`` with the sandbox's approved card and
    apply the signed event now. Returns how the webhook applied it (``applied``); a payment
    no longer pending is left alone and its status returned in lower case."""
    if not available():
        raise SandboxUnavailable("settling in the sandbox needs WOMPI_ADAPTER=sandbox")
    payment = Payment.objects.filter(reference=payment_reference).first()
    if payment is None:
        raise NotFound()
    if payment.status != PaymentStatus.PENDING:
        return payment.status.lower()
    params = dict(parse_qsl(urlsplit(checkout_for(payment).checkout_url).query))
    events: list[dict[str, Any]] = []
    status, body = get_sandbox().pay_checkout(
        params, {"type": "CARD", "number": APPROVED_CARD}, on_event=events.append
    )
    if status >= 400 or not events:
        raise SandboxUnavailable(f"the sandbox refused the checkout: {body}")
    event = events[-1]
    result = process_wompi_event(
        json.dumps(event).encode(), header_checksum=event["signature"]["checksum"]
    )
    for pk in (
        payment.outcomes.filter(delivered_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        outbox.deliver(pk)
    return result.outcome
