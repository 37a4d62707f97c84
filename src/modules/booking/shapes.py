"""Response shapes shared by booking's routers (api, waitlist_api)."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Any

from modules.booking import policy
from modules.booking.models import Appointment


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


def appointment_row_out(row: dict[str, Any], client: dict[str, Any]) -> dict[str, Any]:
    """``appointment_out`` of a ``selectors.my_appointment_list`` values row (read-only lists
    build no model instances); ``client``: the one ``_ref`` the rows share."""
    room = row["room__public_id"]
    return {
        "id": row["public_id"],
        "status": row["status"],
        "service": row["service__code"],
        "service_name": row["service__name"],
        "therapist": {"id": row["therapist__public_id"], "name": row["therapist__display_name"]},
        "room": {"id": room, "name": row["room__name"]} if room is not None else None,
        "client": client,
        "start": row["start"],
        "end": row["end"],
        "price_cents": row["price_cents"],
        "vip_price_applied": row["vip_price_applied"],
        "currency": row["currency"],
        "deposit_cents": row["deposit_cents"],
        "deposit_paid_cents": row["deposit_paid_cents"],
        "hold_expires_at": row["hold_expires_at"],
        "notes": row["notes"],
        "cancelled_by": row["cancelled_by"],
        "cancelled_at": row["cancelled_at"],
    }


def booking_out(outcome: Any) -> dict[str, Any]:
    """A booking's answer: the appointment, the deposit's checkout (or null) and the
    card-guarantee policy the client accepted (or null)."""
    checkout = outcome.checkout
    if checkout is not None and is_dataclass(checkout) and not isinstance(checkout, type):
        checkout = asdict(checkout)
    return {
        "appointment": appointment_out(outcome.appointment),
        "checkout": checkout,
        "guarantee": policy.consent_out(policy.consent_of(outcome.appointment)),
    }
