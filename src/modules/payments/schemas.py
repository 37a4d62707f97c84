"""Request/response schemas of /api/finances/ (the OpenAPI contract). VIP membership's,
under /api/finances/vip/, are membership's (modules/membership/schemas.py)."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema


class PaymentOut(Schema):
    reference: str
    purpose: str
    purpose_ref: str
    amount_cents: int
    currency: str
    status: str
    method: str
    needs_review: bool
    expires_at: datetime | None
    finalized_at: datetime | None
    created_at: datetime


class CheckoutResultOut(Schema):
    """What the payment result page may show without a login: status and amount only."""

    status: str = Field(
        description="PENDING, APPROVED, DECLINED, VOIDED, ERROR or EXPIRED (our record)."
    )
    purpose: str = Field(description="What was paid: booking, shop order or VIP membership.")
    amount_cents: int = Field(description="Amount in cents of COP (6200000 = $ 62.000).")
    currency: str = Field(description="Always COP.")


class WebhookAck(Schema):
    ok: bool
    outcome: str


# Descriptions of this module's fields and parameters (platform_core.schemas.document_fields).
FIELD_DOCS: dict[str, str] = {
    "purpose": "What the payment is for (booking deposit, shop order, VIP).",
    "purpose_ref": "The paid object's reference in its module.",
    "amount_cents": "Amount in minor units (COP cents).",
    "PaymentOut.status": "PENDING, APPROVED, DECLINED, VOIDED, ERROR or EXPIRED.",
    "method": "Payment method Wompi reported (CARD, PSE, NEQUI, …), or empty.",
    "needs_review": "Whether staff must look at it (an amount or state Wompi disputes).",
    "finalized_at": "When Wompi gave the final status, or null.",
    "ok": "Always true: the event was received.",
    "outcome": "What the event did (applied, duplicate, ignored_*, …).",
    "path.reference": "The payment's reference (SZ-…).",
    "path.transaction_id": "Wompi's transaction id (the `id` Wompi adds to the redirect URL).",
}
