"""The waitlist: clients wait for a service between two dates; a freed slot is offered
to them by WhatsApp in order of joining, held by the database while the offer is open.

Shape (docs/booking.md "Waitlist"):
* ``join`` / ``leave`` / ``entries_of``: the client's side.
* ``freeing.slot_freed(therapist_id, moment)``: called by every write that frees time
  (cancel, reschedule, expired hold, no-show, schedule change) inside its transaction;
  after commit it enqueues ``offer_freed_slots`` for that day (never under the writer's
  locks).
* ``offer_freed_slots``: for each waiting entry of that day, in order of joining, the
  first free start of its service that it was never offered becomes a ``WaitlistOffer``
  whose ``hold`` is an OFFERED appointment (same locks and exclusion constraints as a
  booking), and the client is invited (an outbox row: the WhatsApp message leaves after
  commit).
* ``accept``: the first invited client to accept gets the appointment through
  ``services.book_appointment`` (deposit rules apply), in the transaction that locks the
  offer; the others get 409 ``offer_taken``.
* ``decline``: a client lets the offer pass ("no" on WhatsApp, or the API); when they were
  the one it was waiting for, it goes to the next client at once (as the cascade would).
* ``open_question``: the offer a client's next "sí"/"no" on WhatsApp answers (the assistant
  asks it through booking's plugin, docs/booking.md "Answering by WhatsApp").
* ``cascade`` (beat): an open offer whose time ran out is offered to the next waiting
  client (everyone invited so far may still accept), or closed and its hold released
  when nobody is left; entries past their date range expire.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.booking import availability, freeing, services
from modules.booking.errors import (
    OfferAlreadyAccepted,
    OfferDeclined,
    OfferExpired,
    OfferNotFound,
    OfferTaken,
    SlotTaken,
    WaitlistEntryNotFound,
)
from modules.booking.messaging import spanish_datetime
from modules.booking.models import (
    Appointment,
    Service,
    Therapist,
    WaitlistEntry,
    WaitlistInvitation,
    WaitlistOffer,
)
from modules.booking.models import AppointmentStatus as S
from platform_core.accounts import UserRef
from platform_core.errors import Conflict

logger = logging.getLogger(__name__)
E = WaitlistEntry.Status
O = WaitlistOffer.Status  # noqa: E741 - short alias like S
A = WaitlistInvitation.Answer
MAX_OPEN_ENTRIES = 5
MAX_RANGE_DAYS = freeing.MAX_RANGE_DAYS
ENTRIES_PER_RUN = 50


def offer_minutes() -> int:
    return int(settings.WAITLIST_OFFER_MINUTES)


# --- the client's side ------------------------------------------------------------------------
def join(
    *,
    client: UserRef,
    service_code: str,
    date_from: date,
    date_to: date,
    therapist_public_id: Any = None,
    time_from: time | None = None,
    time_to: time | None = None,
) -> WaitlistEntry:
    """Put a client on the waitlist. Offers come when a matching slot frees."""
    service = services.get_active_service(service_code)
    therapist = None
    if therapist_public_id:
        therapist = services.candidate_therapists(service, therapist_public_id)[0]
    today = timezone.now().astimezone(availability.local_tz()).date()
    horizon = today + timedelta(days=settings.BOOKING_MAX_HORIZON_DAYS)
    if date_from < today or date_to < date_from or date_to > horizon:
        raise Conflict(  # well-formed dates the calendar refuses: 409 (docs/api.md)
            _("Las fechas deben ir de hoy en adelante, en orden y dentro de %(d)s días.")
            % {"d": settings.BOOKING_MAX_HORIZON_DAYS},
            code="invalid_dates",
        )
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise Conflict(
            _("La lista de espera cubre como máximo %(d)s días.") % {"d": MAX_RANGE_DAYS},
            code="invalid_dates",
        )
    if time_from and time_to and time_to <= time_from:
        raise Conflict(_("La hora final debe ser posterior a la inicial."), code="invalid_times")
    with transaction.atomic():
        # The client's own rows, locked: two parallel joins cannot pass the limit together.
        open_entries = list(
            WaitlistEntry.objects.select_for_update().filter(client_id=client.id, status=E.WAITING)
        )
        if len(open_entries) >= MAX_OPEN_ENTRIES:
            raise Conflict(
                _("Ya estás en %(n)s listas de espera; sal de alguna para unirte a otra.")
                % {"n": MAX_OPEN_ENTRIES},
                code="waitlist_limit",
            )
        return WaitlistEntry.objects.create(
            client_id=client.id,
            service=service,
            therapist=therapist,
            date_from=date_from,
            date_to=date_to,
            time_from=time_from,
            time_to=time_to,
        )


def entries_of(client: UserRef) -> QuerySet[WaitlistEntry]:
    return (
        WaitlistEntry.objects.filter(client_id=client.id)
        .select_related("service", "therapist")
        .order_by("-created_at", "-id")
    )


def get_entry(client: UserRef, public_id: Any) -> WaitlistEntry:
    try:
        entry_uuid = uuid.UUID(str(public_id))
    except ValueError:
        raise WaitlistEntryNotFound() from None
    entry = entries_of(client).filter(public_id=entry_uuid).first()
    if entry is None:
        raise WaitlistEntryNotFound()
    return entry


def leave(*, client: UserRef, public_id: Any) -> WaitlistEntry:
    """Leave the waitlist (idempotent). Open offers stay open for the others invited."""
    entry = get_entry(client, public_id)
    WaitlistEntry.objects.filter(pk=entry.pk, status=E.WAITING).update(
        status=E.LEFT, updated_at=timezone.now()
    )
    entry.refresh_from_db()
    return entry


@dataclass(frozen=True)
class OpenOffer:
    id: str
    start: datetime
    expires_at: datetime
    therapist: str


def open_offers_for(entries: list[WaitlistEntry]) -> dict[int, OpenOffer]:
    """The open offer each entry was invited to (one query)."""
    rows = (
        WaitlistInvitation.objects.filter(entry__in=entries, offer__status=O.OPEN)
        .exclude(answer=A.DECLINED)
        .select_related("offer", "offer__therapist")
        .order_by("sent_at")
    )
    return {
        inv.entry_id: OpenOffer(
            str(inv.offer.public_id),
            inv.offer.start,
            inv.offer.expires_at,
            inv.offer.therapist.display_name,
        )
        for inv in rows
    }


# --- matching ---------------------------------------------------------------------------------
def _matching(service: Service | None, therapist: Therapist | None, day: date) -> QuerySet:
    """Waiting entries whose range covers ``day``, for ``service`` if given, that accept
    ``therapist`` (any, or that one), in order of joining."""
    qs = WaitlistEntry.objects.filter(status=E.WAITING, date_from__lte=day, date_to__gte=day)
    if service is not None:
        qs = qs.filter(service=service)
    if therapist is not None:
        qs = qs.filter(Q(therapist__isnull=True) | Q(therapist=therapist))
    # Waiting on an open offer (a declined one no longer counts: they may get another slot).
    busy = WaitlistInvitation.objects.filter(entry=OuterRef("pk"), offer__status=O.OPEN).exclude(
        answer=A.DECLINED
    )
    return (
        qs.annotate(invited=Exists(busy))
        .filter(invited=False)
        .select_related("service", "client", "therapist")
        .order_by("created_at", "id")
    )


def anyone_waiting(day: date) -> bool:
    """Some entry waits for ``day`` (whatever its service, therapist or open offers):
    else ``offer_freed_slots`` would find nobody to offer it to."""
    return WaitlistEntry.objects.filter(
        status=E.WAITING, date_from__lte=day, date_to__gte=day
    ).exists()


def _in_window(entry: WaitlistEntry, start: datetime) -> bool:
    local = start.astimezone(availability.local_tz()).time()
    if entry.time_from and local < entry.time_from:
        return False
    return not (entry.time_to and local > entry.time_to)


def _worth_offering(start: datetime, now: datetime) -> bool:
    """Far enough ahead for a client to read, accept and arrive."""
    return start >= now + timedelta(minutes=settings.BOOKING_MIN_LEAD_MINUTES)


def offer_freed_slots(therapist_id: int | None, day: date, now: datetime | None = None) -> int:
    """Offer free starts of ``day`` to waiting entries, in order of joining. Returns the
    number of offers made. Idempotent: an entry with an open invitation waits.

    Every waiting entry of the day is considered, not only those of the therapist whose
    time freed (``therapist_id``, kept for the logs): a freed room may open another
    therapist's slot."""
    now = now or timezone.now()
    made = 0
    for entry in list(_matching(None, None, day)[:ENTRIES_PER_RUN]):
        if _offer_to(entry, day, now):
            made += 1
    return made


def _offer_to(entry: WaitlistEntry, day: date, now: datetime) -> bool:
    service = entry.service
    if not service.is_active:
        return False
    tried = set(
        WaitlistInvitation.objects.filter(entry=entry).values_list(
            "offer__therapist_id", "offer__start"
        )
    )
    result = availability.search(
        service, day, day, therapist_id=entry.therapist_id, use_cache=False
    )
    for start, tids in result.slots:
        if not _worth_offering(start, now) or not _in_window(entry, start):
            continue
        for tid in sorted(tids):
            if (tid, start) in tried:
                continue
            try:
                if _create_offer(entry, service, tid, start, now):
                    return True
            except (SlotTaken, IntegrityError):
                continue  # taken meanwhile (a booking, another offer): next start
    return False


def _create_offer(
    entry: WaitlistEntry, service: Service, therapist_id: int, start: datetime, now: datetime
) -> bool:
    expires = now + timedelta(minutes=offer_minutes())
    with transaction.atomic():
        locked = WaitlistEntry.objects.select_for_update().filter(pk=entry.pk, status=E.WAITING)
        if not locked.exists():
            return False
        therapist = Therapist.objects.get(pk=therapist_id)
        therapist, room = services.lock_and_place(service, start, [therapist])
        hold = Appointment(
            client_id=entry.client_id,
            service=service,
            therapist=therapist,
            room=room,
            status=S.OFFERED,
            price_cents=service.price_cents,
            currency=service.currency,
            hold_expires_at=expires,
        )
        services.place(hold, service, start)
        services.save_guarded(hold)
        offer = WaitlistOffer(
            service=service, therapist=therapist, start=start, expires_at=expires, hold=hold
        )
        with transaction.atomic():
            offer.save()  # at most one open offer per slot (unique constraint)
        _invite(offer, entry)  # the hold's save bumped the availability version
    return True


def _invite(offer: WaitlistOffer, entry: WaitlistEntry) -> None:
    """Record the invitation and write the WhatsApp message to the outbox: it is sent by
    the notifications worker after this transaction commits (no Twilio call here)."""
    from platform_core import notifications

    WaitlistInvitation.objects.create(offer=offer, entry=entry)
    local = offer.expires_at.astimezone(availability.local_tz())
    notifications.notify(
        to=notifications.Recipient.from_user(entry.client),
        template="booking_waitlist_offer",
        context={
            "client_name": entry.client.first_name or "",
            "service": offer.service.name,
            "therapist": offer.therapist.display_name,
            "when": spanish_datetime(offer.start),
            "until": f"{local:%H:%M}",
            "minutes": offer_minutes(),
            "offer_id": str(offer.public_id),
            # A "sí" to this message books the slot: what booking it costs is said first.
            "terms": offer_terms(offer.service),
        },
        channels=("whatsapp",),
        idempotency_key=f"waitlist:{offer.public_id}:{entry.public_id}",
    )


def offer_terms(service: Service) -> str:
    """What taking the offered slot asks of the client, stated in the offer message because
    a bare "sí" to it books (docs/booking.md "Answering by WhatsApp")."""
    if service.deposit_percent:
        return _(
            "Para apartarlo se paga un anticipo del %(p)s%%: te enviaremos el enlace de pago."
        ) % {"p": service.deposit_percent}
    return ""


# --- accepting --------------------------------------------------------------------------------
def offer_service(offer_public_id: str) -> Service | None:
    """The service an offer is for (its policy is read out before accepting)."""
    try:
        offer_uuid = uuid.UUID(str(offer_public_id))
    except ValueError:
        return None
    offer = WaitlistOffer.objects.select_related("service").filter(public_id=offer_uuid).first()
    return offer.service if offer is not None else None


def _locked_offer(
    client: UserRef, offer_public_id: Any, *, lock: bool = True
) -> tuple[WaitlistOffer, Any]:
    """The offer (row-locked: accepts and declines of one offer are serialised) and the
    client's invitation to it; 404 for an offer this client was never told about."""
    try:
        offer_uuid = uuid.UUID(str(offer_public_id))
    except ValueError:
        raise OfferNotFound() from None
    offers = (
        WaitlistOffer.objects.select_for_update(of=("self",)) if lock else WaitlistOffer.objects
    )
    offer = offers.select_related("service", "therapist").filter(public_id=offer_uuid).first()
    invitation = (
        WaitlistInvitation.objects.filter(offer=offer, entry__client_id=client.id)
        .select_related("entry")
        .first()
        if offer is not None
        else None
    )
    if offer is None or invitation is None:
        raise OfferNotFound()
    return offer, invitation


def _refuse_unless_acceptable(
    offer: WaitlistOffer, invitation: WaitlistInvitation, now: datetime
) -> None:
    if offer.status == O.ACCEPTED:
        if offer.accepted_by_id == invitation.entry_id:
            raise OfferAlreadyAccepted()
        raise OfferTaken()
    if invitation.answer == A.DECLINED:
        raise OfferDeclined()
    if offer.status != O.OPEN or offer.expires_at <= now:
        raise OfferExpired()


def acceptable(*, client: UserRef, offer_public_id: Any) -> WaitlistOffer:
    """The offer, if this client could accept it now (read without locking, to word a
    proposal); otherwise the error ``accept`` would give (taken, expired, declined…)."""
    offer, invitation = _locked_offer(client, offer_public_id, lock=False)
    _refuse_unless_acceptable(offer, invitation, timezone.now())
    return offer


def accept(
    *, client: UserRef, offer_public_id: Any, accept_policy: bool = False
) -> services.BookingOutcome:
    """The first invited client to accept gets the slot through the normal booking path
    (deposit rules, checkout, confirmation message; a card guarantee needs a saved card
    and ``accept_policy``). The offer row is locked, so two
    accepts are serialised: the second sees it taken (409 ``offer_taken``)."""
    now = timezone.now()
    with transaction.atomic():
        offer, invitation = _locked_offer(client, offer_public_id)
        _refuse_unless_acceptable(offer, invitation, now)
        entry = WaitlistEntry.objects.select_for_update().get(pk=invitation.entry_id)
        if entry.status != E.WAITING:
            raise OfferExpired()
        # Release the hold and book in the same transaction: nobody can take the slot in
        # between (the offer is locked, the therapist is locked by the booking path).
        Appointment.objects.filter(pk=offer.hold_id, status=S.OFFERED).delete()
        outcome = services.book_appointment(
            actor=client,
            client=client,
            service_code=offer.service.code,
            start=offer.start,
            therapist_public_id=offer.therapist.public_id,
            skip_lead_time=True,  # the spa offered this start; the client only accepts it
            accept_policy=accept_policy,
            consent_via="waitlist",
        )
        offer.status, offer.accepted_by, offer.appointment = O.ACCEPTED, entry, outcome.appointment
        offer.closed_at = now
        offer.save(update_fields=["status", "accepted_by", "appointment", "closed_at"])
        entry.status, entry.appointment = E.BOOKED, outcome.appointment
        entry.save(update_fields=["status", "appointment", "updated_at"])
        _answer(invitation, A.ACCEPTED, now)
    return outcome


def _answer(invitation: WaitlistInvitation, answer: str, now: datetime) -> None:
    invitation.answer, invitation.answered_at = answer, now
    invitation.save(update_fields=["answer", "answered_at"])


@dataclass(frozen=True)
class Declined:
    offer_id: str
    declined_at: datetime
    passed_on: bool  # the offer went to the next client (or closed) because of this answer


def decline(*, client: UserRef, offer_public_id: Any) -> Declined:
    """The client lets the offer pass (idempotent). They stay on the waitlist for other
    slots. When the offer was waiting for them (the last one invited), it is passed on at
    once, as the cascade would do when their time ran out; an earlier invitee's "no" only
    stops them from accepting it."""
    now = timezone.now()
    with transaction.atomic():
        offer, invitation = _locked_offer(client, offer_public_id)
        if invitation.answer == A.ACCEPTED or (
            offer.status == O.ACCEPTED and offer.accepted_by_id == invitation.entry_id
        ):
            raise OfferAlreadyAccepted()
        if invitation.answer == A.DECLINED:
            return Declined(str(offer.public_id), invitation.answered_at or now, False)
        _answer(invitation, A.DECLINED, now)
        latest = offer.invitations.order_by("-sent_at", "-id").values_list("pk", flat=True)[0]
        passed_on = offer.status == O.OPEN and latest == invitation.pk
        if passed_on:
            _pass_on(offer, now)
    return Declined(str(offer.public_id), now, passed_on)


# --- the question a WhatsApp reply answers ------------------------------------------------
QUESTION_HOURS = 24  # WhatsApp's conversation window: a later "sí" is about something else


@dataclass(frozen=True)
class OfferQuestion:
    offer_id: str
    asked_at: datetime
    start: datetime
    therapist: str
    service: str


def open_question(client: UserRef, now: datetime | None = None) -> OfferQuestion | None:
    """The offer this client's next "sí"/"no" answers: the newest invitation they have not
    answered, told in the last QUESTION_HOURS, for a start still ahead. Its offer may have
    been taken or closed since: the answer then gets that explanation (409 equivalents),
    not a guess about what "sí" meant."""
    now = now or timezone.now()
    invitation = (
        WaitlistInvitation.objects.filter(
            entry__client_id=client.id,
            answer=A.NONE,
            sent_at__gte=now - timedelta(hours=QUESTION_HOURS),
            offer__start__gt=now,
        )
        .select_related("offer", "offer__service", "offer__therapist")
        .order_by("-sent_at", "-id")
        .first()
    )
    if invitation is None:
        return None
    offer = invitation.offer
    return OfferQuestion(
        offer_id=str(offer.public_id),
        asked_at=invitation.sent_at,
        start=offer.start,
        therapist=offer.therapist.display_name,
        service=offer.service.name,
    )


# --- the beat -------------------------------------------------------------------------------------
def cascade(now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Offers whose time ran out go to the next waiting client (keeping everyone invited
    so far able to accept) or close and free their slot; entries past their range
    expire. Safe to run twice at once (rows are claimed with SKIP LOCKED)."""
    now = now or timezone.now()
    done = {"cascaded": 0, "closed": 0, "expired_entries": 0}
    ids = list(
        WaitlistOffer.objects.filter(status=O.OPEN, expires_at__lte=now).values_list(
            "pk", flat=True
        )[:limit]
    )
    for pk in ids:
        with transaction.atomic():
            offer = (
                WaitlistOffer.objects.select_for_update(skip_locked=True)
                .select_related("service", "therapist")
                .filter(pk=pk, status=O.OPEN, expires_at__lte=now)
                .first()
            )
            if offer is None:
                continue
            done[_pass_on(offer, now)] += 1
    today = now.astimezone(availability.local_tz()).date()
    done["expired_entries"] = WaitlistEntry.objects.filter(
        status=E.WAITING, date_to__lt=today
    ).update(status=E.EXPIRED, updated_at=now)
    return done


def _pass_on(offer: WaitlistOffer, now: datetime) -> str:
    """The locked open offer goes to the next waiting client with a fresh
    WAITLIST_OFFER_MINUTES ("cascaded"), or closes and frees its slot ("closed")."""
    nxt = _next_entry(offer) if _worth_offering(offer.start, now) else None
    if nxt is not None:
        offer.expires_at = now + timedelta(minutes=offer_minutes())
        offer.save(update_fields=["expires_at"])
        Appointment.objects.filter(pk=offer.hold_id).update(
            hold_expires_at=offer.expires_at, client_id=nxt.client_id
        )
        _invite(offer, nxt)
        return "cascaded"
    offer.status, offer.closed_at = O.CLOSED, now
    offer.save(update_fields=["status", "closed_at"])
    Appointment.objects.filter(pk=offer.hold_id, status=S.OFFERED).delete()
    availability.bump_appointments()
    return "closed"


def _next_entry(offer: WaitlistOffer) -> WaitlistEntry | None:
    day = offer.start.astimezone(availability.local_tz()).date()
    invited = WaitlistInvitation.objects.filter(offer=offer).values("entry_id")
    for entry in _matching(offer.service, offer.therapist, day).exclude(pk__in=invited)[:20]:
        if _in_window(entry, offer.start):
            return entry
    return None


# --- staff ------------------------------------------------------------------------------
def for_days(days: list[date], therapist_id: int | None = None) -> list[dict[str, Any]]:
    """Staff: who waits on these days (the desk calendar's list), in order of joining,
    each with the open offer it holds: one query (the offer comes as subqueries), so the
    feed keeps its constant query count (docs/performance.md)."""
    tz = availability.local_tz()
    open_invitation = (
        WaitlistInvitation.objects.filter(entry=OuterRef("pk"), offer__status=O.OPEN)
        .exclude(answer=A.DECLINED)
        .order_by("-sent_at")
    )
    qs = (
        WaitlistEntry.objects.filter(
            status=E.WAITING, date_from__lte=days[-1], date_to__gte=days[0]
        )
        .select_related("client", "service", "therapist")
        .annotate(
            offer_id=Subquery(open_invitation.values("offer__public_id")[:1]),
            offer_start=Subquery(open_invitation.values("offer__start")[:1]),
            offer_expires=Subquery(open_invitation.values("offer__expires_at")[:1]),
        )
    )
    if therapist_id is not None:
        qs = qs.filter(Q(therapist__isnull=True) | Q(therapist_id=therapist_id))

    def local(moment: datetime) -> str:
        return moment.astimezone(tz).isoformat(timespec="seconds")

    return [
        {
            "id": str(e.public_id),
            "client": e.client.get_full_name() or e.client.phone_number,
            "client_phone": e.client.phone_number,
            "service": e.service.code,
            "service_name": e.service.name,
            "therapist": e.therapist.display_name if e.therapist_id else "",
            "date_from": e.date_from.isoformat(),
            "date_to": e.date_to.isoformat(),
            "time_from": e.time_from.strftime("%H:%M") if e.time_from else "",
            "time_to": e.time_to.strftime("%H:%M") if e.time_to else "",
            "joined_at": local(e.created_at),
            "offer": (
                {
                    "id": str(e.offer_id),
                    "start": local(e.offer_start),
                    "expires_at": local(e.offer_expires),
                }
                if e.offer_id
                else None
            ),
        }
        for e in qs.order_by("created_at", "id")[:100]
    ]


def erase_client(user: Any) -> None:
    """Personal-data erasure: the client's entries go (offers keep no personal data)."""
    WaitlistEntry.objects.filter(client_id=user.id).delete()


def export_client(user: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": str(e.public_id),
            "service": e.service.name,
            "date_from": e.date_from.isoformat(),
            "date_to": e.date_to.isoformat(),
            "status": e.status,
        }
        for e in entries_of(user)
    ]
