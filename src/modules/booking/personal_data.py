"""Personal-data export and erasure for booking (called by identity's flows)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from modules.booking import services, waitlist
from modules.booking.availability import bump_version
from modules.booking.models import CHANGEABLE_STATUSES, Appointment, AppointmentEvent, Therapist
from modules.booking.versions import CATALOG
from platform_core.renderers import api_time


def export_user(user: Any) -> dict[str, Any]:
    appointments = Appointment.objects.filter(client=user).select_related(
        "service", "therapist", "room"
    )
    data: dict[str, Any] = {
        "appointments": [
            {
                "id": str(a.public_id),
                "service": a.service.name,
                "therapist": a.therapist.display_name,
                "room": a.room.name if a.room_id else "",
                "start": api_time(a.start),
                "end": api_time(a.end),
                "status": a.status,
                "price_cents": a.price_cents,
                "currency": a.currency,
                "deposit_paid_cents": a.deposit_paid_cents,
                "notes": a.notes,
                "cancellation_reason": a.cancellation_reason,
                "history": [
                    {"kind": e.kind, "at": api_time(e.created_at), "to_status": e.to_status}
                    for e in a.events.all()
                ],
                # The card-guarantee policy accepted, and the fees charged under it.
                "guarantee": (
                    {
                        "policy_text": a.guarantee.policy_text,
                        "card": a.guarantee.card_label,
                        "accepted_at": api_time(a.guarantee.accepted_at),
                    }
                    if hasattr(a, "guarantee")
                    else None
                ),
                "fees": [
                    {"kind": f.kind, "amount_cents": f.amount_cents, "status": f.status}
                    for f in a.fees.all()
                ],
            }
            for a in appointments.select_related("guarantee").prefetch_related("events", "fees")
        ]
    }
    data["waitlist"] = waitlist.export_client(user)
    profile = Therapist.objects.filter(user=user).first()
    if profile is not None:
        data["therapist_profile"] = {
            "code": profile.code,
            "display_name": profile.display_name,
            "bio": profile.bio,
        }
    return data


def erase_user(user: Any) -> None:
    _erase_appointments(user)
    waitlist.erase_client(user)
    if Therapist.objects.filter(user=user).update(bio="", is_active=False):
        # A queryset update sends no signal: the catalog and searches change with it.
        bump_version()
        CATALOG.bump()


def _erase_appointments(user: Any) -> None:
    """Cancel the user's upcoming appointments (as a client cancellation, under the
    policy) and scrub free text; visit records stay for accounting, anonymised."""
    now = timezone.now()
    for appt in Appointment.objects.filter(
        client=user, status__in=CHANGEABLE_STATUSES, start__gt=now
    ):
        # No fee: the card is erased with the account, and nobody is left to tell.
        services.cancel_appointment(
            actor=None, appointment=appt, reason="account_erased", charge_fee=False
        )
    Appointment.objects.filter(client=user).update(
        notes="", staff_notes="", cancellation_reason="", checkout={}
    )
    AppointmentEvent.objects.filter(appointment__client=user).update(note="")
