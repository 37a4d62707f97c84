"""HTTP for /api/booking/: parse, authorise, call a service or selector, shape."""

import datetime as dt
import uuid
from dataclasses import asdict
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from modules.booking import selectors, services
from modules.booking.desk_api import router as desk_router
from modules.booking.models import Appointment, AppointmentStatus
from modules.booking.schemas import (
    AppointmentDetailOut,
    AppointmentOut,
    AvailabilityOut,
    BookIn,
    BookingOut,
    CancelIn,
    CancelOut,
    CategoryOut,
    RescheduleIn,
    ServiceOut,
    TherapistOut,
)
from modules.booking.versions import CATALOG
from platform_core.conditional import cacheable
from platform_core.errors import PermissionDenied
from platform_core.idempotency import idempotent
from platform_core.pagination import Mapped, Pagination

router = Router()
router.add_router("/desk/", desk_router)
StatusFilter = Literal[
    "", "PENDING_PAYMENT", "CONFIRMED", "ARRIVED", "COMPLETED", "NO_SHOW", "CANCELLED", "EXPIRED"
]


def _ref(obj: Any, name: str) -> dict[str, Any] | None:
    return {"id": obj.public_id, "name": name} if obj is not None else None


def appointment_out(appt: Appointment) -> dict[str, Any]:
    return {
        "id": appt.public_id,
        "status": appt.status,
        "service": appt.service.code,
        "service_name": appt.service.name,
        "therapist": _ref(appt.therapist, appt.therapist.display_name),
        "room": _ref(appt.room, appt.room.name) if appt.room_id else None,
        "client": _ref(appt.client, appt.client.get_full_name() or str(appt.client)),
        "start": appt.start,
        "end": appt.end,
        "price_cents": appt.price_cents,
        "vip_price_applied": appt.vip_price_applied,
        "currency": appt.currency,
        "deposit_cents": appt.deposit_cents,
        "deposit_paid_cents": appt.deposit_paid_cents,
        "hold_expires_at": appt.hold_expires_at,
        "notes": appt.notes,
        "cancelled_by": appt.cancelled_by,
        "cancelled_at": appt.cancelled_at,
    }


# --- catalog (public) ----------------------------------------------------------------------
@router.get("/categories/", auth=None, response=list[CategoryOut], summary="Service categories")
@cacheable(CATALOG)
@paginate(Pagination)
def list_categories(request: HttpRequest) -> Any:
    return selectors.categories()


@router.get("/services/", auth=None, response=list[ServiceOut], summary="Active services")
@cacheable(CATALOG)
@paginate(Pagination)
def list_services(request: HttpRequest, category: str = "", q: str = "") -> Any:
    return selectors.services(category=category, query=q[:100])


@router.get("/services/{code}/", auth=None, response=ServiceOut, summary="One service")
@cacheable(CATALOG)
def get_service(request: HttpRequest, code: str) -> Any:
    return services.get_active_service(code)


@router.get("/therapists/", auth=None, response=list[TherapistOut], summary="Therapists")
@cacheable(CATALOG)
@paginate(Pagination)
def list_therapists(request: HttpRequest, service: str = "") -> Any:
    return selectors.therapists(service_code=service)


@router.get(
    "/availability/",
    auth=None,
    response=AvailabilityOut,
    summary="Bookable start times (at most 31 days)",
)
def availability(
    request: HttpRequest,
    service: str,
    date_from: dt.date,
    date_to: dt.date,
    therapist: uuid.UUID | None = None,
) -> Any:
    return selectors.availability_for(
        service_code=service, date_from=date_from, date_to=date_to, therapist=therapist
    )


# --- appointments --------------------------------------------------------------------------
@router.post("/appointments/", response={201: BookingOut}, summary="Book an appointment")
@idempotent("booking.book")
def book(request: HttpRequest, payload: BookIn) -> Any:
    client = services.resolve_client(
        actor=request.auth, client_public_id=payload.client, client_phone=payload.client_phone
    )
    outcome = services.book_appointment(
        actor=request.auth,
        client=client,
        service_code=payload.service,
        start=payload.start,
        therapist_public_id=payload.therapist,
        notes=payload.notes,
    )
    checkout = asdict(outcome.checkout) if outcome.checkout is not None else None
    return Status(201, {"appointment": appointment_out(outcome.appointment), "checkout": checkout})


@router.get("/appointments/mine/", response=list[AppointmentOut], summary="My appointments")
@paginate(Pagination)
def mine(request: HttpRequest, status: StatusFilter = "", upcoming: bool | None = None) -> Any:
    qs = selectors.my_appointments(request.auth, status=status, upcoming=upcoming)
    return Mapped(qs, appointment_out)  # shapes only the page sent


@router.get(
    "/appointments/", response=list[AppointmentOut], summary="Agenda (therapist / reception)"
)
@paginate(Pagination)
def agenda(
    request: HttpRequest,
    date: dt.date | None = None,
    view: Literal["day", "week"] = "day",
    therapist: uuid.UUID | None = None,
    room: uuid.UUID | None = None,
    status: StatusFilter = "",
) -> Any:
    qs = selectors.agenda(
        request.auth,
        day=date,
        days=7 if view == "week" else 1,
        therapist=therapist,
        room=room,
        status=status,
    )
    return Mapped(qs, appointment_out)  # shapes only the page sent


@router.get("/appointments/{appointment_id}/", response=AppointmentDetailOut, summary="One")
def detail(request: HttpRequest, appointment_id: str) -> Any:
    appt = selectors.appointment_for(request.auth, appointment_id)
    return {**appointment_out(appt), "history": list(selectors.history(appt))}


@router.post("/appointments/{appointment_id}/cancel/", response=CancelOut, summary="Cancel")
def cancel(request: HttpRequest, appointment_id: str, payload: CancelIn) -> Any:
    appt = selectors.appointment_for(request.auth, appointment_id)
    by_spa = services.is_staff_booker(request.auth) and appt.client_id != request.auth.pk
    if not by_spa and appt.client_id != request.auth.pk:
        raise PermissionDenied()  # the therapist performing it cannot cancel for the client
    outcome = services.cancel_appointment(
        actor=request.auth, appointment=appt, reason=payload.reason, by_spa=by_spa
    )
    return {
        "appointment": appointment_out(outcome.appointment),
        "refund_requested": outcome.refund_requested,
        "deposit_kept_cents": outcome.deposit_kept_cents,
    }


@router.post(
    "/appointments/{appointment_id}/reschedule/", response=AppointmentOut, summary="Reschedule"
)
def reschedule(request: HttpRequest, appointment_id: str, payload: RescheduleIn) -> Any:
    appt = selectors.appointment_for(request.auth, appointment_id)
    if appt.client_id != request.auth.pk and not services.is_staff_booker(request.auth):
        raise PermissionDenied()
    appt = services.reschedule_appointment(
        actor=request.auth,
        appointment=appt,
        start=payload.start,
        therapist_public_id=payload.therapist,
    )
    return appointment_out(appt)


@router.post(
    "/appointments/{appointment_id}/checkout/",
    response=BookingOut,
    summary="Deposit checkout: the open payment attempt, or a new one after a decline",
)
def deposit_checkout(request: HttpRequest, appointment_id: str) -> Any:
    """While the appointment is PENDING_PAYMENT and its hold has not expired: the open
    checkout if the last attempt is still pending, else a new attempt (expiring with the
    hold). 409 ``hold_expired`` after the hold, ``deposit_not_due`` when nothing is owed,
    ``deposit_being_confirmed`` when a payment was approved and is being applied."""
    appt = selectors.appointment_for(request.auth, appointment_id)
    if appt.client_id != request.auth.pk and not services.is_staff_booker(request.auth):
        raise PermissionDenied()  # the performing therapist does not take payments
    outcome = services.deposit_checkout(actor=request.auth, appointment=appt)
    return {"appointment": appointment_out(outcome.appointment), "checkout": outcome.checkout}


def _staff_close(request: HttpRequest, appointment_id: str, status: str) -> dict[str, Any]:
    appt = selectors.appointment_for(request.auth, appointment_id)
    performs = appt.therapist.user_id == request.auth.pk
    if not performs and not services.is_staff_booker(request.auth):
        raise PermissionDenied()
    if status == AppointmentStatus.COMPLETED:
        appt = services.mark_completed(actor=request.auth, appointment=appt)
    else:
        appt = services.mark_no_show(actor=request.auth, appointment=appt)
    return appointment_out(appt)


@router.post(
    "/appointments/{appointment_id}/complete/", response=AppointmentOut, summary="Mark completed"
)
def complete(request: HttpRequest, appointment_id: str) -> Any:
    return _staff_close(request, appointment_id, AppointmentStatus.COMPLETED)


@router.post(
    "/appointments/{appointment_id}/no-show/", response=AppointmentOut, summary="Mark no-show"
)
def no_show(request: HttpRequest, appointment_id: str) -> Any:
    return _staff_close(request, appointment_id, AppointmentStatus.NO_SHOW)
