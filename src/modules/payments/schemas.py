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
