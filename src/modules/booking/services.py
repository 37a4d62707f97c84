"""Booking write use-cases: book, reschedule, cancel, settle, expire, remind, close."""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.booking import freeing, messaging
from modules.booking.availability import AvailabilityEngine, bump_version, granularity, local_tz
from modules.booking.errors import (
    DepositBeingConfirmed,
    DepositNotDue,
    HoldExpired,
    InvalidTransition,
    NotCancellable,
    OutsideBookingWindow,
    ServiceNotFound,
    SlotTaken,
    TherapistNotFound,
)
from modules.booking.models import (
    CHANGEABLE_STATUSES,
    Appointment,
    AppointmentEvent,
    AppointmentReminder,
    Room,
    Service,
    Therapist,
)
from modules.booking.models import AppointmentStatus as S
from modules.identity import public as identity
from modules.payments import public as payments
from platform_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

logger = logging.getLogger(__name__)
PURPOSE = "booking.appointment"


@dataclass(frozen=True)
class BookingOutcome:
    appointment: Appointment
    checkout: Any | None  # payments.public.CheckoutDTO when a deposit is due


@dataclass(frozen=True)
class CancelOutcome:
    appointment: Appointment
    refund_requested: bool
    deposit_kept_cents: int


# --- helpers ------------------------------------------------------------------------------
def is_staff_booker(user: Any) -> bool:
    return identity.has_role(user, identity.RECEPTION, identity.ADMIN)


def deposit_for(price_cents: int, percent: int) -> int:
    """Integer percentage, rounded half up (no floats where money flows)."""
    return (price_cents * percent + 50) // 100


def _event(appointment: Appointment, kind: str, actor: Any = None, **fields: Any) -> None:
    AppointmentEvent.objects.create(
        appointment=appointment,
        kind=kind,
        actor_id=getattr(actor, "id", None),  # the user model or identity's UserDTO
        **fields,
    )


def _set_status(appt: Appointment, status: str, actor: Any, kind: str, note: str = "") -> None:
    old = appt.status
    appt.status = status
    _event(appt, kind, actor, from_status=old, to_status=status, note=note[:300])


def get_active_service(code: str) -> Service:
    service = Service.objects.filter(code__iexact=code.strip(), is_active=True).first()
    if service is None:
        raise ServiceNotFound()
    return service


def _check_start(start: datetime, *, staff: bool, now: datetime) -> datetime:
    if timezone.is_naive(start):
        start = timezone.make_aware(start, local_tz())
    start = start.astimezone(UTC)
    local = start.astimezone(local_tz())
    minutes = local.hour * 60 + local.minute
    if local.second or local.microsecond or minutes % granularity():
        # 409 like a taken slot: the agenda offers no such start (the grid is a setting).
        raise Conflict(
            _("La hora debe coincidir con la agenda (cada %(step)s minutos).")
            % {"step": granularity()},
            code="invalid_start",
        )
    earliest = now if staff else now + timedelta(minutes=settings.BOOKING_MIN_LEAD_MINUTES)
    latest = now + timedelta(days=settings.BOOKING_MAX_HORIZON_DAYS)
    if start < earliest or start > latest:
        raise OutsideBookingWindow()
    return start


def _lock_and_place(
    service: Service,
    start: datetime,
    candidates: list[Therapist],
    *,
    exclude_appointment_id: int | None = None,
) -> tuple[Therapist, Room | None]:
    """Inside the caller's transaction: serialise bookings of these therapists (and
    the service's room kind), re-check the slot against committed data, pick a
    therapist and a room. On PostgreSQL row locks (``SELECT ... FOR UPDATE``) do it;
    on SQLite every write transaction starts with BEGIN IMMEDIATE, which serialises
    writers, so the same overlap check is race-free there too. The exclusion
    constraints remain the last line of defence on PostgreSQL."""
    ids = sorted(t.pk for t in candidates)
    list(Therapist.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if service.resource_kind:
        list(
            Room.objects.select_for_update()
            .filter(kind=service.resource_kind, is_active=True)
            .order_by("pk")
        )
    day = start.astimezone(local_tz()).date()
    engine = AvailabilityEngine(
        service, day, day, therapist_ids=ids, exclude_appointment_id=exclude_appointment_id
    )
    free = next((tids for s, tids in engine.compute().slots if s == start), [])
    if not free:
        raise SlotTaken()
    by_pk = {t.pk: t for t in candidates}
    # Spread the work: the least busy therapist that day gets the booking.
    chosen = min(free, key=lambda pk: (len(engine.busy_therapist[pk]), pk))
    room = None
    if service.resource_kind:
        rooms = engine.free_rooms(start)
        if not rooms:
            raise SlotTaken()
        room = Room.objects.get(pk=rooms[0])
    return by_pk[chosen], room


def _place(appt: Appointment, service: Service, start: datetime) -> None:
    """Set the appointment's times from the service as it is now: the treatment, the
    blocked range (buffers, compared by the room's exclusion constraint) and the
    processing phase (the therapist's constraint leaves it out)."""
    minutes = timedelta(minutes=1)
    appt.start = start
    appt.end = start + service.duration_minutes * minutes
    appt.blocked_start = start - service.buffer_before_minutes * minutes
    appt.blocked_end = appt.end + service.buffer_after_minutes * minutes
    appt.processing_start = appt.processing_end = None
    if service.has_processing:
        appt.processing_start = start + service.processing_start_minutes * minutes
        appt.processing_end = appt.processing_start + service.processing_minutes * minutes


def _save_guarded(appointment: Appointment) -> None:
    """Save inside a savepoint: an exclusion-constraint violation becomes 409."""
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:
        logger.info("booking conflict on save: %s", exc)
        raise SlotTaken() from None


def _candidates(service: Service, therapist_public_id: Any | None) -> list[Therapist]:
    qs = Therapist.objects.filter(services=service, is_active=True).order_by("pk")
    if therapist_public_id:
        try:
            therapist_uuid = uuid.UUID(str(therapist_public_id))
        except ValueError:
            raise TherapistNotFound() from None
        qs = qs.filter(public_id=therapist_uuid)
    therapists = list(qs)
    if not therapists:
        raise TherapistNotFound()
    return therapists


def _notify_safely(appointment: Appointment, template: str, key: str) -> None:
    """Messages are a side effect: a broken channel must not undo a booking."""
    try:
        with transaction.atomic():
            messaging.send(appointment, template, key)
    except Exception:
        logger.exception("could not queue %s for appointment %s", template, appointment.pk)


# --- booking --------------------------------------------------------------------------------
def resolve_client(
    *, actor: Any, client_public_id: Any = None, client_phone: str = ""
) -> identity.UserRef:
    """Clients book for themselves; reception/admin may name anyone."""
    if not client_public_id and not client_phone:
        return actor
    if not is_staff_booker(actor):
        raise PermissionDenied(_("Solo puedes reservar a tu nombre."), code="client_not_allowed")
    if client_public_id:
        return identity.get_user(public_id=client_public_id)
    from platform_core.phones import normalize_phone

    try:
        phone = normalize_phone(client_phone)
    except Exception:  # noqa: BLE001 - any parse failure is bad input
        raise ValidationFailed(_("El teléfono no es válido."), code="invalid_phone") from None
    factory = getattr(identity, "get_or_create_client_by_phone", None)
    if factory is not None:
        return factory(phone)
    client = identity.get_user_by_phone(phone)
    if client is None:
        raise NotFound(_("No hay un cliente con ese teléfono."), code="client_not_found")
    return client


def book_appointment(
    *,
    actor: Any,
    client: identity.UserRef,
    service_code: str,
    start: datetime,
    therapist_public_id: Any = None,
    notes: str = "",
    skip_lead_time: bool = False,
) -> BookingOutcome:
    """``skip_lead_time``: a start the spa itself offered (a waitlist offer) may be
    closer than BOOKING_MIN_LEAD_MINUTES by the time the client accepts it."""
    now = timezone.now()
    service = get_active_service(service_code)
    start = _check_start(start, staff=skip_lead_time or is_staff_booker(actor), now=now)
    candidates = _candidates(service, therapist_public_id)
    vip = identity.is_vip(client) and service.vip_price_cents is not None
    price = service.vip_price_cents if vip else service.price_cents
    deposit = deposit_for(price, service.deposit_percent)
    checkout = None
    with transaction.atomic():
        therapist, room = _lock_and_place(service, start, candidates)
        appt = Appointment(
            client_id=client.id,
            booked_by_id=getattr(actor, "id", None),  # None for an anonymous actor
            service=service,
            therapist=therapist,
            room=room,
            status=S.PENDING_PAYMENT if deposit > 0 else S.CONFIRMED,
            price_cents=price,
            vip_price_applied=vip,
            currency=service.currency,
            deposit_cents=deposit,
            notes=notes[:2000],
        )
        _place(appt, service, start)
        if deposit > 0:
            appt.hold_expires_at = now + timedelta(minutes=settings.APPOINTMENT_HOLD_MINUTES)
        else:
            appt.confirmed_at = now
        _save_guarded(appt)
        _event(
            appt, "created", actor, to_status=appt.status, new_start=start, new_therapist=therapist
        )
        if deposit > 0:
            checkout = payments.create_checkout(
                purpose=PURPOSE,
                ref=str(appt.public_id),
                amount_cents=deposit,
                customer=client,
                expires_at=appt.hold_expires_at,
                description=_("Anticipo: %(service)s") % {"service": service.name},
            )
            appt.checkout = asdict(checkout)
            appt.save(update_fields=["checkout", "updated_at"])
        else:
            _notify_safely(appt, "booking_confirmed", "confirmed")
        bump_version()
    return BookingOutcome(appt, checkout)


def reschedule_appointment(
    *, actor: Any, appointment: Appointment, start: datetime, therapist_public_id: Any = None
) -> Appointment:
    """Move an active appointment; same row (and payment reference), history kept.
    Clients may move their own only until the cancellation window; staff anytime."""
    now = timezone.now()
    staff = is_staff_booker(actor)
    if appointment.status not in CHANGEABLE_STATUSES:
        raise InvalidTransition()
    window = timedelta(hours=settings.CANCELLATION_WINDOW_HOURS)
    if not staff and appointment.start - window < now:
        raise NotCancellable(
            _("Ya no puedes reprogramar esta cita: faltan menos de %(h)s horas.")
            % {"h": settings.CANCELLATION_WINDOW_HOURS}
        )
    service = appointment.service
    start = _check_start(start, staff=staff, now=now)
    candidates = (
        _candidates(service, therapist_public_id)
        if therapist_public_id
        else [appointment.therapist]
    )
    with transaction.atomic():
        appt = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appt.status not in CHANGEABLE_STATUSES:
            raise InvalidTransition()
        therapist, room = _lock_and_place(
            service, start, candidates, exclude_appointment_id=appt.pk
        )
        old_start, old_therapist = appt.start, appt.therapist
        _place(appt, service, start)
        appt.therapist, appt.room = therapist, room
        _save_guarded(appt)
        # A moved appointment gets its reminders again, for the new time.
        appt.reminders.all().delete()
        _event(
            appt,
            "rescheduled",
            actor,
            from_status=appt.status,
            to_status=appt.status,
            old_start=old_start,
            new_start=start,
            old_therapist=old_therapist,
            new_therapist=therapist,
        )
        if appt.status == S.CONFIRMED:
            _notify_safely(appt, "booking_rescheduled", f"rescheduled:{int(start.timestamp())}")
        freeing.slot_freed(old_therapist.pk, old_start)
        bump_version()
    return appt


def cancel_appointment(
    *, actor: Any, appointment: Appointment, reason: str = "", by_spa: bool = False
) -> CancelOutcome:
    """Policy: free until CANCELLATION_WINDOW_HOURS before the start (a paid deposit is
    refunded through payments); later the deposit is kept. The spa always refunds."""
    now = timezone.now()
    with transaction.atomic():
        appt = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appt.status not in CHANGEABLE_STATUSES or (not by_spa and appt.start <= now):
            raise NotCancellable()
        in_window = now <= appt.start - timedelta(hours=settings.CANCELLATION_WINDOW_HOURS)
        refund = appt.deposit_paid_cents > 0 and (by_spa or in_window)
        _set_status(appt, S.CANCELLED, actor, "cancelled", reason)
        appt.cancelled_by = (
            Appointment.CancelledBy.SPA if by_spa else Appointment.CancelledBy.CLIENT
        )
        appt.cancelled_at = now
        appt.cancellation_reason = reason[:300]
        appt.hold_expires_at, appt.checkout = None, {}
        if refund:
            payments.request_refund(
                purpose=PURPOSE,
                ref=str(appt.public_id),
                reason="cancelled_by_spa" if by_spa else "cancelled_in_window",
                amount_cents=appt.deposit_paid_cents,
                payment_reference=appt.payment_reference,
            )
            appt.refund_requested_at = now
        appt.save()
        _notify_safely(appt, "booking_cancelled", "cancelled")
        freeing.slot_freed(appt.therapist_id, appt.start)
        bump_version()
    kept = 0 if refund else appt.deposit_paid_cents
    return CancelOutcome(appt, refund, kept)


def _close(
    actor: Any, appointment: Appointment, status: str, kind: str, allowed: tuple[str, ...]
) -> Appointment:
    now = timezone.now()
    with transaction.atomic():
        appt = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appt.status not in allowed or appt.start > now:
            raise InvalidTransition()
        _set_status(appt, status, actor, kind)
        if status == S.COMPLETED:
            appt.completed_at = now
        appt.save()
        if status == S.COMPLETED:
            _notify_safely(appt, "booking_thank_you", "thank_you")
        else:  # a no-show releases the rest of the slot and the day's later time
            freeing.slot_freed(appt.therapist_id, appt.start)
        bump_version()
    return appt


def mark_completed(*, actor: Any, appointment: Appointment) -> Appointment:
    """Staff close a visit (confirmed or checked in); the client gets a thank-you."""
    return _close(actor, appointment, S.COMPLETED, "completed", (S.CONFIRMED, S.ARRIVED))


def mark_no_show(*, actor: Any, appointment: Appointment) -> Appointment:
    """Only a confirmed appointment that has started: a checked-in client came."""
    return _close(actor, appointment, S.NO_SHOW, "no_show", (S.CONFIRMED,))


def check_in(*, actor: Any, appointment: Appointment) -> Appointment:
    """The client is at the spa: CONFIRMED -> ARRIVED, on the appointment's own day
    (Bogotá) and before it ends. ARRIVED keeps the slot (exclusion constraints)."""
    now = timezone.now()
    with transaction.atomic():
        appt = Appointment.objects.select_for_update().get(pk=appointment.pk)
        today = now.astimezone(local_tz()).date()
        if (
            appt.status != S.CONFIRMED
            or appt.start.astimezone(local_tz()).date() != today
            or appt.end <= now
        ):
            raise InvalidTransition()
        _set_status(appt, S.ARRIVED, actor, "arrived")
        appt.arrived_at = now
        appt.save()
        bump_version()
    return appt


# --- payments ---------------------------------------------------------------------------------
def _refund(
    appt: Appointment, reason: str, amount_cents: int, now: datetime, payment_reference: str
) -> None:
    # Exactly this attempt: a duplicate must never refund the payment that confirmed.
    payments.request_refund(
        purpose=PURPOSE,
        ref=str(appt.public_id),
        reason=reason,
        amount_cents=amount_cents,
        payment_reference=payment_reference,
    )
    appt.refund_requested_at = now
    appt.needs_attention = reason


def handle_deposit_settled(*, ref: str, payment_reference: str, amount_cents: int) -> str:
    """Receiver logic for payments' settlement of a deposit. Idempotent per payment.
    Returns what happened: confirmed / duplicate / refunded / ignored."""
    now = timezone.now()
    try:
        public_id = uuid.UUID(str(ref))
    except ValueError:
        logger.warning("deposit settled for malformed ref %r", ref)
        return "ignored"
    with transaction.atomic():
        # of=("self",): lock the appointment only. Locking the joined therapist row too
        # takes locks in the opposite order to a booking (therapist, then appointment)
        # and deadlocked concurrent settlements (seen in the memory benchmark).
        appt = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("service", "therapist", "client")
            .filter(public_id=public_id)
            .first()
        )
        if appt is None:
            logger.warning("deposit settled for unknown appointment %s", ref)
            return "ignored"
        if appt.payment_reference == payment_reference:
            return "duplicate"
        first_payment = not appt.payment_reference
        if first_payment:  # a duplicate never replaces the payment that holds the visit
            appt.payment_reference = payment_reference
        payable = first_payment and (
            appt.status == S.PENDING_PAYMENT
            or (appt.status == S.EXPIRED and appt.start > now and _take_slot_back(appt))
        )
        if payable:
            _set_status(appt, S.CONFIRMED, None, "payment_settled", payment_reference)
            appt.deposit_paid_cents = amount_cents
            appt.confirmed_at, appt.hold_expires_at, appt.checkout = now, None, {}
            appt.save()
            _notify_safely(appt, "booking_confirmed", "confirmed")
            bump_version()
            return "confirmed"
        # Slot gone, cancelled meanwhile, or a second payment: never double-book.
        if not first_payment:
            reason = "duplicate_payment"
        elif appt.status == S.EXPIRED:
            reason = "slot_unavailable_after_expiry"
        else:
            reason = "appointment_not_payable"
        _refund(appt, reason, amount_cents, now, payment_reference)
        _event(appt, "refund_requested", None, note=f"{reason} {payment_reference}"[:300])
        appt.save()
    return "refunded"


def _take_slot_back(appt: Appointment) -> bool:
    """A late payment for an expired hold: the appointment becomes active again only
    if its slot is still free, checked under the same locks as a new booking and
    guarded by the exclusion constraints. On success the row is active (CONFIRMED
    is set by the caller, which records the transition)."""
    try:
        with transaction.atomic():
            _, room = _lock_and_place(
                appt.service, appt.start, [appt.therapist], exclude_appointment_id=appt.pk
            )
            Appointment.objects.filter(pk=appt.pk).update(room=room, status=S.CONFIRMED)
    except (SlotTaken, IntegrityError):
        return False
    appt.room = room
    return True


def handle_deposit_failed(*, ref: str, payment_reference: str = "", status: str = "") -> None:
    """A declined (or errored, or expired) payment attempt never cancels nor expires the
    appointment: the hold stays until ``hold_expires_at`` and the client may open a new
    attempt within it (``deposit_checkout``). Nothing to do but record it."""
    try:
        appt = Appointment.objects.filter(public_id=uuid.UUID(str(ref))).first()
    except ValueError:
        return
    if appt is not None:
        _event(appt, "payment_failed", None, note=f"{status} {payment_reference}".strip()[:300])


def deposit_checkout(*, actor: Any, appointment: Appointment) -> BookingOutcome:
    """The deposit checkout of a PENDING_PAYMENT appointment whose hold is still valid:
    the open attempt while payments still has it PENDING, otherwise (the last attempt
    was DECLINED / ERROR, or there is none) a new attempt that expires with the hold.
    The appointment row is locked, so concurrent calls open at most one attempt and
    all return it. The outcome's checkout is a dict in the shape of ``CheckoutDTO``."""
    now = timezone.now()
    with transaction.atomic():
        appt = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("service", "client", "therapist", "room")
            .get(pk=appointment.pk)
        )
        if appt.status == S.EXPIRED:
            raise HoldExpired()
        if appt.status != S.PENDING_PAYMENT or appt.deposit_cents <= 0:
            raise DepositNotDue()
        if appt.hold_expires_at is None or appt.hold_expires_at <= now:
            raise HoldExpired()  # the beat has not expired it yet; it will
        latest = payments.payment_status(purpose=PURPOSE, ref=str(appt.public_id))
        if latest == "APPROVED":
            # Paid; the settlement signal is on its way (or failed and staff will see
            # the payment flagged). A new attempt would only charge the client twice.
            raise DepositBeingConfirmed()
        if latest == "PENDING" and appt.checkout:
            return BookingOutcome(appt, appt.checkout)
        checkout = payments.create_checkout(
            purpose=PURPOSE,
            ref=str(appt.public_id),
            amount_cents=appt.deposit_cents,
            customer=appt.client,
            expires_at=appt.hold_expires_at,
            description=_("Anticipo: %(service)s") % {"service": appt.service.name},
        )
        appt.checkout = asdict(checkout)
        appt.save(update_fields=["checkout", "updated_at"])
        _event(appt, "checkout_opened", actor, note=f"{latest or ''} {checkout.reference}"[:300])
    return BookingOutcome(appt, appt.checkout)


def expire_holds(now: datetime | None = None, limit: int = 500) -> int:
    """Expire unpaid holds past their time and free their slots. Safe to run twice."""
    now = now or timezone.now()
    ids = list(
        Appointment.objects.filter(status=S.PENDING_PAYMENT, hold_expires_at__lte=now).values_list(
            "pk", flat=True
        )[:limit]
    )
    expired = 0
    for pk in ids:
        with transaction.atomic():
            appt = (
                Appointment.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=S.PENDING_PAYMENT, hold_expires_at__lte=now)
                .first()
            )
            if appt is None:
                continue
            _set_status(appt, S.EXPIRED, None, "hold_expired")
            appt.checkout = {}
            appt.save()
            freeing.slot_freed(appt.therapist_id, appt.start)
            bump_version()
            expired += 1
    return expired


# --- reminders --------------------------------------------------------------------------------
def reminder_hours() -> list[int]:
    return sorted({int(h) for h in settings.BOOKING_REMINDER_HOURS if int(h) > 0})


def send_reminder(appointment_id: int, hours: int, now: datetime | None = None) -> bool:
    """Send the ``hours``-before reminder once: the reminder row is claimed with a
    conditional UPDATE in the same transaction as the outbox write."""
    now = now or timezone.now()
    with transaction.atomic():
        appt = (
            Appointment.objects.select_related("client", "service", "therapist", "room")
            .filter(pk=appointment_id, status=S.CONFIRMED, start__gt=now)
            .first()
        )
        if appt is None:
            return False
        AppointmentReminder.objects.bulk_create(
            [AppointmentReminder(appointment_id=appointment_id, hours=hours)],
            ignore_conflicts=True,
        )
        claimed = AppointmentReminder.objects.filter(
            appointment_id=appointment_id, hours=hours, sent_at__isnull=True
        ).update(sent_at=now)
        if not claimed:
            return False
        # The start is part of the key: a rescheduled appointment (whose claims were
        # deleted) gets a new message for its new time instead of the old outbox row.
        key = f"reminder:{hours}:{int(appt.start.timestamp())}"
        messaging.send(appt, "booking_reminder", key, hours=hours)
    return True


def send_due_reminders(now: datetime | None = None) -> int:
    """For each confirmed upcoming appointment, send the nearest reminder that is due.
    A reminder whose moment had already passed when the booking was made is skipped
    (the confirmation covers it), as are earlier reminders the beat missed."""
    now = now or timezone.now()
    hours = reminder_hours()
    if not hours:
        return 0
    rows = Appointment.objects.filter(
        status=S.CONFIRMED, start__gt=now, start__lte=now + timedelta(hours=max(hours))
    ).values_list("pk", "start", "created_at")
    sent = 0
    for pk, start, created_at in rows:
        due = [h for h in hours if start - timedelta(hours=h) <= now]
        if not due:
            continue
        nearest = min(due)
        if created_at > start - timedelta(hours=nearest):
            continue
        if send_reminder(pk, nearest, now):
            sent += 1
    return sent


# --- personal data --------------------------------------------------------------------------
def erase_client_data(user: Any) -> None:
    """Cancel the user's upcoming appointments (as a client cancellation, under the
    policy) and scrub free text; visit records stay for accounting, anonymised."""
    now = timezone.now()
    for appt in Appointment.objects.filter(
        client=user, status__in=CHANGEABLE_STATUSES, start__gt=now
    ):
        cancel_appointment(actor=None, appointment=appt, reason="account_erased")
    Appointment.objects.filter(client=user).update(
        notes="", staff_notes="", cancellation_reason="", checkout={}
    )
    AppointmentEvent.objects.filter(appointment__client=user).update(note="")


def day_bounds(day: Any) -> tuple[datetime, datetime]:
    tz = local_tz()
    start = datetime.combine(day, time.min, tz)
    return start, start + timedelta(days=1)
