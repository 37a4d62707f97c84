"""HTTP for /api/booking/waitlist/: join, list, leave, accept or decline an offer. Views parse and
shape; booking.waitlist decides (docs/booking.md "Waitlist")."""

from __future__ import annotations

from dataclasses import asdict
from datetime import time
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from modules.booking import waitlist
from modules.booking.models import WaitlistEntry
from modules.booking.schemas import (
    BookingOut,
    WaitlistDeclineOut,
    WaitlistEntryOut,
    WaitlistJoinIn,
)
from modules.booking.shapes import booking_out
from platform_core.idempotency import idempotent
from platform_core.pagination import Mapped, Pagination

router = Router()


def entry_out(entry: WaitlistEntry, offer: waitlist.OpenOffer | None = None) -> dict[str, Any]:
    return {
        "id": entry.public_id,
        "status": entry.status,
        "service": entry.service.code,
        "service_name": entry.service.name,
        "therapist": (
            {"id": entry.therapist.public_id, "name": entry.therapist.display_name}
            if entry.therapist_id
            else None
        ),
        "date_from": entry.date_from,
        "date_to": entry.date_to,
        "time_from": entry.time_from.strftime("%H:%M") if entry.time_from else None,
        "time_to": entry.time_to.strftime("%H:%M") if entry.time_to else None,
        "joined_at": entry.created_at,
        "appointment": entry.appointment.public_id if entry.appointment_id else None,
        "offer": asdict(offer) if offer is not None else None,
    }


def _clock(value: str | None) -> time | None:
    """HH:MM (the schema's pattern) as a time of day."""
    return time.fromisoformat(value) if value else None


def _entries_out(entries: list[WaitlistEntry]) -> list[dict[str, Any]]:
    offers = waitlist.open_offers_for(entries)
    return [entry_out(e, offers.get(e.pk)) for e in entries]


class _EntriesPage(Mapped):
    """Shapes a page at once: the page's open offers come in one query."""

    def __getitem__(self, window: slice) -> list[Any]:
        return self.shape(list(self.queryset[window]))


@router.post(
    "/",
    operation_id="createWaitlistEntry",
    response={201: WaitlistEntryOut},
    summary="Join the waitlist for a service",
)
@idempotent("booking.waitlist_join")
def join(request: HttpRequest, payload: WaitlistJoinIn) -> Any:
    """Wait for a slot of a service between two days, optionally with one therapist and
    within a time of day. When a matching slot frees, it is offered by WhatsApp to the
    waitlisted clients in order of joining, each with WAITLIST_OFFER_MINUTES to accept.
    Accepts Idempotency-Key."""
    entry = waitlist.join(
        client=request.auth,
        service_code=payload.service,
        date_from=payload.date_from,
        date_to=payload.date_to,
        therapist_public_id=payload.therapist,
        time_from=_clock(payload.time_from),
        time_to=_clock(payload.time_to),
    )
    return Status(201, entry_out(entry))


@router.get(
    "/",
    operation_id="listMyWaitlistEntries",
    response=list[WaitlistEntryOut],
    summary="My waitlist entries",
)
@paginate(Pagination)
def mine(request: HttpRequest) -> Any:
    """The signed-in client's waitlist entries, newest first, each with the open offer
    made to it (if any)."""
    return _EntriesPage(waitlist.entries_of(request.auth), _entries_out)


@router.post(
    "/{entry_id}/leave/",
    operation_id="cancelWaitlistEntry",
    response=WaitlistEntryOut,
    summary="Leave the waitlist",
)
def leave(request: HttpRequest, entry_id: str) -> Any:
    """Stop waiting (idempotent): no more offers for this entry."""
    return entry_out(waitlist.leave(client=request.auth, public_id=entry_id))


@router.post(
    "/offers/{offer_id}/accept/",
    operation_id="bookWaitlistOffer",
    response={201: BookingOut},
    summary="Accept a waitlist offer (book the offered slot)",
)
@idempotent("booking.waitlist_accept")
def accept(request: HttpRequest, offer_id: str, accept_policy: bool = False) -> Any:
    """Book the offered slot through the normal booking path (a deposit, when the service
    asks for one, gives a PENDING_PAYMENT appointment and its checkout; a card guarantee
    needs a saved card and ``?accept_policy=true``). The first invited client to accept
    gets it: 409 ``offer_taken`` when another did, ``offer_expired`` when the offer
    closed. Accepts Idempotency-Key: a retry with the same key replays the booking's 201
    (without one, accepting again is 409 ``offer_accepted``)."""
    outcome = waitlist.accept(
        client=request.auth, offer_public_id=offer_id, accept_policy=accept_policy
    )
    return Status(201, booking_out(outcome))


@router.post(
    "/offers/{offer_id}/decline/",
    operation_id="declineWaitlistOffer",
    response=WaitlistDeclineOut,
    summary="Decline a waitlist offer (let the slot pass to the next client)",
)
def decline(request: HttpRequest, offer_id: str) -> Any:
    """Let the offered slot pass (idempotent); the client stays on the waitlist for other
    slots. When the offer was waiting for this client it goes to the next one at once.
    409 ``offer_accepted`` for an offer this client already took (cancel the appointment
    instead); 404 for an offer not made to this client."""
    return asdict(waitlist.decline(client=request.auth, offer_public_id=offer_id))
