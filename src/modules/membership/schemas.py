"""Request/response schemas of /api/finances/vip/ (the OpenAPI contract; the paths and
shapes are the ones payments served before the move)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Field, Schema

from platform_core.schemas import InputSchema, TrueFlag, body_example


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


class SubscribeIn(InputSchema):
    model_config = body_example(
        {
            "plan_code": "vip-mensual",
            "card_token": "tok_test_41961_a1B2c3D4e5F6",
            "acceptance_token": "eyJhbGciOiJIUzI1NiJ9.eyJjb250cmFjdF9pZCI6MX0.c2ln",
            "personal_data_token": "eyJhbGciOiJIUzI1NiJ9.eyJjb250cmFjdF9pZCI6Mn0.c2ln",
            "accept_terms": True,
            "accept_personal_data": True,
        }
    )

    plan_code: str = Field(..., min_length=1, max_length=40)
    # Which tokens are valid only Wompi knows (it issued them): the schema names the rule as
    # a format; an unknown or spent token is 422 `card_rejected`.
    card_token: str = Field(
        ...,
        min_length=3,
        max_length=120,
        description="tok_… de Wompi",
        json_schema_extra={"format": "wompi-token"},
    )
    acceptance_token: str = Field(..., min_length=1, max_length=4096)
    personal_data_token: str = Field(..., min_length=1, max_length=4096)
    # Both must be true (Wompi refuses a charge without them): the schema says so.
    accept_terms: TrueFlag = Field(
        ..., description="El usuario aceptó el reglamento de Wompi (debe ser true)"
    )
    accept_personal_data: TrueFlag = Field(
        ..., description="El usuario autorizó el tratamiento de datos personales (debe ser true)"
    )
    acceptance_permalink: str = Field("", max_length=500)
    personal_data_permalink: str = Field("", max_length=500)


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


# Descriptions of this module's fields and parameters (platform_core.schemas.document_fields).
FIELD_DOCS: dict[str, str] = {
    "VipPlanOut.code": "The plan's code: pass it as plan_code to subscribe.",
    "acceptance_token": "Wompi's acceptance token of its terms (from GET vip/acceptance/).",
    "acceptance_permalink": "Link to Wompi's terms the user accepted.",
    "personal_data_token": "Wompi's token for the personal-data authorization.",
    "personal_data_permalink": "Link to Wompi's personal-data policy the user accepted.",
    "plan_code": "The VIP plan's code (GET vip/plans/).",
    "plan": "The subscribed plan.",
    "SubscriptionOut.status": "ACTIVE, PAST_DUE, CANCELLED or EXPIRED.",
    "card_brand": "Brand of the card on file (VISA, MASTERCARD, …).",
    "card_last_four": "Last four digits of the card on file.",
    "current_period_start": "Start of the paid period, or null.",
    "current_period_end": "End of the paid period (renewal date), or null.",
    "cancel_at_period_end": "true: the membership ends at current_period_end, no renewal.",
    "next_retry_at": "When a failed renewal is charged again, or null.",
}
