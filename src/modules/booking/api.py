"""HTTP for /api/booking/: parse, authorise, call a service or selector, shape."""

import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from modules.booking import deposits, fees, policy, selectors, services
from modules.booking.desk_api import router as desk_router
from modules.booking.fees_api import router as fees_router
from modules.booking.models import AppointmentStatus
from modules.booking.schemas import (
    AppointmentDetailOut,
    AppointmentOut,
    AvailabilityOut,
    BookIn,
    BookingOut,
    CancelIn,
    CancelOut,
    CategoryOut,
    PayAgainIn,
    RescheduleIn,
    ServiceOut,
    TherapistOut,
)
from modules.booking.shapes import appointment_out, appointment_row_out, booking_out
from modules.booking.versions import CATALOG
from modules.booking.waitlist_api import router as waitlist_router
from modules.payments import public as payments
from platform_core.conditional import cacheable
from platform_core.errors import PermissionDenied
from platform_core.idempotency import idempotent
from platform_core.pagination import Mapped, Pagination
from platform_core.schemas import IsoDate

router = Router()
router.add_router("/desk/fees/", fees_router)
router.add_router("/desk/", desk_router)
router.add_router("/waitlist/", waitlist_router)
StatusFilter = Literal[
    "", "PENDING_PAYMENT", "CONFIRMED", "ARRIVED", "COMPLETED", "NO_SHOW", "CANCELLED", "EXPIRED"
]


# --- catalog (public) ----------------------------------------------------------------------
@router.get(
    "/categories/",
    operation_id="listServiceCategories",
    auth=None,
    response=list[CategoryOut],
    summary="Service categories",
)
@cacheable(CATALOG)
@paginate(Pagination)
def list_categories(request: HttpRequest) -> Any:
    """The categories of treatments."""
    return selectors.categories()


@router.get(
    "/services/",
    operation_id="listServices",
    auth=None,
    response=list[ServiceOut],
    summary="Active services",
)
@cacheable(CATALOG)
@paginate(Pagination)
def list_services(
    request: HttpRequest,
    category: str = Query("", max_length=120),
    q: str = Query("", max_length=100),
) -> Any:
    """Active treatments, filtered by category or text."""
    return selectors.services(category=category, query=q)


@router.get(
    "/services/{code}/",
    operation_id="getService",
    auth=None,
    response=ServiceOut,
    summary="One service",
)
@cacheable(CATALOG)
def get_service(request: HttpRequest, code: str) -> Any:
    """One active treatment by its code."""
    return services.get_active_service(code)


@router.get(
    "/therapists/",
    operation_id="listTherapists",
    auth=None,
    response=list[TherapistOut],
    summary="Therapists",
)
@cacheable(CATALOG)
@paginate(Pagination)
def list_therapists(request: HttpRequest, service: str = "") -> Any:
    """Active therapists, optionally only those who perform a service."""
    return selectors.therapists(service_code=service)


@router.get(
    "/availability/",
    operation_id="getAvailability",
    auth=None,
    response=AvailabilityOut,
    summary="Bookable start times (at most 31 days)",
)
def availability(
    request: HttpRequest,
    service: str,
    date_from: IsoDate,
    date_to: IsoDate,
    therapist: uuid.UUID | None = None,
) -> Any:
    """Bookable start times of a service between two days (at most 31), with the therapists
    free at each; lead time and booking horizon applied."""
    return selectors.availability_for(
        service_code=service, date_from=date_from, date_to=date_to, therapist=therapist
    )


# --- appointments --------------------------------------------------------------------------
@router.post(
    "/appointments/",
    operation_id="bookAppointment",
    response={201: BookingOut},
    summary="Book an appointment",
)
@idempotent("booking.book")
def book(request: HttpRequest, payload: BookIn) -> Any:
    """Book a treatment. Without a deposit the appointment is CONFIRMED; with one it is
    PENDING_PAYMENT and the answer carries the Wompi checkout. A card-guarantee service
    needs a saved card (422 ``card_required``) and ``accept_policy: true`` (422
    ``policy_not_accepted``, with the policy text); the consent is stored with the
    appointment. Reception/admin may book for a client (client or client_phone).
    Accepts Idempotency-Key."""
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
        accept_policy=payload.accept_policy,
        tenders=payments.tender_offers(payload.tenders),
    )
    return Status(201, booking_out(outcome))


@router.get(
    "/appointments/mine/",
    operation_id="listMyAppointments",
    response=list[AppointmentOut],
    summary="My appointments",
)
@paginate(Pagination)
def mine(request: HttpRequest, status: StatusFilter = "", upcoming: bool | None = None) -> Any:
    """The signed-in client's appointments, newest first."""
    me = request.auth
    rows = selectors.my_appointment_list(me, status=status, upcoming=upcoming)
    client = {"id": me.public_id, "name": me.get_full_name() or str(me)}  # every row is theirs
    return Mapped(rows, lambda row: appointment_row_out(row, client))  # shapes only the page


@router.get(
    "/appointments/",
    operation_id="listAgenda",
    response=list[AppointmentOut],
    summary="Agenda (therapist / reception)",
)
@paginate(Pagination)
def agenda(
    request: HttpRequest,
    date: IsoDate | None = None,
    view: Literal["day", "week"] = "day",
    therapist: uuid.UUID | None = None,
    room: uuid.UUID | None = None,
    status: StatusFilter = "",
) -> Any:
    """Staff: the agenda of a day or a week, by therapist, room or status. A therapist sees
    their own."""
    qs = selectors.agenda(
        request.auth,
        day=date,
        days=7 if view == "week" else 1,
        therapist=therapist,
        room=room,
        status=status,
    )
    return Mapped(qs, appointment_out)  # shapes only the page sent


@router.get(
    "/appointments/{appointment_id}/",
    operation_id="getAppointment",
    response=AppointmentDetailOut,
    summary="One",
)
def detail(request: HttpRequest, appointment_id: str) -> Any:
    """One appointment with its history (the client's own; staff: any)."""
    appt = selectors.appointment_for(request.auth, appointment_id)
    return {
        **appointment_out(appt),
        "history": list(selectors.history(appt)),
        "guarantee": policy.consent_out(policy.consent_of(appt)),
        "fees": fees.fees_of(appt),
    }


@router.post(
    "/appointments/{appointment_id}/cancel/",
    operation_id="cancelAppointment",
    response=CancelOut,
    summary="Cancel",
)
def cancel(request: HttpRequest, appointment_id: str, payload: CancelIn) -> Any:
    """Cancel an appointment; the deposit is refunded before the late window or when the
    spa cancels. A client cancelling a card-guarantee booking inside the late window is
    charged its late-cancellation fee (``fee_cents``) on the card on file."""
    # Found (404 unless visible), authorised (403 for the therapist performing it: they
    # cannot cancel for the client) and cancelled with one locked load.
    outcome = services.cancel_as(
        actor=request.auth, appointment_id=appointment_id, reason=payload.reason
    )
    return {
        "appointment": appointment_out(outcome.appointment),
        "refund_requested": outcome.refund_requested,
        "deposit_kept_cents": outcome.deposit_kept_cents,
        "fee_cents": outcome.fee_cents,
    }


@router.post(
    "/appointments/{appointment_id}/reschedule/",
    operation_id="rescheduleAppointment",
    response=AppointmentOut,
    summary="Reschedule",
)
def reschedule(request: HttpRequest, appointment_id: str, payload: RescheduleIn) -> Any:
    """Move an appointment to another free start (and optionally therapist)."""
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
    operation_id="payAppointmentDeposit",
    response=BookingOut,
    summary="Deposit checkout: the open payment attempt, or a new one after a decline",
)
def deposit_checkout(
    request: HttpRequest, appointment_id: str, payload: PayAgainIn | None = None
) -> Any:
    """While the appointment is PENDING_PAYMENT and its hold has not expired: the open
    checkout if the last attempt is still pending, else a new attempt (expiring with the
    hold), paid first by the body's ``tenders`` when given. 409 ``hold_expired`` after the
    hold, ``deposit_not_due`` when nothing is owed, ``deposit_being_confirmed`` when a
    payment was approved and is being applied, ``payment_open`` for tenders while an
    attempt is still open."""
    appt = selectors.appointment_for(request.auth, appointment_id)
    if appt.client_id != request.auth.pk and not services.is_staff_booker(request.auth):
        raise PermissionDenied()  # the performing therapist does not take payments
    outcome = deposits.deposit_checkout(
        actor=request.auth,
        appointment=appt,
        tenders=payments.tender_offers(payload.tenders if payload else None),
    )
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
    "/appointments/{appointment_id}/complete/",
    operation_id="completeAppointment",
    response=AppointmentOut,
    summary="Mark completed",
)
def complete(request: HttpRequest, appointment_id: str) -> Any:
    """Staff: mark a confirmed appointment as completed."""
    return _staff_close(request, appointment_id, AppointmentStatus.COMPLETED)


@router.post(
    "/appointments/{appointment_id}/no-show/",
    operation_id="markAppointmentNoShow",
    response=AppointmentOut,
    summary="Mark no-show",
)
def no_show(request: HttpRequest, appointment_id: str) -> Any:
    """Staff: mark a confirmed appointment as a no-show."""
    return _staff_close(request, appointment_id, AppointmentStatus.NO_SHOW)
