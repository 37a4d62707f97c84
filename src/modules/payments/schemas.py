"""Request/response schemas of /api/finances/ (the OpenAPI contract). VIP membership's,
under /api/finances/vip/, are membership's (modules/membership/schemas.py)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Field, Schema

from platform_core.schemas import InputSchema, TrueFlag, body_example


class TenderIn(InputSchema):
    """A tender offered with a checkout (booking, shop): a gift card's code, a package
    credit's, ... — kinds are what the enabled plugins accept (docs/payments.md)."""

    model_config = body_example({"kind": "gift_card", "code": "7Q2K-M9XH-3TBD-PW4J"})

    kind: str = Field(..., min_length=1, max_length=32, description="Tender kind, e.g. gift_card.")
    code: str = Field(..., min_length=1, max_length=128, description="The tender's code.")


class AppliedTenderOut(Schema):
    kind: str
    label: str = Field(description="What a receipt shows, masked (Spanish).")
    amount_cents: int = Field(description="Value it paid, in cents of COP.")


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


class CardAcceptanceOut(Schema):
    """Wompi's documents a client accepts before a card is saved, with their tokens."""

    acceptance_token: str
    acceptance_permalink: str
    personal_data_token: str
    personal_data_permalink: str
    public_key: str
    tokens_url: str


class SaveCardIn(InputSchema):
    model_config = body_example(
        {
            "card_token": "tok_test_41961_a1B2c3D4e5F6",
            "acceptance_token": "eyJhbGciOiJIUzI1NiJ9.eyJjb250cmFjdF9pZCI6MX0.c2ln",
            "personal_data_token": "eyJhbGciOiJIUzI1NiJ9.eyJjb250cmFjdF9pZCI6Mn0.c2ln",
            "accept_terms": True,
            "accept_personal_data": True,
            "acceptance_permalink": "https://wompi.com/assets/downloadble/reglamento-Usuarios-Colombia.pdf",
        }
    )

    # Which tokens are valid only Wompi knows: an unknown or spent one is 422 card_rejected.
    card_token: str = Field(
        ..., min_length=3, max_length=120, json_schema_extra={"format": "wompi-token"}
    )
    acceptance_token: str = Field(..., min_length=1, max_length=4096)
    personal_data_token: str = Field(..., min_length=1, max_length=4096)
    accept_terms: TrueFlag
    accept_personal_data: TrueFlag
    acceptance_permalink: str = Field("", max_length=500)
    personal_data_permalink: str = Field("", max_length=500)


class SavedCardOut(Schema):
    id: UUID
    brand: str
    last_four: str
    status: str
    accepted_at: datetime
    acceptance_permalink: str
    personal_data_permalink: str
    created_at: datetime
    updated_at: datetime


# Descriptions of this module's fields and parameters (platform_core.schemas.document_fields).
FIELD_DOCS: dict[str, str] = {
    "purpose": "What the payment is for (booking deposit, shop order, VIP).",
    "purpose_ref": "The paid object's reference in its module.",
    "amount_cents": "Amount in minor units (COP cents).",
    "tendered_cents": "Part paid by tenders (gift cards, package credits), in COP cents.",
    "CheckoutOut.tenders": "The tenders applied to this checkout, in the order they paid.",
    "OrderPaymentOut.tenders": "The tenders applied to this checkout, in the order they paid.",
    "settled": "True when tenders paid everything: nothing to pay at Wompi (no checkout URL).",
    "PaymentOut.status": "PENDING, APPROVED, DECLINED, VOIDED, ERROR or EXPIRED.",
    "method": "Payment method Wompi reported (CARD, PSE, NEQUI, …), or empty.",
    "needs_review": "Whether staff must look at it (an amount or state Wompi disputes).",
    "finalized_at": "When Wompi gave the final status, or null.",
    "ok": "Always true: the event was received.",
    "outcome": "What the event did (applied, duplicate, ignored_*, …).",
    "path.reference": "The payment's reference (SZ-…).",
    "acceptance_token": "Wompi's token for its end-user terms (END_USER_POLICY).",
    "acceptance_permalink": "The terms document the client accepted (Wompi's URL).",
    "personal_data_token": "Wompi's token for the personal-data authorisation.",
    "personal_data_permalink": "The personal-data document the client accepted (Wompi's URL).",
    "public_key": "Wompi's public key: the Bearer for tokenizing the card.",
    "tokens_url": (
        "Where the browser tokenizes the card: POST it with the public key as Bearer and "
        "{number, cvc, exp_month, exp_year, card_holder}; send the tok_… it returns as "
        "card_token (the local sandbox in development: 4242 4242 4242 4242 approves)."
    ),
    "card_token": "The tok_… Wompi returned when the browser tokenized the card.",
    "accept_terms": "The client accepted Wompi's terms (must be true).",
    "accept_personal_data": "The client authorised the personal-data processing (must be true).",
    "SavedCardOut.id": "The saved card's id.",
    "brand": "The card's brand (VISA, MASTERCARD, …).",
    "last_four": "The card's last four digits: all that is shown of it.",
    "SavedCardOut.status": "The payment source's status at Wompi (AVAILABLE).",
    "accepted_at": "When the client accepted Wompi's documents for this card.",
    "SavedCardOut.updated_at": "When the card was last saved or replaced.",
    "path.transaction_id": "Wompi's transaction id (the `id` Wompi adds to the redirect URL).",
}
