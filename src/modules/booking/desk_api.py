"""HTTP for /api/booking/desk/: the front desk's calendar feed and actions.

JWT for frontend teams, or the admin session (with its CSRF token) for the calendar
page inside the Django admin. Views parse and shape; booking.desk decides.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict
from typing import Any, Literal

from django.http import HttpRequest, JsonResponse
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth
from pydantic import ConfigDict

from modules.booking import desk
from modules.booking.schemas import DeskFeeOut
from platform_core.authentication import JWTAuth
from platform_core.idempotency import idempotent
from platform_core.renderers import LocalTimeJSONEncoder
from platform_core.schemas import AwareDateTime, InputSchema, IsoDate, Phone, body_example

router = Router(auth=[JWTAuth(), django_auth])


class DeskBookIn(InputSchema):
    # Either `client` (an existing client) or `phone` and `first_name` (a new one): the schema
    # says so with anyOf; the service refuses neither with 422 `client_required`.
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "service": "MASAJE-RELAX-60",
                    "start": "2030-01-15T10:00:00-05:00",
                    "phone": "+573001234567",
                    "first_name": "Ana",
                    "last_name": "Gómez",
                    "notes": "Primera visita",
                }
            ],
            "anyOf": [
                {"required": ["client"], "properties": {"client": {"type": "string"}}},
                {
                    "required": ["phone", "first_name"],
                    "properties": {
                        "phone": {"minLength": 8},
                        "first_name": {"pattern": r"\S"},
                    },
                },
            ],
        }
    )

    service: str = Field(..., max_length=60)
    start: AwareDateTime
    therapist: uuid.UUID | None = None
    client: uuid.UUID | None = Field(None, description="An existing client")
    phone: str = Phone("", description="A new client's phone (E.164 or local)")
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    notes: str = Field("", max_length=2000)
    accept_policy: bool = Field(
        False,
        description="The client accepted the card-guarantee policy (read to them by staff)",
    )


class DeskMoveIn(InputSchema):
    model_config = body_example(
        {"start": "2030-01-15T11:00:00-05:00", "therapist": "b2c4d6e8-1a3c-4e5f-8a7b-9c0d1e2f3a4b"}
    )

    start: AwareDateTime
    therapist: uuid.UUID | None = None


class DeskCancelIn(InputSchema):
    model_config = body_example({"by": "client", "reason": "Llamó para cancelar"})

    by: Literal["spa", "client"]
    reason: str = Field("", max_length=300)


class DeskNotesIn(InputSchema):
    model_config = body_example({"staff_notes": "Alergia a los aceites de almendra"})

    staff_notes: str = Field("", max_length=2000)


class DeskPaymentIn(InputSchema):
    model_config = body_example({"amount_cents": 6200000, "method": "card_terminal"})

    amount_cents: int = Field(..., gt=0, le=10_000_000_000)
    method: Literal["cash", "card_terminal", "transfer"]


class CalendarResourceOut(Schema):
    id: str
    title: str


class CalendarEventOut(Schema):
    id: str | None = None
    resourceIds: list[str]
    start: str
    end: str
    title: str | None = None
    display: str | None = None
    backgroundColor: str | None = None
    editable: bool | None = None
    classNames: list[str] = []
    extendedProps: dict[str, Any] | None = None


class LegendOut(Schema):
    status: str
    label: str
    color: str


class DeskWaitlistOfferOut(Schema):
    id: str
    start: str
    expires_at: str


class DeskWaitlistOut(Schema):
    id: str
    client: str
    client_phone: str
    service: str
    service_name: str
    therapist: str
    date_from: str
    date_to: str
    time_from: str
    time_to: str
    joined_at: str
    offer: DeskWaitlistOfferOut | None


class CalendarOut(Schema):
    date: dt.date
    view: str
    timezone: str
    now: str
    slot_min: str
    slot_max: str
    closed: list[dt.date]
    therapist_only: str | None
    resources: list[CalendarResourceOut]
    events: list[CalendarEventOut]
    waitlist: list[DeskWaitlistOut] = []
    legend: list[LegendOut]


class DeskAppointmentOut(Schema):
    id: str
    status: str
    status_label: str
    start: dt.datetime
    end: dt.datetime
    therapist: str
    room: str
    staff_notes: str
    actions: list[str]
    price_cents: int
    vip_price_applied: bool
    deposit_cents: int
    paid_cents: int
    due_cents: int
    deposit_due_cents: int
    price: str
    paid: str
    due: str
    deposit: str
    fees: list[DeskFeeOut]


class DeskBookOut(Schema):
    appointment: DeskAppointmentOut
    new_client: bool
    checkout: dict[str, Any] | None


class CancelPreviewOut(Schema):
    allowed: bool
    refund_cents: int
    kept_cents: int
    fee_cents: int
    message: str


class DeskCancelOut(Schema):
    appointment: DeskAppointmentOut
    refund_requested: bool
    deposit_kept_cents: int
    fee_cents: int


class ReceiptOut(Schema):
    reference: str
    amount_cents: int
    method: str
    method_label: str
    taken_by_id: int
    created_at: dt.datetime


class DeskPaymentOut(Schema):
    receipt: ReceiptOut
    balance: dict[str, Any]
    status: str


class PaymentLinkOut(Schema):
    reference: str
    checkout_url: str
    amount_cents: int


class ClientOut(Schema):
    id: str
    name: str
    phone: str


def _state(request: HttpRequest, appt: Any) -> dict[str, Any]:
    return desk.appointment_state(request.auth, appt)


@router.get(
    "calendar/",
    response=CalendarOut,
    summary="Calendar feed (day or week)",
    operation_id="getDeskCalendar",
)
def calendar(
    request: HttpRequest,
    date: IsoDate | None = None,
    view: Literal["day", "week"] = "day",
    therapist: uuid.UUID | None = None,
    room: uuid.UUID | None = None,
    service: str = "",
    show_cancelled: bool = False,
) -> Any:
    """Therapists (resources) working that day, their appointments (Bogotá wall-clock
    times, coloured by state, with what is paid and due and the actions allowed now)
    and background events shading time off work. A therapist gets only their column."""
    from django.utils import timezone

    from modules.booking.availability import local_tz

    day = date or timezone.now().astimezone(local_tz()).date()
    feed = desk.calendar_feed(
        request.auth,
        day=day,
        view=view,
        therapist=therapist,
        room=room,
        service=service[:60],
        show_cancelled=show_cancelled,
    )
    # Built by the service in the documented shape; re-validating hundreds of events
    # through the schema doubled the feed's time (docs/performance.md).
    return JsonResponse(feed, encoder=LocalTimeJSONEncoder)


@router.get(
    "clients/",
    response=list[ClientOut],
    summary="Find a client by phone or name",
    operation_id="searchDeskClients",
)
def clients(request: HttpRequest, q: str = "") -> Any:
    """Clients whose phone or name matches `q` (at most 20), for booking at the desk."""
    return desk.search_clients(request.auth, q)


@router.post(
    "appointments/",
    response={201: DeskBookOut},
    summary="Book at the desk",
    operation_id="bookDeskAppointment",
)
@idempotent("booking.desk.book")
def book(request: HttpRequest, payload: DeskBookIn) -> Any:
    """Book for an existing client (`client`) or a new one created at the desk (`phone`,
    names; they get the sign-up invitation). Same rules and locks as online booking."""
    outcome, created = desk.book(
        request.auth,
        service_code=payload.service,
        start=payload.start,
        therapist=payload.therapist,
        client_id=payload.client,
        phone=payload.phone,
        first_name=payload.first_name,
        last_name=payload.last_name,
        notes=payload.notes,
        accept_policy=payload.accept_policy,
    )
    checkout = outcome.checkout
    return Status(
        201,
        {
            "appointment": _state(request, outcome.appointment),
            "new_client": created,
            "checkout": asdict(checkout) if checkout is not None else None,
        },
    )


@router.get(
    "appointments/{appointment_id}/",
    response=DeskAppointmentOut,
    summary="One appointment as the desk sees it",
    operation_id="getDeskAppointment",
)
def detail(request: HttpRequest, appointment_id: str) -> Any:
    """One appointment as the desk sees it: state, paid and due, notes, allowed actions."""
    return _state(request, desk.get_appointment(request.auth, appointment_id))


@router.post(
    "appointments/{appointment_id}/move/",
    response=DeskAppointmentOut,
    summary="Move an appointment",
    operation_id="moveDeskAppointment",
)
def move(request: HttpRequest, appointment_id: str, payload: DeskMoveIn) -> Any:
    """Move to another start (optionally therapist); 409 when taken, nothing moved."""
    appt = desk.get_appointment(request.auth, appointment_id)
    return _state(
        request, desk.move(request.auth, appt, start=payload.start, therapist=payload.therapist)
    )


@router.post(
    "appointments/{appointment_id}/check-in/",
    response=DeskAppointmentOut,
    summary="Check the client in",
    operation_id="checkInDeskAppointment",
)
def check_in(request: HttpRequest, appointment_id: str) -> Any:
    """Mark the client as arrived (ARRIVED); only on the appointment's day, before it ends."""
    appt = desk.get_appointment(request.auth, appointment_id)
    return _state(request, desk.check_in(request.auth, appt))


@router.post(
    "appointments/{appointment_id}/complete/",
    response=DeskAppointmentOut,
    summary="Mark an appointment completed",
    operation_id="completeDeskAppointment",
)
def complete(request: HttpRequest, appointment_id: str) -> Any:
    """Mark the appointment as completed."""
    appt = desk.get_appointment(request.auth, appointment_id)
    return _state(request, desk.complete(request.auth, appt))


@router.post(
    "appointments/{appointment_id}/no-show/",
    response=DeskAppointmentOut,
    summary="Mark an appointment as a no-show",
    operation_id="markDeskAppointmentNoShow",
)
def no_show(request: HttpRequest, appointment_id: str) -> Any:
    """Mark the appointment as a no-show: the deposit is kept, or a card-guarantee
    booking's no-show fee is charged to the card on file after commit (once)."""
    appt = desk.get_appointment(request.auth, appointment_id)
    return _state(request, desk.no_show(request.auth, appt))


@router.get(
    "appointments/{appointment_id}/cancel/",
    response=CancelPreviewOut,
    summary="What cancelling now would mean (policy)",
    operation_id="previewDeskCancellation",
)
def cancel_preview(
    request: HttpRequest, appointment_id: str, by: Literal["spa", "client"] = "spa"
) -> Any:
    """What cancelling now would mean under the policy, before confirming."""
    desk.require_desk(request.auth)
    return desk.cancel_preview(desk.get_appointment(request.auth, appointment_id), by=by)


@router.post(
    "appointments/{appointment_id}/cancel/",
    response=DeskCancelOut,
    summary="Cancel an appointment at the desk",
    operation_id="cancelDeskAppointment",
)
def cancel(request: HttpRequest, appointment_id: str, payload: DeskCancelIn) -> Any:
    """Cancel by the spa or by the client, with the policy's consequence applied."""
    appt = desk.get_appointment(request.auth, appointment_id)
    outcome = desk.cancel(request.auth, appt, by=payload.by, reason=payload.reason)
    return {
        "appointment": _state(request, outcome.appointment),
        "refund_requested": outcome.refund_requested,
        "deposit_kept_cents": outcome.deposit_kept_cents,
        "fee_cents": outcome.fee_cents,
    }


@router.post(
    "appointments/{appointment_id}/notes/",
    response=DeskAppointmentOut,
    summary="Replace the staff notes",
    operation_id="setDeskAppointmentNotes",
)
def notes(request: HttpRequest, appointment_id: str, payload: DeskNotesIn) -> Any:
    """Replace the staff's internal notes on the appointment."""
    appt = desk.get_appointment(request.auth, appointment_id)
    return _state(request, desk.set_notes(request.auth, appt, staff_notes=payload.staff_notes))


@router.post(
    "appointments/{appointment_id}/payments/",
    response={201: DeskPaymentOut},
    summary="Record a payment taken at the desk",
    operation_id="recordDeskPayment",
)
@idempotent("booking.desk.payment")
def pay(request: HttpRequest, appointment_id: str, payload: DeskPaymentIn) -> Any:
    """Record a payment taken in person (cash, card terminal, transfer) and who took it."""
    appt = desk.get_appointment(request.auth, appointment_id)
    result = desk.record_payment(
        request.auth, appt, amount_cents=payload.amount_cents, method=payload.method
    )
    return Status(201, result)


@router.post(
    "appointments/{appointment_id}/payment-link/",
    response=PaymentLinkOut,
    summary="Send the client a Wompi payment link by WhatsApp",
    operation_id="sendDeskPaymentLink",
)
def payment_link(request: HttpRequest, appointment_id: str) -> Any:
    """Send the client a Wompi payment link by WhatsApp for the deposit or the balance."""
    appt = desk.get_appointment(request.auth, appointment_id)
    return desk.send_payment_link(request.auth, appt)
