"""Request/response schemas: the typed OpenAPI contract of /api/booking/."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema

from modules.payments.public import AppliedTenderOut, TenderIn
from platform_core.output_schema import OutputSchema
from platform_core.schemas import AwareDateTime, InputSchema, IsoDate, Phone, body_example

TENDERS_DOC = (
    "Gift cards or package credits paying before Wompi (at most 3, applied in order): with "
    "tenders the deposit is due, or the whole price of a service without one; fully covered, "
    "the appointment is confirmed at once."
)


class CategoryOut(Schema):
    slug: str
    name: str


class PhaseOut(Schema):
    kind: Literal["active", "processing"]
    minutes: int


class GuaranteeOut(Schema):
    policy: Literal["none", "deposit", "card"]
    requires_card: bool
    deposit_cents: int
    no_show_fee_cents: int
    no_show_fee_percent: int
    late_cancel_fee_cents: int
    late_cancel_fee_percent: int
    late_cancel_hours: int
    text: str


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
    phases: list[PhaseOut]
    guarantee: GuaranteeOut

    @staticmethod
    def resolve_phases(obj: Any) -> list[dict[str, Any]]:
        return [{"kind": kind, "minutes": minutes} for kind, minutes in obj.phases()]

    @staticmethod
    def resolve_guarantee(obj: Any) -> dict[str, Any]:
        from dataclasses import asdict

        from modules.booking.policy import terms

        return asdict(terms(obj))


class TherapistOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str = Field(..., alias="display_name")
    bio: str


class SlotTherapist(OutputSchema):
    id: str
    name: str


class SlotOut(OutputSchema):
    start: datetime
    end: datetime
    therapists: list[str]


class AvailabilityOut(OutputSchema):
    service: str
    timezone: str
    granularity_minutes: int
    duration_minutes: int
    date_from: date
    date_to: date
    therapists: list[SlotTherapist]
    slots: list[SlotOut]


class BookIn(InputSchema):
    model_config = body_example(
        {
            "service": "MASAJE-RELAX-60",
            "start": "2030-01-15T10:00:00-05:00",
            "therapist": "b2c4d6e8-1a3c-4e5f-8a7b-9c0d1e2f3a4b",
            "notes": "Prefiero presión suave",
        }
    )

    service: str = Field(..., min_length=1, max_length=60, description="Código del servicio")
    start: AwareDateTime = Field(..., description="Inicio ISO-8601 con zona horaria")
    therapist: uuid.UUID | None = None
    client: uuid.UUID | None = Field(None, description="Solo recepción/admin")
    client_phone: str = Phone("", description="Solo recepción/admin")
    notes: str = Field("", max_length=2000)
    accept_policy: bool = False
    tenders: list[TenderIn] = Field(default_factory=list, max_length=3, description=TENDERS_DOC)


class PayAgainIn(InputSchema):
    model_config = body_example({"tenders": [{"kind": "gift_card", "code": "7Q2K-M9XH-3TBD-PW4J"}]})

    tenders: list[TenderIn] = Field(default_factory=list, max_length=3, description=TENDERS_DOC)


class RescheduleIn(InputSchema):
    model_config = body_example({"start": "2030-01-16T15:30:00-05:00", "therapist": None})

    start: AwareDateTime
    therapist: uuid.UUID | None = None


class CancelIn(InputSchema):
    model_config = body_example({"reason": "Tengo un viaje de trabajo"})

    reason: str = Field("", max_length=300)


class NamedRef(OutputSchema):
    id: uuid.UUID
    name: str


class EventOut(OutputSchema):
    kind: str
    from_status: str
    to_status: str
    old_start: datetime | None
    new_start: datetime | None
    created_at: datetime


class AppointmentOut(OutputSchema):
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


class ConsentOut(OutputSchema):
    policy_text: str
    no_show_fee_cents: int
    late_cancel_fee_cents: int
    late_cancel_hours: int
    card: str
    via: Literal["api", "assistant", "desk", "waitlist"]
    accepted_at: datetime


class FeeOut(Schema):
    id: uuid.UUID
    appointment: uuid.UUID
    kind: Literal["no_show", "late_cancel"]
    kind_label: str
    status: Literal["DUE", "CHARGING", "CHARGED", "UNPAID", "WAIVED", "REFUNDED"]
    status_label: str
    amount_cents: int
    amount: str
    attempts: int
    next_try_at: datetime | None
    last_error: str
    payment_reference: str
    charged_at: datetime | None
    client: str
    service_name: str
    start: datetime
    waived_at: datetime | None
    waive_reason: str
    refunded_at: datetime | None
    refund_reason: str


class DeskFeeOut(FeeOut):
    actions: list[Literal["waive", "refund"]] = Field(
        description="What the caller may do now: waive (not charged yet) or refund (charged)"
    )


class AppointmentDetailOut(AppointmentOut):
    history: list[EventOut]
    guarantee: ConsentOut | None
    fees: list[FeeOut]


class CheckoutOut(OutputSchema):
    reference: str
    amount_in_cents: int
    currency: str
    public_key: str
    signature_integrity: str
    redirect_url: str
    expiration_time: str | None
    checkout_url: str
    status: str
    total_cents: int = 0
    tendered_cents: int = 0
    tenders: list[AppliedTenderOut] = []
    settled: bool = False


class BookingOut(OutputSchema):
    appointment: AppointmentOut
    checkout: CheckoutOut | None
    guarantee: ConsentOut | None = None


class CancelOut(OutputSchema):
    appointment: AppointmentOut
    refund_requested: bool
    deposit_kept_cents: int
    fee_cents: int


# A wall-clock time of day, HH:MM (24 h, Bogotá): JSON Schema's `time` format would ask for
# seconds and an offset, which a time of day has not.
CLOCK_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class WaitlistJoinIn(InputSchema):
    model_config = body_example(
        {
            "service": "MASAJE-RELAX-60",
            "date_from": "2030-01-15",
            "date_to": "2030-01-20",
            "therapist": "b2c4d6e8-1a3c-4e5f-8a7b-9c0d1e2f3a4b",
            "time_from": "14:00",
            "time_to": "18:00",
        }
    )

    service: str = Field(..., min_length=1, max_length=60)
    date_from: IsoDate
    date_to: IsoDate
    therapist: uuid.UUID | None = None
    time_from: str | None = Field(None, pattern=CLOCK_TIME)
    time_to: str | None = Field(None, pattern=CLOCK_TIME)


class WaitlistOfferOut(Schema):
    id: str
    start: datetime
    expires_at: datetime
    therapist: str


class WaitlistDeclineOut(Schema):
    offer_id: uuid.UUID
    declined_at: datetime
    passed_on: bool


class WaitlistEntryOut(Schema):
    id: uuid.UUID
    status: Literal["WAITING", "BOOKED", "LEFT", "EXPIRED"]
    service: str
    service_name: str
    therapist: NamedRef | None
    date_from: date
    date_to: date
    time_from: str | None
    time_to: str | None
    joined_at: datetime
    appointment: uuid.UUID | None
    offer: WaitlistOfferOut | None


# Descriptions of this module's fields and parameters (platform_core.schemas.document_fields).
_APPOINTMENT_STATUSES = "PENDING_PAYMENT, CONFIRMED, COMPLETED, NO_SHOW, CANCELLED or EXPIRED."
FIELD_DOCS: dict[str, str] = {
    "CategoryOut.slug": "URL-safe identifier of the service category.",
    "ServiceOut.code": "The service's code: pass it as `service` to availability and booking.",
    "ServiceOut.category": "The service's category, or null.",
    "duration_minutes": "Length of the treatment, in minutes.",
    "buffer_before_minutes": "Minutes the therapist is kept free before the treatment.",
    "buffer_after_minutes": "Minutes the therapist is kept free after the treatment.",
    "deposit_percent": "Share of the price paid when booking (0 means no deposit).",
    "resource_kind": "The kind of room the treatment needs, or empty when none.",
    "ServiceOut.phases": (
        "The treatment's phases in order (their minutes add up to duration_minutes): one "
        "active phase, or active / processing / active when the service has processing "
        "time, during which the therapist may take another client and the room stays taken."
    ),
    "PhaseOut.kind": (
        "active: the therapist works; processing: the product acts, the therapist is free."
    ),
    "PhaseOut.minutes": "Length of the phase, in minutes.",
    "TherapistOut.bio": "Short presentation of the therapist.",
    "SlotTherapist.id": "The therapist's id (UUID): pass it as `therapist` to book them.",
    "SlotOut.therapists": "Ids of the therapists free at this start (names in `therapists`).",
    "AvailabilityOut.service": "The service's code.",
    "granularity_minutes": "Minutes between two possible starts (the agenda's grid).",
    "date_from": "First day searched (YYYY-MM-DD, Bogotá).",
    "date_to": "Last day searched (YYYY-MM-DD, Bogotá; at most 31 days after date_from).",
    "AvailabilityOut.therapists": "The therapists that appear in the slots, once each.",
    "slots": "Bookable starts, in order.",
    "BookIn.therapist": "A therapist's id to book them; omitted: any therapist free then.",
    "BookIn.notes": "Notes for the spa (allergies, preferences).",
    "RescheduleIn.start": "The new start (ISO 8601 with offset, e.g. 2030-01-15T10:00:00-05:00).",
    "RescheduleIn.therapist": "A therapist's id; omitted: keep the current one if free.",
    "CancelIn.reason": "Why the appointment is cancelled (optional).",
    "NamedRef.id": "Public identifier (UUID).",
    "NamedRef.name": "Display name.",
    "kind": "What happened (booked, confirmed, rescheduled, cancelled, …).",
    "from_status": "Status before the event.",
    "to_status": "Status after the event.",
    "old_start": "Start before a reschedule, or null.",
    "new_start": "Start after a reschedule, or null.",
    "AppointmentOut.status": _APPOINTMENT_STATUSES,
    "AppointmentDetailOut.status": _APPOINTMENT_STATUSES,
    "AppointmentOut.service": "The service's code.",
    "AppointmentDetailOut.service": "The service's code.",
    "service_name": "The service's name.",
    "therapist": "The therapist.",
    "room": "The room, or null when the treatment needs none.",
    "client": "The client the appointment is for.",
    "vip_price_applied": "Whether the VIP price was charged.",
    "deposit_cents": "Deposit due in minor units (0 when none).",
    "deposit_paid_cents": "Deposit paid so far, in minor units.",
    "hold_expires_at": "When an unpaid booking is released (ISO 8601 with offset), or null.",
    "cancelled_by": "Who cancelled: client, spa or system (empty when not cancelled).",
    "cancelled_at": "When it was cancelled (ISO 8601 with offset), or null.",
    "history": "What happened to the appointment, oldest first.",
    "CheckoutOut.public_key": "Wompi public key.",
    "signature_integrity": "Wompi integrity signature of the checkout (computed by the server).",
    "redirect_url": "Where Wompi sends the browser after paying.",
    "CheckoutOut.status": "The payment's status (PENDING until Wompi reports).",
    "appointment": "The appointment.",
    "checkout": "The deposit's checkout, or null when no deposit is due.",
    "deposit_kept_cents": "Deposit kept by the spa (late cancellation), in minor units.",
    "CancelOut.fee_cents": (
        "Late-cancellation fee charged to the card on file (card-guarantee bookings "
        "cancelled inside the late window), in minor units; 0 when none."
    ),
    "query.category": "Only services of this category (slug).",
    "query.service": "A service's code.",
    "path.code": "A service's code.",
    "query.date_from": "First day (YYYY-MM-DD, Bogotá).",
    "query.date_to": "Last day (YYYY-MM-DD); the search covers at most 31 days.",
    "query.therapist": "Only this therapist (id).",
    "query.date": "The day (YYYY-MM-DD, Bogotá); today when omitted.",
    "query.view": "day, or week (seven days from date).",
    "query.room": "Only this room (id).",
    "query.upcoming": "true: only future appointments; false: only past ones.",
    "path.appointment_id": "The appointment's id (UUID).",
}
FIELD_DOCS["query.status"] = "Only appointments or orders in this status."

# Guarantee policies and fees (docs/booking.md "Guarantee policies", "Fees").
FIELD_DOCS.update(
    {
        "ServiceOut.guarantee": (
            "What the service asks to hold a slot, with the Spanish text to show before "
            "booking: nothing, a deposit, or a card on file charged a fee on a no-show or a "
            "late cancellation (amounts at the list price)."
        ),
        "GuaranteeOut.policy": "none, deposit, or card (a card guarantee).",
        "GuaranteeOut.requires_card": (
            "True: booking needs a saved card (/api/finances/cards/mine/) and accept_policy."
        ),
        "GuaranteeOut.deposit_cents": "The deposit at the list price (0 when none).",
        "GuaranteeOut.no_show_fee_cents": "The no-show fee at the list price (0 when none).",
        "GuaranteeOut.no_show_fee_percent": "The no-show fee's percentage of the price (0: fixed).",
        "GuaranteeOut.late_cancel_fee_cents": (
            "The late-cancellation fee at the list price (0 when none)."
        ),
        "GuaranteeOut.late_cancel_fee_percent": (
            "The late-cancellation fee's percentage of the price (0: fixed)."
        ),
        "GuaranteeOut.late_cancel_hours": (
            "Hours before the start from which cancelling costs the deposit or the fee."
        ),
        "GuaranteeOut.text": "The policy in Spanish, as the client must read it before booking.",
        "BookIn.accept_policy": (
            "The client accepts the service's card-guarantee policy (ServiceOut.guarantee.text); "
            "required, with a saved card, to book a card-guarantee service."
        ),
        "BookingOut.guarantee": "The policy the client accepted, or null.",
        "AppointmentDetailOut.guarantee": "The card-guarantee policy accepted, or null.",
        "AppointmentDetailOut.fees": "No-show / late-cancellation fees of the appointment.",
        "ConsentOut.policy_text": "The policy text the client accepted.",
        "ConsentOut.no_show_fee_cents": "No-show fee for this appointment (its price applied).",
        "ConsentOut.late_cancel_fee_cents": "Late-cancellation fee for this appointment.",
        "ConsentOut.late_cancel_hours": "The late window accepted, in hours before the start.",
        "ConsentOut.card": "The saved card when the policy was accepted (brand, last four).",
        "ConsentOut.via": "Where it was accepted: api, assistant, desk (for the client), waitlist.",
        "ConsentOut.accepted_at": "When it was accepted.",
        "FeeOut.id": "The fee's id (UUID).",
        "FeeOut.appointment": "The appointment's id (UUID).",
        "FeeOut.kind": "no_show or late_cancel.",
        "FeeOut.kind_label": "The kind in Spanish.",
        "FeeOut.status": (
            "DUE (to be charged, next_try_at), CHARGING (an attempt at Wompi), CHARGED, "
            "UNPAID (attempts exhausted or no card: staff decide), WAIVED, REFUNDED."
        ),
        "FeeOut.status_label": "The status in Spanish.",
        "FeeOut.amount_cents": "The fee, in COP cents.",
        "FeeOut.amount": "The fee as a person reads it.",
        "FeeOut.attempts": "Charge attempts made so far.",
        "FeeOut.next_try_at": "When the next attempt is due (DUE only), or null.",
        "FeeOut.last_error": "Why the last attempt failed, in Spanish.",
        "FeeOut.payment_reference": "The payment reference of the latest attempt (the receipt).",
        "FeeOut.charged_at": "When the fee was charged, or null.",
        "FeeOut.client": "The client's name (or phone).",
        "FeeOut.service_name": "The service's name.",
        "FeeOut.start": "The appointment's start.",
        "FeeOut.waived_at": "When staff waived it, or null.",
        "FeeOut.waive_reason": "Why staff waived it.",
        "FeeOut.refunded_at": "When staff refunded it, or null.",
        "FeeOut.refund_reason": "Why staff refunded it.",
        "FeeActionIn.reason": "Why (kept in the audit log with who and when).",
        "query.accept_policy": (
            "true: the client accepts the service's card-guarantee policy (needed to accept "
            "an offer of a card-guarantee service)."
        ),
        "path.fee_id": "The fee's id (UUID).",
    }
)
# The desk's fee (desk_api.DeskFeeOut) is FeeOut plus what staff may do to it now.
FIELD_DOCS.update({f"Desk{k}": v for k, v in list(FIELD_DOCS.items()) if k.startswith("FeeOut.")})

# The waitlist (docs/booking.md "Waitlist").
FIELD_DOCS.update(
    {
        "WaitlistJoinIn.service": "The service's code.",
        "WaitlistJoinIn.date_from": "First day the client can come (YYYY-MM-DD, Bogotá).",
        "WaitlistJoinIn.date_to": "Last day (YYYY-MM-DD, Bogotá; at most 31 days after).",
        "WaitlistJoinIn.therapist": "Only this therapist (id); omitted: any therapist.",
        "WaitlistJoinIn.time_from": "Earliest start time of day (HH:MM, Bogotá); omitted: any.",
        "WaitlistJoinIn.time_to": "Latest start time of day (HH:MM, Bogotá); omitted: any.",
        "WaitlistEntryOut.id": "The waitlist entry's id (UUID).",
        "WaitlistEntryOut.status": (
            "WAITING (offers may come), BOOKED (accepted an offer), LEFT or EXPIRED "
            "(its date range is over)."
        ),
        "WaitlistEntryOut.service": "The service's code.",
        "WaitlistEntryOut.service_name": "The service's name.",
        "WaitlistEntryOut.therapist": "The therapist asked for, or null for any.",
        "WaitlistEntryOut.date_from": "First day (YYYY-MM-DD, Bogotá).",
        "WaitlistEntryOut.date_to": "Last day (YYYY-MM-DD, Bogotá).",
        "WaitlistEntryOut.time_from": "Earliest start time of day (HH:MM, Bogotá), or null.",
        "WaitlistEntryOut.time_to": "Latest start time of day (HH:MM, Bogotá), or null.",
        "WaitlistEntryOut.joined_at": "When the client joined (the order of offers).",
        "WaitlistEntryOut.appointment": "The appointment booked from an offer, or null.",
        "WaitlistEntryOut.offer": "The open offer made to this entry, or null.",
        "WaitlistOfferOut.id": "The offer's id: accept it at /waitlist/offers/{id}/accept/.",
        "WaitlistOfferOut.start": "The offered start (ISO 8601 with offset).",
        "WaitlistOfferOut.expires_at": (
            "Until when the slot is kept for this client; after it the offer goes to the "
            "next client but stays acceptable until someone takes it or it closes."
        ),
        "WaitlistOfferOut.therapist": "The therapist's name.",
        "WaitlistDeclineOut.offer_id": "The offer let pass.",
        "WaitlistDeclineOut.declined_at": "When the client declined it (the first time).",
        "WaitlistDeclineOut.passed_on": (
            "True when this answer passed the offer on to the next waiting client (or "
            "closed it): the client was the one it was waiting for."
        ),
        "path.entry_id": "The waitlist entry's id (UUID).",
        "path.offer_id": "The waitlist offer's id (UUID), as sent in the WhatsApp message.",
    }
)

# The front desk's calendar feed and actions (desk_api.py).
FIELD_DOCS.update(
    {
        "CalendarEventOut.resourceIds": "Ids of the therapist columns the event stands in.",
        "CalendarEventOut.title": "Text shown on the event (client, service, room).",
        "CalendarEventOut.display": "`auto` for appointments, `background` for shaded time.",
        "CalendarEventOut.backgroundColor": "The event's colour (by appointment state).",
        "CalendarEventOut.editable": "Whether the desk may drag the event to move it.",
        "CalendarEventOut.classNames": "CSS classes of the event (state, shading kind).",
        "CalendarEventOut.extendedProps": "The appointment as the desk sees it (state, money).",
        "CalendarOut.date": "The day shown (YYYY-MM-DD, Bogotá).",
        "CalendarOut.view": "`day` (one column per therapist) or `week` (one therapist).",
        "CalendarOut.now": "The current time in Bogotá, for the now line.",
        "CalendarOut.slot_min": "Earliest time on the axis (HH:MM, Bogotá).",
        "CalendarOut.slot_max": "Latest time on the axis (HH:MM, Bogotá).",
        "CalendarOut.closed": "True when the spa is closed that day.",
        "CalendarOut.therapist_only": "True when the caller is a therapist (own column only).",
        "CalendarOut.resources": "The therapist columns working that day.",
        "CalendarOut.events": "Appointments and shaded background events.",
        "CalendarOut.legend": "Colour of each appointment state, for the legend.",
        "CalendarOut.waitlist": (
            "Reception: clients waiting for these days, in order of joining (empty for a "
            "therapist)."
        ),
        "DeskWaitlistOut.id": "The waitlist entry's id (UUID).",
        "DeskWaitlistOut.client": "The client's name (or phone when nameless).",
        "DeskWaitlistOut.client_phone": "The client's phone (E.164).",
        "DeskWaitlistOut.service": "The service's code.",
        "DeskWaitlistOut.service_name": "The service's name.",
        "DeskWaitlistOut.therapist": "The therapist asked for, or empty for any.",
        "DeskWaitlistOut.date_from": "First day (YYYY-MM-DD).",
        "DeskWaitlistOut.date_to": "Last day (YYYY-MM-DD).",
        "DeskWaitlistOut.time_from": "Earliest start time of day (HH:MM) or empty.",
        "DeskWaitlistOut.time_to": "Latest start time of day (HH:MM) or empty.",
        "DeskWaitlistOut.joined_at": "When the client joined (Bogotá time with offset).",
        "DeskWaitlistOut.offer": "The open offer made to this client, or null.",
        "DeskWaitlistOfferOut.id": "The offer's id (UUID).",
        "DeskWaitlistOfferOut.start": "The offered start (Bogotá time with offset).",
        "DeskWaitlistOfferOut.expires_at": "Until when it is kept for this client.",
        "CalendarResourceOut.title": "The therapist's name.",
        "LegendOut.label": "The state's name in Spanish.",
        "LegendOut.color": "The state's colour.",
        "ClientOut.phone": "The client's phone number (E.164).",
        "DeskAppointmentOut.status_label": "The state in Spanish words.",
        "DeskAppointmentOut.staff_notes": "Internal notes of the staff (never shown to clients).",
        "DeskAppointmentOut.actions": "Desk actions allowed now (check_in, complete, ...).",
        "DeskAppointmentOut.paid_cents": "Paid so far, in COP cents.",
        "DeskAppointmentOut.due_cents": "Still due, in COP cents.",
        "DeskAppointmentOut.deposit_due_cents": "Deposit still due to confirm, in COP cents.",
        "DeskAppointmentOut.price": "The price as a person reads it (`$ 62.000`).",
        "DeskAppointmentOut.paid": "Paid so far as a person reads it.",
        "DeskAppointmentOut.due": "Still due as a person reads it.",
        "DeskAppointmentOut.deposit": "The deposit as a person reads it.",
        "DeskAppointmentOut.fees": (
            "No-show / late-cancellation fees of the appointment and where each charge stands."
        ),
        "DeskBookOut.new_client": "True when the client was created at the desk.",
        "DeskBookIn.service": "The service's code.",
        "CancelPreviewOut.allowed": "Whether the appointment can be cancelled now.",
        "CancelPreviewOut.refund_cents": "What would be refunded, in COP cents.",
        "CancelPreviewOut.kept_cents": "What the spa would keep, in COP cents.",
        "CancelPreviewOut.fee_cents": (
            "The late-cancellation fee the client's card would be charged, in COP cents."
        ),
        "DeskCancelOut.fee_cents": "The late-cancellation fee charged to the card, in COP cents.",
        "CancelPreviewOut.message": "The consequence in Spanish, shown before confirming.",
        "DeskCancelIn.by": "Who cancels: `spa` or `client` (the policy differs).",
        "DeskCancelIn.reason": "Why, for the audit log.",
        "DeskNotesIn.staff_notes": "The new internal notes (replace the old ones).",
        "DeskPaymentOut.receipt": "The recorded payment.",
        "DeskPaymentOut.balance": "The appointment's money after the payment.",
        "ReceiptOut.method_label": "The payment method in Spanish.",
        "ReceiptOut.taken_by_id": "Id of the staff member who took the payment.",
        "query.show_cancelled": "true: also show cancelled appointments.",
        "query.by": "Who would cancel: `spa` or `client`.",
    }
)


class FeeActionIn(InputSchema):
    model_config = body_example({"reason": "La clienta avisó por teléfono de una emergencia"})

    reason: str = Field(..., min_length=1, max_length=300, pattern=r"\S")
