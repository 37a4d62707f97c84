"""Request/response schemas of /api/finances/ (the OpenAPI contract)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

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


class VipPlanOut(Schema):
    code: str
    name: str
    description: str
    price_cents: int
    currency: str


class AcceptanceOut(Schema):
    acceptance_token: str
    acceptance_permalink: str
    personal_data_token: str
    personal_data_permalink: str
    public_key: str
    tokens_url: str = Field(
        description=(
            "Where the browser tokenizes the card: POST this URL with the public key as "
            "Bearer and {number, cvc, exp_month, exp_year, card_holder}; send the tok_… "
            "it returns as card_token. Wompi's API in production, the local sandbox in "
            "development (test card 4242 4242 4242 4242 approves, 4111 1111 1111 1111 declines)."
        )
    )


class SubscribeIn(Schema):
    plan_code: str = Field(..., max_length=40)
    card_token: str = Field(..., min_length=3, max_length=120, description="tok_… de Wompi")
    acceptance_token: str = Field(..., min_length=1)
    personal_data_token: str = Field(..., min_length=1)
    accept_terms: bool = Field(..., description="El usuario aceptó el reglamento de Wompi")
    accept_personal_data: bool = Field(
        ..., description="El usuario autorizó el tratamiento de datos personales"
    )
    acceptance_permalink: str = ""
    personal_data_permalink: str = ""


class SubscriptionOut(Schema):
    id: UUID = Field(..., alias="public_id")
    plan: VipPlanOut
    status: str
    card_brand: str
    card_last_four: str
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    next_retry_at: datetime | None
