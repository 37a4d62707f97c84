"""Booking write use-cases: book, reschedule, cancel, check in, close. Deposits are in
``deposits``, reminders in ``reminders``.

Every save of an Appointment bumps the availability version (now and on commit) through
its post_save receiver (``apps.ready``): the use-cases here do not bump it again."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.booking import fees, freeing, policy
from modules.booking.availability import AvailabilityEngine, granularity, local_tz
from modules.booking.errors import (
    AppointmentNotFound,
    InvalidTransition,
    NobodyWorking,
    NotCancellable,
    OutsideBookingWindow,
    ServiceNotFound,
    SlotTaken,
    SpaClosed,
    TherapistNotFound,
)
from modules.booking.messaging import notify_safely
from modules.booking.models import (
    CHANGEABLE_STATUSES,
    Appointment,
    AppointmentEvent,
    Room,
    Service,
    Therapist,
)
from modules.booking.models import AppointmentStatus as S
from modules.booking.versions import CATALOG
from modules.identity import public as identity
from modules.payments import public as payments
from platform_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

logger = logging.getLogger(__name__)
PURPOSE = "booking.appointment"


@dataclass(frozen=True)
class BookingOutcome:
    appointment: Appointment
    checkout: Any | None  # payments.public.CheckoutDTO when a deposit is due


# What a cancellation writes on the appointment row.
CANCEL_FIELDS = (
    "status",
    "cancelled_by",
    "cancelled_at",
    "cancellation_reason",
    "hold_expires_at",
    "checkout",
    "refund_requested_at",
)


@dataclass(frozen=True)
class CancelOutcome:
    appointment: Appointment
    refund_requested: bool
    deposit_kept_cents: int
    fee_cents: int = 0  # a late-cancellation fee charged to the card on file


# --- helpers ------------------------------------------------------------------------------
def is_staff_booker(user: Any) -> bool:
    return identity.has_role(user, identity.RECEPTION, identity.ADMIN)


deposit_for = policy.percent_of  # a deposit is a percentage of the price


def due_online(price_cents: int, percent: int, tenders: Sequence[payments.TenderOffer]) -> int:
    """What the client pays when booking: the deposit; with tenders and no deposit, the
    whole price (a prepaid booking); with a tender that pays whole sessions (a package
    credit: ``payments.public.tenders_prepay``) the whole price too, so one credit pays
    the appointment in full rather than its deposit."""
    deposit = deposit_for(price_cents, percent)
    if tenders and (deposit == 0 or payments.tenders_prepay(tenders)):
        return price_cents
    return deposit


def service_lines(appt: Appointment) -> list[payments.TenderLine]:
    """What an appointment's checkout pays, for the tenders' providers to decide what they
    cover (a package credit covers its own service)."""
    return [
        payments.TenderLine(kind="service", code=appt.service.code, amount_cents=appt.price_cents)
    ]


def open_deposit_checkout(
    appt: Appointment, tenders: Sequence[payments.TenderOffer] = (), *, save: bool = True
) -> payments.CheckoutDTO:
    """A new attempt for the appointment's deposit (in the caller's transaction, which
    locks or creates the row), stored on it. Tenders the payments refuse raise and the
    caller's transaction rolls back. A tender paying whole sessions makes the whole price
    due (``due_online``). ``save=False``: a booking not inserted yet, which its INSERT
    stores with the attempt (one write instead of an INSERT and an UPDATE)."""
    if tenders and payments.tenders_prepay(tenders):
        appt.deposit_cents = appt.price_cents
    checkout = payments.create_checkout(
        purpose=PURPOSE,
        ref=str(appt.public_id),
        amount_cents=appt.deposit_cents,
        customer=appt.client,
        expires_at=appt.hold_expires_at,
        description=_("Anticipo: %(service)s") % {"service": appt.service.name},
        tenders=tenders,
        lines=service_lines(appt),
    )
    appt.checkout = asdict(checkout)
    if save:
        appt.save(update_fields=["checkout", "deposit_cents", "updated_at"])
    return checkout


def record_event(appointment: Appointment, kind: str, actor: Any = None, **fields: Any) -> None:
    AppointmentEvent.objects.create(
        appointment=appointment,
        kind=kind,
        actor_id=getattr(actor, "id", None),  # the user model or identity's UserDTO
        **fields,
    )


def set_status(appt: Appointment, status: str, actor: Any, kind: str, note: str = "") -> None:
    old = appt.status
    appt.status = status
    record_event(appt, kind, actor, from_status=old, to_status=status, note=note[:300])


def get_active_service(code: str) -> Service:
    """The active service with that code (any case). Kept in the shared cache under the
    catalog version it was read at (CATALOG moves on every write of a service, see
    ``apps.ready``): the version and the entry come in one cache round trip instead of a
    query, and an entry of an older version is never served."""
    code = code.strip()
    key = f"booking:active-service:{code.lower()}"
    got = cache.get_many([CATALOG.key, key])
    version = got.get(CATALOG.key)
    if version is None:
        version = CATALOG.current()  # a fresh cache starts a new generation
    entry = got.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    # The version was read before the row: a write after it moves the version, so this
    # entry can only be served to readers who saw the version the row was read under.
    service = Service.objects.filter(code__iexact=code, is_active=True).first()
    if service is None:
        raise ServiceNotFound()
    cache.set(key, (version, service), timeout=SERVICE_CACHE_SECONDS)
    return service


SERVICE_CACHE_SECONDS = 3600  # an unused entry goes away; validity is the version's


def _check_start(start: datetime, *, staff: bool | Callable[[], bool], now: datetime) -> datetime:
    """The start on the agenda's grid and inside the booking window. Staff may book
    inside the lead time; ``staff`` may be a callable, asked only for a start inside it
    (most starts are not: no role lookup)."""
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
    latest = now + timedelta(days=settings.BOOKING_MAX_HORIZON_DAYS)
    if start < now or start > latest:
        raise OutsideBookingWindow()
    if start < now + timedelta(minutes=settings.BOOKING_MIN_LEAD_MINUTES) and not (
        staff() if callable(staff) else staff
    ):
        raise OutsideBookingWindow()
    return start


def lock_and_place(
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
    # The lock is what matters: the rows' pks are enough (no model instances).
    list(
        Therapist.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    locked_rooms: dict[int, Room] = {}
    if service.resource_kind:
        locked_rooms = {
            room.pk: room
            for room in Room.objects.select_for_update()
            .filter(kind=service.resource_kind, is_active=True)
            .order_by("pk")
        }
    day = start.astimezone(local_tz()).date()
    engine = AvailabilityEngine(
        service, day, day, therapist_ids=ids, exclude_appointment_id=exclude_appointment_id
    )
    free = next((tids for s, tids in engine.compute().slots if s == start), [])
    if not free:
        raise {"closed": SpaClosed, "off": NobodyWorking}.get(
            engine.why_not_free(start), SlotTaken
        )()
    by_pk = {t.pk: t for t in candidates}
    # Spread the work: the least busy therapist that day gets the booking.
    chosen = min(free, key=lambda pk: (len(engine.busy_therapist[pk]), pk))
    room = None
    if service.resource_kind:
        # The first free room among those locked above (the rows are already loaded).
        free_rooms = [pk for pk in engine.free_rooms(start) if pk in locked_rooms]
        room = locked_rooms[free_rooms[0]] if free_rooms else None
        if room is None:
            raise SlotTaken()
    return by_pk[chosen], room


def place(appt: Appointment, service: Service, start: datetime) -> None:
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


def save_guarded(appointment: Appointment) -> None:
    """Save; an exclusion-constraint violation becomes 409 (SlotTaken). No savepoint of its
    own: every caller lets SlotTaken leave the atomic block it saves in, which rolls the
    whole attempt back (a savepoint here cost two statements per booking for a rollback
    the caller's block does anyway). Call it inside such a block."""
    try:
        appointment.save()
    except IntegrityError as exc:
        logger.info("booking conflict on save: %s", exc)
        raise SlotTaken() from None


def candidate_therapists(service: Service, therapist_public_id: Any | None) -> list[Therapist]:
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


def _locking(*, consent: bool = False, client: bool = True) -> QuerySet[Appointment]:
    """Appointments row-locked (only their own row), with what their messages show
    (client, service, therapist, room) joined in the same query instead of four lazy
    loads; ``consent``: the card-guarantee consent too (``policy.consent_of`` reads it);
    ``client=False``: the caller has the client at hand (or loads it when needed)."""
    related = (
        ["client", "service", "therapist", "room"] if client else ["service", "therapist", "room"]
    )
    if consent:
        related.append("guarantee")
    return Appointment.objects.select_for_update(of=("self",)).select_related(*related)


def _is_user(obj: Any) -> bool:
    """A user model instance (the API's request.auth), not identity's UserDTO."""
    return isinstance(obj, Appointment.client.field.related_model)


def _locked(pk: int, *, consent: bool = False) -> Appointment:
    return _locking(consent=consent).get(pk=pk)


def may_see(actor: Any, appt: Appointment) -> bool:
    """The appointment is the actor's own, one they perform, or they are reception/admin
    (everyone else gets 404, never 403)."""
    if actor.id is not None and actor.id in (appt.client_id, appt.therapist.user_id):
        return True
    return is_staff_booker(actor)


def book_appointment(
    *,
    actor: Any,
    client: identity.UserRef,
    service_code: str,
    start: datetime,
    therapist_public_id: Any = None,
    notes: str = "",
    skip_lead_time: bool = False,
    accept_policy: bool = False,
    consent_via: str = "api",
    tenders: Sequence[payments.TenderOffer] = (),
) -> BookingOutcome:
    """``skip_lead_time``: a start the spa itself offered (a waitlist offer) may be
    closer than BOOKING_MIN_LEAD_MINUTES by the time the client accepts it.
    ``accept_policy``: the client accepted the service's card-guarantee policy (required,
    with a saved card, for such a service); ``consent_via`` says where (api, assistant,
    desk, waitlist) and is stored with the consent. ``tenders`` (gift cards, package
    credits) pay the deposit — or the whole price of a service without one — before
    Wompi; covering it all, the appointment is confirmed at once."""
    now = timezone.now()
    service = get_active_service(service_code)
    start = _check_start(start, staff=lambda: skip_lead_time or is_staff_booker(actor), now=now)
    candidates = candidate_therapists(service, therapist_public_id)
    vip = identity.is_vip(client) and service.vip_price_cents is not None
    price = service.vip_price_cents if vip else service.price_cents
    deposit = due_online(price, service.deposit_percent, tenders)
    guarantee = policy.require_consent(
        service, client_id=client.id, price_cents=price, accepted=accept_policy
    )
    checkout = None
    with transaction.atomic():
        therapist, room = lock_and_place(service, start, candidates)
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
        if _is_user(client):
            appt.client = client  # the user at hand: no reload for the checkout or message
        place(appt, service, start)
        if deposit > 0:
            appt.hold_expires_at = now + timedelta(minutes=settings.APPOINTMENT_HOLD_MINUTES)
            # The attempt is opened first (its reference is the appointment's public_id,
            # set already) so the INSERT stores it: no UPDATE after. Should the INSERT
            # hit the exclusion constraint, the attempt rolls back with the booking.
            checkout = open_deposit_checkout(appt, tenders, save=False)
        else:
            appt.confirmed_at = now
        # Its post_save receiver bumps the availability version (now and on commit).
        save_guarded(appt)
        record_event(
            appt, "created", actor, to_status=appt.status, new_start=start, new_therapist=therapist
        )
        if guarantee is not None:
            terms, card = guarantee
            staff_for_client = getattr(actor, "id", None) != client.id
            policy.record_consent(  # caches itself on appt (the one-to-one's reverse side)
                appt,
                terms,
                card,
                via=consent_via,
                recorded_by=actor if staff_for_client else None,
            )
        else:
            policy.no_consent(appt)  # a new booking: the answer need not look for one
        if deposit == 0:
            notify_safely(appt, "booking_confirmed", "confirmed")
    if checkout is not None and checkout.settled:
        appt.refresh_from_db()  # confirmed by the settlement's handler after commit
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
        candidate_therapists(service, therapist_public_id)
        if therapist_public_id
        else [appointment.therapist]
    )
    with transaction.atomic():
        appt = _locked(appointment.pk)
        if appt.status not in CHANGEABLE_STATUSES:
            raise InvalidTransition()
        therapist, room = lock_and_place(service, start, candidates, exclude_appointment_id=appt.pk)
        old_start, old_therapist = appt.start, appt.therapist
        place(appt, service, start)
        appt.therapist, appt.room = therapist, room
        save_guarded(appt)
        # A moved appointment gets its reminders again, for the new time.
        appt.reminders.all().delete()
        record_event(
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
            notify_safely(appt, "booking_rescheduled", f"rescheduled:{int(start.timestamp())}")
        freeing.slot_freed(old_therapist.pk, old_start)
    return appt


def cancel_appointment(
    *,
    actor: Any,
    appointment: Appointment,
    reason: str = "",
    by_spa: bool = False,
    charge_fee: bool = True,
) -> CancelOutcome:
    """Policy: free until the late window (the service's, else CANCELLATION_WINDOW_HOURS)
    before the start (a paid deposit is refunded through payments); later the deposit is
    kept, or a card-guarantee booking's late-cancellation fee is charged to the card
    (``fees``). The spa always refunds and never charges; ``charge_fee=False`` (an
    account's erasure) charges no fee."""
    with transaction.atomic():
        appt = _locked(appointment.pk, consent=True)
        return _cancel_locked(
            actor, appt, reason=reason, by_spa=by_spa, charge_fee=charge_fee, now=timezone.now()
        )


def cancel_as(*, actor: Any, appointment_id: Any, reason: str = "") -> CancelOutcome:
    """The API's cancel: the appointment (by public id) found, authorised and cancelled
    with one locked load. Not visible to the actor: 404 (never 403); the therapist
    performing it cannot cancel for the client (403); reception/admin cancel for the
    spa (``by_spa``: refunded, never charged)."""
    try:
        appt_uuid = uuid.UUID(str(appointment_id))
    except ValueError:
        raise AppointmentNotFound() from None
    with transaction.atomic():
        # get(), not first(): a unique key needs no ORDER BY (compiling the model's
        # ordering was ~1 ms of the cancel's CPU).
        try:
            appt = _locking(consent=True, client=False).get(public_id=appt_uuid)
        except Appointment.DoesNotExist:
            raise AppointmentNotFound() from None
        if appt.client_id == actor.id and _is_user(actor):
            appt.client = actor  # their own: the signed-in user is the row (not joined)
        by_spa = False
        if appt.client_id != actor.id:
            by_spa = is_staff_booker(actor)
            if not by_spa:
                if actor.id is None or appt.therapist.user_id != actor.id:
                    raise AppointmentNotFound()
                raise PermissionDenied()  # the therapist performing it
        return _cancel_locked(
            actor, appt, reason=reason, by_spa=by_spa, charge_fee=True, now=timezone.now()
        )


def _cancel_locked(
    actor: Any, appt: Appointment, *, reason: str, by_spa: bool, charge_fee: bool, now: datetime
) -> CancelOutcome:
    """Inside the transaction that locked ``appt`` (loaded with its consent)."""
    if appt.status not in CHANGEABLE_STATUSES or (not by_spa and appt.start <= now):
        raise NotCancellable()
    consent = policy.consent_of(appt)
    hours = policy.window_hours(appt, consent)
    in_window = now <= appt.start - timedelta(hours=hours)
    refund = appt.deposit_paid_cents > 0 and (by_spa or in_window)
    set_status(appt, S.CANCELLED, actor, "cancelled", reason)
    appt.cancelled_by = Appointment.CancelledBy.SPA if by_spa else Appointment.CancelledBy.CLIENT
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
    # Only what a cancellation changes; the post_save receiver bumps the availability
    # version (now and on commit).
    appt.save(update_fields=[*CANCEL_FIELDS, "updated_at"])
    fee = None
    if charge_fee and not by_spa and not in_window:
        fee = fees.decide(appt, fees.Kind.LATE_CANCEL, consent=consent, now=now)
    notify_safely(appt, "booking_cancelled", "cancelled")
    freeing.slot_freed(appt.therapist_id, appt.start)
    kept = 0 if refund else appt.deposit_paid_cents
    return CancelOutcome(appt, refund, kept, fee.amount_cents if fee else 0)


def _close(
    actor: Any, appointment: Appointment, status: str, kind: str, allowed: tuple[str, ...]
) -> Appointment:
    now = timezone.now()
    with transaction.atomic():
        appt = _locked(appointment.pk)
        if appt.status not in allowed or appt.start > now:
            raise InvalidTransition()
        set_status(appt, status, actor, kind)
        if status == S.COMPLETED:
            appt.completed_at = now
        appt.save()
        if status == S.COMPLETED:
            notify_safely(appt, "booking_thank_you", "thank_you")
        else:  # a no-show releases the rest of the slot and the day's later time
            # and costs the no-show fee the client accepted (charged after commit).
            fees.decide(appt, fees.Kind.NO_SHOW, consent=policy.consent_of(appt), now=now)
            freeing.slot_freed(appt.therapist_id, appt.start)
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
        appt = _locked(appointment.pk)
        today = now.astimezone(local_tz()).date()
        if (
            appt.status != S.CONFIRMED
            or appt.start.astimezone(local_tz()).date() != today
            or appt.end <= now
        ):
            raise InvalidTransition()
        set_status(appt, S.ARRIVED, actor, "arrived")
        appt.arrived_at = now
        appt.save()
    return appt


def day_bounds(day: Any) -> tuple[datetime, datetime]:
    tz = local_tz()
    start = datetime.combine(day, time.min, tz)
    return start, start + timedelta(days=1)
