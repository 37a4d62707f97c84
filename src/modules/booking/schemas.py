"""Request/response schemas: the typed OpenAPI contract of /api/booking/."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from ninja import Field, Schema


class CategoryOut(Schema):
    slug: str
    name: str


class ServiceOut(Schema):
    code: str
    name: str
    description: str
    category: CategoryOut | None
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    price_cents: int
    vip_price_cents: int | None
    currency: str
    deposit_percent: int
    resource_kind: str


class TherapistOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str = Field(..., alias="display_name")
    bio: str


class SlotTherapist(Schema):
    id: str
    name: str


class SlotOut(Schema):
    start: datetime
    end: datetime
    therapists: list[str]


class AvailabilityOut(Schema):
    service: str
    timezone: str
    granularity_minutes: int
    duration_minutes: int
    date_from: date
    date_to: date
    therapists: list[SlotTherapist]
    slots: list[SlotOut]


class BookIn(Schema):
    service: str = Field(..., max_length=60, description="Código del servicio")
    start: datetime = Field(..., description="Inicio ISO-8601 con zona horaria")
    therapist: uuid.UUID | None = None
    client: uuid.UUID | None = Field(None, description="Solo recepción/admin")
    client_phone: str = Field("", max_length=20, description="Solo recepción/admin")
    notes: str = Field("", max_length=2000)


class RescheduleIn(Schema):
    start: datetime
    therapist: uuid.UUID | None = None


class CancelIn(Schema):
    reason: str = Field("", max_length=300)


class NamedRef(Schema):
    id: uuid.UUID
    name: str


class EventOut(Schema):
    kind: str
    from_status: str
    to_status: str
    old_start: datetime | None
    new_start: datetime | None
    created_at: datetime


class AppointmentOut(Schema):
    id: uuid.UUID
    status: str
    service: str
    service_name: str
    therapist: NamedRef
    room: NamedRef | None
    client: NamedRef
    start: datetime
    end: datetime
    price_cents: int
    vip_price_applied: bool
    currency: str
    deposit_cents: int
    deposit_paid_cents: int
    hold_expires_at: datetime | None
    notes: str
    cancelled_by: str
    cancelled_at: datetime | None


class AppointmentDetailOut(AppointmentOut):
    history: list[EventOut]


class CheckoutOut(Schema):
    reference: str
    amount_in_cents: int
    currency: str
    public_key: str
    signature_integrity: str
    redirect_url: str
    expiration_time: str | None
    checkout_url: str
    status: str


class BookingOut(Schema):
    appointment: AppointmentOut
    checkout: CheckoutOut | None


class CancelOut(Schema):
    appointment: AppointmentOut
    refund_requested: bool
    deposit_kept_cents: int
