"""Booking reads: catalog, availability results, agenda, one appointment."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from modules.booking import availability
from modules.booking.errors import AppointmentNotFound, TherapistNotFound
from modules.booking.models import (
    Appointment,
    AppointmentStatus,
    Service,
    ServiceCategory,
    Therapist,
)
from modules.booking.services import day_bounds, get_active_service, is_staff_booker, may_see
from modules.identity import public as identity
from platform_core.errors import PermissionDenied

MAX_RANGE_DAYS = 31


def categories() -> QuerySet[ServiceCategory]:
    return ServiceCategory.objects.all()


def services(*, category: str = "", query: str = "") -> QuerySet[Service]:
    qs = Service.objects.filter(is_active=True).select_related("category").order_by("name")
    if category:
        qs = qs.filter(category__slug=category)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(description__icontains=query))
    return qs


def therapists(*, service_code: str = "") -> QuerySet[Therapist]:
    qs = Therapist.objects.filter(is_active=True).order_by("display_name")
    if service_code:
        qs = qs.filter(services__code__iexact=service_code, services__is_active=True)
    return qs


def _therapist_pk(service: Service, public_id: Any) -> int:
    try:
        therapist_uuid = uuid.UUID(str(public_id))
    except ValueError:
        raise TherapistNotFound() from None
    pk = (
        Therapist.objects.filter(public_id=therapist_uuid, services=service, is_active=True)
        .values_list("pk", flat=True)
        .first()
    )
    if pk is None:
        raise TherapistNotFound()
    return pk


def availability_for(
    *, service_code: str, date_from: date, date_to: date, therapist: Any = None
) -> dict[str, Any]:
    """Bookable start times (lead time and horizon applied) with the therapists free.

    A schema-valid range is never refused: one longer than MAX_RANGE_DAYS is cut at
    MAX_RANGE_DAYS days from ``date_from`` (the answer's ``date_to`` says where the search
    stopped) and a ``date_to`` before ``date_from`` is an empty range (no slots)."""
    service = get_active_service(service_code)
    therapist_pk = _therapist_pk(service, therapist) if therapist else None
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        date_to = date_from + timedelta(days=MAX_RANGE_DAYS - 1)
    if date_to < date_from:
        result = availability.SearchResult(service_code=service.code, therapists={})
    else:
        result = availability.search(service, date_from, date_to, therapist_id=therapist_pk)
    tz = availability.local_tz()
    duration = timedelta(minutes=service.duration_minutes)
    slots = [
        {
            "start": start.astimezone(tz),
            "end": (start + duration).astimezone(tz),
            "therapists": [result.therapists[t].public_id for t in tids],
        }
        for start, tids in availability.filter_window(result)
    ]
    used = {t for slot in slots for t in slot["therapists"]}
    return {
        "service": service.code,
        "timezone": str(tz),
        "granularity_minutes": availability.granularity(),
        "duration_minutes": service.duration_minutes,
        "date_from": date_from,
        "date_to": date_to,
        "therapists": [
            {"id": ref.public_id, "name": ref.name}
            for ref in result.therapists.values()
            if ref.public_id in used
        ],
        "slots": slots,
    }


def _appointments() -> QuerySet[Appointment]:
    return Appointment.objects.select_related("service", "therapist", "room", "client").order_by(
        "start"
    )


def my_appointments(user: Any, *, status: str = "", upcoming: bool | None = None) -> QuerySet:
    # A waitlist offer's hold is not the client's appointment (their offers are listed
    # under /waitlist/): it becomes one only when they accept.
    qs = _appointments().filter(client_id=user.id).exclude(status=AppointmentStatus.OFFERED)
    if status:
        qs = qs.filter(status=status)
    if upcoming is not None:
        from django.utils import timezone

        qs = (
            qs.filter(start__gte=timezone.now())
            if upcoming
            else qs.filter(start__lt=timezone.now())
        )
    return qs


# What the list route shows of an appointment (``shapes.appointment_out``'s fields), as
# values: the list is read-only, so no model instances (and no joined service, therapist
# and room objects) are built for it; the client is the signed-in user, never joined.
LIST_COLUMNS = (
    "public_id",
    "status",
    "service__code",
    "service__name",
    "therapist__public_id",
    "therapist__display_name",
    "room__public_id",
    "room__name",
    "start",
    "end",
    "price_cents",
    "vip_price_applied",
    "currency",
    "deposit_cents",
    "deposit_paid_cents",
    "hold_expires_at",
    "notes",
    "cancelled_by",
    "cancelled_at",
)


def my_appointment_list(
    user: Any, *, status: str = "", upcoming: bool | None = None
) -> QuerySet[Appointment, dict[str, Any]]:
    """``my_appointments`` as the list route shows them: a dict of ``LIST_COLUMNS`` per
    appointment (``api.mine`` shapes the page it sends)."""
    return my_appointments(user, status=status, upcoming=upcoming).values(*LIST_COLUMNS)


def agenda(
    actor: Any,
    *,
    day: date | None = None,
    days: int = 1,
    therapist: Any = None,
    room: Any = None,
    status: str = "",
) -> QuerySet[Appointment]:
    """Staff agenda: reception/admin see everything (with filters), a therapist only
    their own appointments; anybody else is refused."""
    qs = _appointments()
    if is_staff_booker(actor):
        if therapist:
            qs = qs.filter(therapist__public_id=therapist)
    elif identity.has_role(actor, identity.THERAPIST):
        qs = qs.filter(therapist__user=actor)
    else:
        raise PermissionDenied()
    if room:
        qs = qs.filter(room__public_id=room)
    if status:
        qs = qs.filter(status=status)
    if day is not None:
        start, _ = day_bounds(day)
        qs = qs.filter(start__gte=start, start__lt=start + timedelta(days=days))
    return qs


def appointment_for(actor: Any, public_id: Any) -> Appointment:
    """One appointment the actor may see: their own, one they perform, or any for
    reception/admin. Everyone else gets 404, never 403."""
    try:
        appt_uuid = uuid.UUID(str(public_id))
    except ValueError:
        raise AppointmentNotFound() from None
    appt = _appointments().filter(public_id=appt_uuid).first()
    if appt is None or not may_see(actor, appt):
        raise AppointmentNotFound()
    return appt


def history(appointment: Appointment) -> QuerySet:
    return appointment.events.select_related("old_therapist", "new_therapist").order_by(
        "created_at", "pk"
    )


def bookable_week(*, closed_days_ahead: int = 30) -> dict[str, Any]:
    """The spa's weekly hours as clients can use them: a weekday appears only if the spa
    opens and at least one active therapist works then (hours clipped to both), plus the
    closed days coming up. What the assistant quotes, instead of a hand-written string."""
    from django.utils import timezone

    from modules.booking.models import ClosedDay, OpeningHours, WorkingHours

    working: dict[int, list[tuple[Any, Any]]] = {}
    for row in WorkingHours.objects.filter(therapist__is_active=True).values(
        "weekday", "start", "end"
    ):
        working.setdefault(row["weekday"], []).append((row["start"], row["end"]))
    week = []
    for row in OpeningHours.objects.order_by("weekday", "opens"):
        shifts = working.get(row.weekday, [])
        starts = [max(row.opens, s) for s, e in shifts if s < row.closes and e > row.opens]
        ends = [min(row.closes, e) for s, e in shifts if s < row.closes and e > row.opens]
        if starts:
            week.append(
                {
                    "weekday": row.weekday,
                    "opens": min(starts).strftime("%H:%M"),
                    "closes": max(ends).strftime("%H:%M"),
                }
            )
    today = timezone.localdate()
    closed = ClosedDay.objects.filter(
        date__gte=today, date__lte=today + timedelta(days=closed_days_ahead)
    ).order_by("date")
    return {
        "week": week,
        "closed_days": [{"date": c.date.isoformat(), "reason": c.reason} for c in closed],
    }
