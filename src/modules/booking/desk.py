"""The front desk: the calendar feed and reception's actions on appointments.

Every action goes through booking's services (same rules, locks and exclusion
constraints as the client API) and is audited with the staff member who did it.
Roles: reception and admin do everything; a therapist sees only their own column and
may mark their own appointments arrived or completed; nobody else gets in.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.booking import deposits, fees, messaging, policy, services, waitlist
from modules.booking.availability import AvailabilityEngine, local_tz
from modules.booking.errors import AppointmentNotFound, InvalidTransition, TherapistNotFound
from modules.booking.models import (
    CHANGEABLE_STATUSES,
    PHASE_ACTIVE,
    PHASE_PROCESSING,
    Appointment,
    Room,
    Service,
    Therapist,
)
from modules.booking.models import AppointmentStatus as S
from modules.identity import public as identity
from modules.payments import public as payments
from platform_core import audit
from platform_core.errors import Conflict, PermissionDenied, ValidationFailed
from platform_core.money import format_cop as money

PURPOSE_DESK = "booking.desk"  # money taken at the desk for an appointment
PURPOSE_BALANCE = "booking.balance"  # a payment link for what is left to pay
PAID_PURPOSES = (services.PURPOSE, PURPOSE_DESK, PURPOSE_BALANCE)
HIDDEN_BY_DEFAULT = (S.CANCELLED, S.EXPIRED)
# States in which the client owes the price (a no-show or a cancellation owes nothing
# more: the policy's deposit rules settle those).
BILLABLE = (S.PENDING_PAYMENT, S.CONFIRMED, S.ARRIVED, S.COMPLETED)

# One colour per state (the calendar legend reads the same table).
STATE_COLORS = {
    S.PENDING_PAYMENT: "#d97706",
    S.CONFIRMED: "#2563eb",
    S.ARRIVED: "#7c3aed",
    S.COMPLETED: "#15803d",
    S.NO_SHOW: "#b91c1c",
    S.CANCELLED: "#6b7280",
    S.EXPIRED: "#9ca3af",
    S.OFFERED: "#0891b2",
}


# --- who may do what ------------------------------------------------------------------------
def is_desk(user: Any) -> bool:
    return identity.has_role(user, identity.RECEPTION, identity.ADMIN)


def own_therapist(user: Any) -> Therapist | None:
    if getattr(user, "pk", None) is None:
        return None
    return Therapist.objects.filter(user_id=user.pk).first()


def require_calendar_access(user: Any) -> Therapist | None:
    """Desk staff see everyone (None); a therapist sees only themselves."""
    if is_desk(user):
        return None
    if identity.has_role(user, identity.THERAPIST):
        me = own_therapist(user)
        if me is not None:
            return me
    raise PermissionDenied()


def require_desk(user: Any) -> None:
    if not is_desk(user):
        raise PermissionDenied()


def get_appointment(actor: Any, public_id: Any, *, lock: bool = False) -> Appointment:
    """An appointment the actor may act on from the desk (404 otherwise)."""
    try:
        appt_uuid = uuid.UUID(str(public_id))
    except ValueError:
        raise AppointmentNotFound() from None
    appt = (
        Appointment.objects.select_related("service", "therapist", "room", "client")
        .filter(public_id=appt_uuid)
        .first()
    )
    if appt is None:
        raise AppointmentNotFound()
    if is_desk(actor) or appt.therapist.user_id == getattr(actor, "pk", None):
        return appt
    raise AppointmentNotFound()


def _audit(action: str, actor: Any, appt: Appointment, **details: Any) -> None:
    audit.record(
        f"booking.desk.{action}",
        actor=actor,
        target=f"appointment:{appt.public_id}",
        details={k: str(v) for k, v in details.items()},
    )


# --- money -------------------------------------------------------------------------------
def balance(appt: Appointment, paid: int) -> dict[str, Any]:
    due = max(0, appt.price_cents - paid) if appt.status in BILLABLE else 0
    deposit_due = max(0, appt.deposit_cents - paid) if appt.status == S.PENDING_PAYMENT else 0
    return {
        "price_cents": appt.price_cents,
        "vip_price_applied": appt.vip_price_applied,
        "deposit_cents": appt.deposit_cents,
        "paid_cents": paid,
        "due_cents": due,
        "deposit_due_cents": deposit_due,
        "price": money(appt.price_cents),
        "paid": money(paid),
        "due": money(due),
        "deposit": money(appt.deposit_cents),
    }


def paid_for(appts: list[Appointment]) -> dict[str, int]:
    return payments.paid_by_ref(purposes=PAID_PURPOSES, refs=[str(a.public_id) for a in appts])


# --- the calendar feed ---------------------------------------------------------------------
def _iso_local(moment: datetime) -> str:
    """Bogotá wall-clock time with its offset (2030-03-04T10:00:00-05:00), the API's one
    convention for times; the calendar (timeZone "-05:00") shows it as is."""
    return moment.astimezone(local_tz()).isoformat(timespec="seconds")


def _from_epoch_minutes(minutes: int) -> datetime:
    return datetime.fromtimestamp(minutes * 60, tz=local_tz())


def actions_for(
    actor: Any, appt: Appointment, now: datetime, desk: bool, due_cents: int = 1
) -> list[str]:
    """What the actor may do to this appointment now (buttons the calendar shows)."""
    mine = appt.therapist.user_id == getattr(actor, "pk", None)
    today = now.astimezone(local_tz()).date()
    acts: list[str] = []
    on_the_day = appt.start.astimezone(local_tz()).date() == today and appt.end > now
    if (desk or mine) and appt.status == S.CONFIRMED and on_the_day:
        acts.append("check_in")
    if (desk or mine) and appt.status in (S.CONFIRMED, S.ARRIVED) and appt.start <= now:
        acts.append("complete")
    if desk:
        if appt.status == S.CONFIRMED and appt.start <= now:
            acts.append("no_show")
        if appt.status in CHANGEABLE_STATUSES:
            acts += ["move", "cancel"]
        if appt.status in BILLABLE and due_cents > 0:
            acts += ["pay", "payment_link"]
        acts.append("notes")
    return acts


def _shade(
    engine: AvailabilityEngine, tid: int, rid: str, day: date, lo: time, hi: time
) -> list[dict[str, Any]]:
    """Background events for the time a therapist does not work within the view."""
    tz = local_tz()
    view_lo = int(datetime.combine(day, lo, tz).timestamp()) // 60
    view_hi = int(datetime.combine(day, hi, tz).timestamp()) // 60
    if day in engine.closed:
        return [
            {
                "start": _iso_local(_from_epoch_minutes(view_lo)),
                "end": _iso_local(_from_epoch_minutes(view_hi)),
                "resourceIds": [rid],
                "display": "background",
                "classNames": ["sz-closed"],
                "title": _("Cerrado"),
            }
        ]
    out = []
    cursor = view_lo
    for a, b in sorted(engine.work_intervals(tid, day)):
        if a > cursor:
            out.append((cursor, min(a, view_hi)))
        cursor = max(cursor, b)
    if cursor < view_hi:
        out.append((cursor, view_hi))
    return [
        {
            "start": _iso_local(_from_epoch_minutes(a)),
            "end": _iso_local(_from_epoch_minutes(b)),
            "resourceIds": [rid],
            "display": "background",
            "classNames": ["sz-off"],
        }
        for a, b in out
        if a < b
    ]


def _phases(appt: Appointment) -> list[dict[str, str]]:
    """The appointment's phases for the calendar: the processing one is drawn apart
    (hatched): the therapist is free then and may take another client."""
    if appt.processing_start is None or appt.processing_end is None:
        return [
            {"kind": PHASE_ACTIVE, "start": _iso_local(appt.start), "end": _iso_local(appt.end)}
        ]
    cuts = [
        (PHASE_ACTIVE, appt.start, appt.processing_start),
        (PHASE_PROCESSING, appt.processing_start, appt.processing_end),
        (PHASE_ACTIVE, appt.processing_end, appt.end),
    ]
    return [
        {"kind": kind, "start": _iso_local(a), "end": _iso_local(b)} for kind, a, b in cuts if a < b
    ]


def _view_hours(engine: AvailabilityEngine, days: list[date]) -> tuple[time, time]:
    opens = [o for d in days for o, _c in engine.opening.get(d.weekday(), [])]
    closes = [c for d in days for _o, c in engine.opening.get(d.weekday(), [])]
    lo = min(opens, default=time(8))
    hi = max(closes, default=time(20))
    return time(max(0, lo.hour - 1)), time(min(23, hi.hour + 1))


def calendar_feed(
    actor: Any,
    *,
    day: date,
    view: str = "day",
    therapist: Any = None,
    room: Any = None,
    service: str = "",
    show_cancelled: bool = False,
) -> dict[str, Any]:
    """Resources (therapists), appointments and shading for a day (all working
    therapists) or a week (one therapist), in a constant number of queries."""
    me = require_calendar_access(actor)
    desk = me is None
    tz = local_tz()
    if view == "week":
        first = day - timedelta(days=day.weekday())
        days = [first + timedelta(days=i) for i in range(7)]
    else:
        view, days = "day", [day]
    only: int | None = me.pk if me is not None else None
    if only is None and therapist:
        try:
            only = (
                Therapist.objects.filter(public_id=uuid.UUID(str(therapist)))
                .values_list("pk", flat=True)
                .first()
            )
        except ValueError:
            only = None
        if only is None:
            raise TherapistNotFound()
    engine = AvailabilityEngine(
        None, days[0], days[-1], therapist_ids=[only] if only is not None else None
    )
    lo, hi = _view_hours(engine, days)
    start = datetime.combine(days[0], time.min, tz)
    end = datetime.combine(days[-1] + timedelta(days=1), time.min, tz)
    # Only the columns the feed shows: building 300 full rows (client included) was
    # most of the feed's time.
    qs = (
        Appointment.objects.select_related("service", "therapist", "room", "client")
        .only(
            "public_id",
            "status",
            "start",
            "end",
            "processing_start",
            "processing_end",
            "price_cents",
            "vip_price_applied",
            "deposit_cents",
            "deposit_paid_cents",
            "notes",
            "staff_notes",
            "service__code",
            "service__name",
            "therapist__public_id",
            "therapist__display_name",
            "therapist__user_id",
            "room__name",
            "client__first_name",
            "client__last_name",
            "client__phone_number",
        )
        # The lower bound on start lets the start index stop at the view instead of walking
        # the whole history before it (the feed doubled from 1x to 100x data without it);
        # no service lasts a day (duration <= 600 min).
        .filter(start__lt=end, end__gt=start, start__gt=start - timedelta(days=1))
    )
    if only is not None:
        qs = qs.filter(therapist_id=only)
    if room:
        try:
            qs = qs.filter(room__public_id=uuid.UUID(str(room)))
        except ValueError:
            qs = qs.none()
    if service:
        qs = qs.filter(service__code__iexact=service)
    if not show_cancelled:
        qs = qs.exclude(status__in=HIDDEN_BY_DEFAULT)
    appts = list(qs.order_by("start", "pk"))
    paid = paid_for(appts)
    now = timezone.now()

    # Columns: therapists working one of these days, plus anyone with an appointment.
    with_appts = {a.therapist_id for a in appts}
    refs = engine.therapists
    working = [
        pk for pk in refs if pk in with_appts or any(engine.work_intervals(pk, d) for d in days)
    ]
    if view == "week" and only is None and working:
        only = working[0]
        working = [only]
        appts = [a for a in appts if a.therapist_id == only]
    resources = [
        {"id": refs[pk].public_id, "title": refs[pk].name}
        for pk in sorted(working, key=lambda pk: refs[pk].name)
    ]
    events: list[dict[str, Any]] = []
    for a in appts:
        client_name = a.client.get_full_name() or a.client.phone_number
        money_state = balance(a, paid.get(str(a.public_id), 0))
        acts = actions_for(actor, a, now, desk, money_state["due_cents"])
        events.append(
            {
                "id": str(a.public_id),
                "resourceIds": [str(a.therapist.public_id)],
                "start": _iso_local(a.start),
                "end": _iso_local(a.end),
                "title": f"{client_name} · {a.service.name}",
                "backgroundColor": STATE_COLORS.get(a.status, "#2563eb"),
                "editable": "move" in acts,
                "classNames": [f"sz-{a.status.lower()}"]
                + (["sz-processing"] if a.processing_start else []),
                "extendedProps": {
                    "phases": _phases(a),
                    "status": a.status,
                    "status_label": a.get_status_display(),
                    "service": a.service.code,
                    "service_name": a.service.name,
                    "therapist": a.therapist.display_name,
                    "room": a.room.name if a.room_id else "",
                    "client": client_name,
                    "client_phone": a.client.phone_number if desk else "",
                    "notes": a.notes,
                    "staff_notes": a.staff_notes,
                    "actions": acts,
                    **money_state,
                },
            }
        )
    for pk in working:
        for d in days:
            events += _shade(engine, pk, refs[pk].public_id, d, lo, hi)
    return {
        "date": day,
        "view": view,
        "timezone": str(tz),
        "now": _iso_local(now),
        "slot_min": lo.strftime("%H:%M:%S"),
        "slot_max": hi.strftime("%H:%M:%S"),
        "closed": [d for d in days if d in engine.closed],
        "therapist_only": refs[only].public_id if only is not None and only in refs else None,
        "resources": resources,
        "events": events,
        # Who waits for these days (reception only: it lists phones), in joining order.
        "waitlist": waitlist.for_days(days, only) if desk else [],
        "legend": [
            {"status": s.value, "label": s.label, "color": STATE_COLORS[s]}
            for s in S
            if s != S.EXPIRED
        ],
    }


# --- clients ---------------------------------------------------------------------------------
def search_clients(actor: Any, query: str, limit: int = 10) -> list[dict[str, Any]]:
    """Reception finds a client by phone (digits) or name."""
    require_desk(actor)
    from django.contrib.auth import get_user_model

    query = (query or "").strip()[:60]
    if len(query) < 2:
        return []
    digits = "".join(ch for ch in query if ch.isdigit())
    cond = Q(first_name__icontains=query) | Q(last_name__icontains=query)
    parts = query.split()
    if len(parts) > 1:
        cond |= Q(first_name__icontains=parts[0], last_name__icontains=parts[-1])
    if len(digits) >= 3:
        cond |= Q(phone_number__contains=digits)
    users = (
        get_user_model()
        .objects.filter(cond, is_active=True, erased_at__isnull=True)
        .order_by("first_name", "last_name")[:limit]
    )
    return [
        {
            "id": str(u.public_id),
            "name": u.get_full_name() or u.phone_number,
            "phone": u.phone_number,
        }
        for u in users
    ]


def _desk_client(
    *, client_id: Any = None, phone: str = "", first_name: str = "", last_name: str = ""
) -> tuple[identity.UserDTO, bool]:
    if client_id:
        return identity.get_user(public_id=client_id), False
    if not phone.strip():
        raise ValidationFailed(
            _("Elige un cliente o escribe el teléfono del cliente nuevo."), code="client_required"
        )
    if not first_name.strip():
        raise ValidationFailed(
            _("Escribe el nombre del cliente nuevo."), code="client_name_required"
        )
    try:
        return identity.invite_desk_client(phone, first_name, last_name)
    except ValidationFailed:
        raise
    except Exception:  # noqa: BLE001 - any parse failure of the number is bad input
        raise ValidationFailed(_("El teléfono no es válido."), code="invalid_phone") from None


# --- actions ---------------------------------------------------------------------------------
def book(
    actor: Any,
    *,
    service_code: str,
    start: datetime,
    therapist: Any = None,
    client_id: Any = None,
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    notes: str = "",
    accept_policy: bool = False,
) -> tuple[services.BookingOutcome, bool]:
    """Book at the desk for an existing client or one registered now (who gets the
    sign-up invitation). Same rules, locks and constraints as the client API; a card
    guarantee's consent is recorded as given at the desk, with the staff member."""
    require_desk(actor)
    with transaction.atomic():
        client, created = _desk_client(
            client_id=client_id, phone=phone, first_name=first_name, last_name=last_name
        )
        outcome = services.book_appointment(
            actor=actor,
            client=client,
            service_code=service_code,
            start=start,
            therapist_public_id=therapist,
            notes=notes,
            accept_policy=accept_policy,
            consent_via="desk",
        )
        _audit("booked", actor, outcome.appointment, new_client=created)
    return outcome, created


def move(actor: Any, appt: Appointment, *, start: datetime, therapist: Any = None) -> Appointment:
    require_desk(actor)
    if therapist and str(therapist) == str(appt.therapist.public_id):
        therapist = None
    old = appt.start
    moved = services.reschedule_appointment(
        actor=actor, appointment=appt, start=start, therapist_public_id=therapist
    )
    _audit("moved", actor, moved, old_start=old.isoformat(), new_start=moved.start.isoformat())
    return moved


def check_in(actor: Any, appt: Appointment) -> Appointment:
    done = services.check_in(actor=actor, appointment=appt)
    _audit("checked_in", actor, done)
    return done


def complete(actor: Any, appt: Appointment) -> Appointment:
    done = services.mark_completed(actor=actor, appointment=appt)
    _audit("completed", actor, done)
    return done


def no_show(actor: Any, appt: Appointment) -> Appointment:
    require_desk(actor)
    done = services.mark_no_show(actor=actor, appointment=appt)
    _audit("no_show", actor, done)
    return done


def cancel_preview(appt: Appointment, *, by: str, now: datetime | None = None) -> dict[str, Any]:
    """What cancelling now means under the policy, before staff confirm it."""
    now = now or timezone.now()
    by_spa = by == "spa"
    if appt.status not in CHANGEABLE_STATUSES or (not by_spa and appt.start <= now):
        return {
            "allowed": False,
            "refund_cents": 0,
            "kept_cents": 0,
            "fee_cents": 0,
            "message": _("Esta cita ya no se puede cancelar."),
        }
    consent = policy.consent_of(appt)
    window = policy.window_hours(appt, consent)
    in_window = now <= appt.start - timedelta(hours=window)
    paid = appt.deposit_paid_cents
    refund = paid if (by_spa or in_window) else 0
    kept = paid - refund
    fee = consent.late_cancel_fee_cents if consent and not by_spa and not in_window else 0
    if fee:
        message = _(
            "Faltan menos de %(h)s horas: se cobrará el cargo por cancelación tardía de "
            "%(amount)s a la tarjeta del cliente."
        ) % {"h": window, "amount": money(fee)}
    elif not paid:
        message = _("No hay anticipo pagado: se cancela sin cobro ni reembolso.")
    elif refund:
        message = _("Se reembolsará el anticipo de %(amount)s al cliente.") % {
            "amount": money(refund)
        }
    else:
        message = _("Faltan menos de %(h)s horas: el spa conserva el anticipo de %(amount)s.") % {
            "h": window,
            "amount": money(kept),
        }
    return {
        "allowed": True,
        "refund_cents": refund,
        "kept_cents": kept,
        "fee_cents": fee,
        "message": message,
    }


def cancel(actor: Any, appt: Appointment, *, by: str, reason: str = "") -> services.CancelOutcome:
    require_desk(actor)
    if by not in ("spa", "client"):
        raise ValidationFailed(_("Indica quién cancela: el spa o el cliente."), code="invalid_by")
    outcome = services.cancel_appointment(
        actor=actor, appointment=appt, reason=reason, by_spa=by == "spa"
    )
    _audit("cancelled", actor, appt, by=by, refund=outcome.refund_requested)
    return outcome


def set_notes(actor: Any, appt: Appointment, *, staff_notes: str) -> Appointment:
    require_desk(actor)
    with transaction.atomic():
        row = Appointment.objects.select_for_update(of=("self",)).get(pk=appt.pk)
        row.staff_notes = staff_notes.strip()[:2000]
        row.save(update_fields=["staff_notes", "updated_at"])
        services.record_event(row, "notes", actor, note=row.staff_notes[:300])
        _audit("notes", actor, row)
    appt.staff_notes = row.staff_notes
    return appt


def record_payment(
    actor: Any, appt: Appointment, *, amount_cents: int, method: str
) -> dict[str, Any]:
    """Money taken at the desk for this appointment, into the ledger with who took it.
    A pending deposit that is now covered confirms the appointment (same transaction,
    appointment row locked); more than what is due is refused."""
    require_desk(actor)
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValidationFailed(_("El monto debe ser mayor que cero."), code="invalid_amount")
    with transaction.atomic():
        row = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("client", "service", "therapist", "room")
            .get(pk=appt.pk)
        )
        if row.status not in BILLABLE:
            raise InvalidTransition()
        paid = paid_for([row]).get(str(row.public_id), 0)
        due = max(0, row.price_cents - paid)
        if amount_cents > due:  # what is due depends on earlier payments: a state, so 409
            raise Conflict(
                _("El monto supera lo pendiente (%(due)s).") % {"due": money(due)},
                code="amount_exceeds_due",
            )
        receipt = payments.record_desk_payment(
            purpose=PURPOSE_DESK,
            ref=str(row.public_id),
            amount_cents=amount_cents,
            method=method,
            taken_by=actor,
            customer=row.client,
            description=row.service.name,
        )
        services.record_event(
            row,
            "paid_at_desk",
            actor,
            note=f"{receipt.method_label} {money(amount_cents)} {receipt.reference}"[:300],
        )
        paid += amount_cents
        if row.status == S.PENDING_PAYMENT and paid >= row.deposit_cents:
            services.set_status(row, S.CONFIRMED, actor, "payment_settled", receipt.reference)
            row.deposit_paid_cents = min(paid, row.deposit_cents)
            row.confirmed_at, row.hold_expires_at, row.checkout = timezone.now(), None, {}
            row.save()
            services.notify_safely(row, "booking_confirmed", "confirmed")  # save() bumped
        _audit("payment", actor, row, amount_cents=amount_cents, method=method)
    return {"receipt": asdict(receipt), "balance": balance(row, paid), "status": row.status}


def send_payment_link(actor: Any, appt: Appointment) -> dict[str, Any]:
    """A Wompi link by WhatsApp: the deposit checkout while the deposit is pending,
    otherwise a checkout for what is left to pay."""
    require_desk(actor)
    if appt.status == S.PENDING_PAYMENT:
        outcome = deposits.deposit_checkout(actor=actor, appointment=appt)
        checkout = outcome.checkout
        amount = appt.deposit_cents
    else:
        if appt.status not in BILLABLE:
            raise InvalidTransition()
        paid = paid_for([appt]).get(str(appt.public_id), 0)
        amount = appt.price_cents - paid
        if amount <= 0:
            raise ValidationFailed(_("Esta cita ya está pagada."), code="nothing_due")
        checkout = asdict(
            payments.create_checkout(
                purpose=PURPOSE_BALANCE,
                ref=str(appt.public_id),
                amount_cents=amount,
                customer=appt.client,
                description=_("Saldo: %(service)s") % {"service": appt.service.name},
            )
        )
    url = checkout["checkout_url"] if isinstance(checkout, dict) else checkout.checkout_url
    reference = checkout["reference"] if isinstance(checkout, dict) else checkout.reference
    with transaction.atomic():
        messaging.send(
            appt, "booking_payment_link", f"link:{reference}", url=url, amount=money(amount)
        )
        services.record_event(appt, "payment_link_sent", actor, note=reference[:300])
        _audit("payment_link", actor, appt, reference=reference, amount_cents=amount)
    return {"reference": reference, "checkout_url": url, "amount_cents": amount}


def appointment_state(actor: Any, appt: Appointment) -> dict[str, Any]:
    """One appointment as the desk shows it (after an action)."""
    money_state = balance(appt, paid_for([appt]).get(str(appt.public_id), 0))
    desk = is_desk(actor)
    return {
        "id": str(appt.public_id),
        "status": appt.status,
        "status_label": appt.get_status_display(),
        "start": appt.start,
        "end": appt.end,
        "therapist": appt.therapist.display_name,
        "room": appt.room.name if appt.room_id else "",
        "staff_notes": appt.staff_notes,
        "actions": actions_for(actor, appt, timezone.now(), desk, money_state["due_cents"]),
        **money_state,
        # A no-show / late-cancellation fee and where its charge stands, with what this
        # actor may do to it now (waive or refund at /desk/fees/{id}/…: reception and admin).
        "fees": fees.staff_fees_of(appt, may_act=desk),
    }


def filters() -> dict[str, Any]:
    """Choices for the calendar's filters."""
    return {
        "therapists": [
            {"id": str(p), "name": n}
            for p, n in Therapist.objects.filter(is_active=True)
            .order_by("display_name")
            .values_list("public_id", "display_name")
        ],
        "rooms": [
            {"id": str(p), "name": n}
            for p, n in Room.objects.filter(is_active=True)
            .order_by("name")
            .values_list("public_id", "name")
        ],
        "services": [
            {"code": c, "name": n, "duration": d}
            for c, n, d in Service.objects.filter(is_active=True)
            .order_by("name")
            .values_list("code", "name", "duration_minutes")
        ],
    }
