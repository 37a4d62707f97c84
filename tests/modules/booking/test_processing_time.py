"""Processing time: a service's active / processing / active phases. The therapist is
free during processing (another client fits in), the room is not (docs/booking.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from modules.booking import assistant_tools, services
from modules.booking.models import Appointment, AppointmentStatus, Service
from tests.conftest import ApiClient
from tests.factories import UserFactory
from tests.modules.booking.conftest import TUESDAY, at, build_spa, iso, staff_book
from tests.modules.booking.test_concurrency import _race

URL = "/api/booking/availability"


def add_processing_services(spa: Any) -> None:
    """MASCARILLA: 15 min apply, 30 min processing, 15 min finish, no room;
    MASCARILLA-SALA: the same in the one "cabina"; CEJAS-30: 30 min, no room."""
    for code, kind in (("MASCARILLA", ""), ("MASCARILLA-SALA", "cabina")):
        service = Service.objects.create(
            code=code,
            name=f"Facial con mascarilla {code}",
            category=spa.category,
            duration_minutes=60,
            processing_start_minutes=15,
            processing_minutes=30,
            price_cents=16_000_000,
            resource_kind=kind,
        )
        service.therapists.add(spa.ana, spa.beto)
    cejas = Service.objects.create(
        code="CEJAS-30", name="Diseño de cejas", duration_minutes=30, price_cents=5_000_000
    )
    cejas.therapists.add(spa.ana, spa.beto)


def _starts(api: Any, service: str, therapist: Any) -> list[str]:
    body = api.get(
        URL,
        {"service": service, "date_from": str(TUESDAY), "date_to": str(TUESDAY)},
    ).json()
    return [s["start"][11:16] for s in body["slots"] if str(therapist.public_id) in s["therapists"]]


def test_phases_are_validated_in_spanish_and_shown_in_the_catalog(api: Any, spa: Any) -> None:
    add_processing_services(spa)
    wrong = Service(
        code="MAL",
        name="Mal",
        duration_minutes=60,
        processing_start_minutes=40,
        processing_minutes=30,
        price_cents=1,
    )
    with pytest.raises(ValidationError) as exc:
        wrong.full_clean()
    assert "El reposo debe quedar dentro de la duración" in str(exc.value)
    body = api.get("/api/booking/services/MASCARILLA").json()
    assert body["phases"] == [
        {"kind": "active", "minutes": 15},
        {"kind": "processing", "minutes": 30},
        {"kind": "active", "minutes": 15},
    ]
    plain = api.get("/api/booking/services/MASAJE-60").json()
    assert plain["phases"] == [{"kind": "active", "minutes": 60}]


def test_the_therapist_is_free_during_processing_the_room_is_not(api: Any, spa: Any) -> None:
    add_processing_services(spa)
    first = staff_book(at(TUESDAY, 10), therapist=spa.ana, service_code="MASCARILLA")
    assert (first.processing_start, first.processing_end) == (
        at(TUESDAY, 10, 15),
        at(TUESDAY, 10, 45),
    )
    # Ana is busy 10:00-10:15 and 10:45-11:00: a 30-minute service fits at 10:15 only.
    cejas = _starts(api, "CEJAS-30", spa.ana)
    assert "10:15" in cejas and "10:30" not in cejas and "10:00" not in cejas
    assert "09:30" in cejas and "09:45" not in cejas and "11:00" in cejas
    # Another mascarilla interleaves: busy 10:15-10:30 and 11:00-11:15.
    assert "10:15" in _starts(api, "MASCARILLA", spa.ana)
    # The room is held for the whole hour: Beto cannot use the cabin while Ana's
    # client rests in it.
    staff_book(at(TUESDAY, 12), therapist=spa.ana, service_code="MASCARILLA-SALA")
    beto_room = _starts(api, "MASCARILLA-SALA", spa.beto)
    assert "12:15" not in beto_room and "12:30" not in beto_room and "11:00" in beto_room
    assert "12:15" in _starts(api, "CEJAS-30", spa.ana)  # no room needed


def test_booking_in_the_gap_and_a_refused_overlap_over_http(api_as: Any, spa: Any) -> None:
    add_processing_services(spa)
    reception = UserFactory(roles=["reception"])
    api = api_as(reception)

    def book(code: str, hour: int, minute: int) -> Any:
        return api.post(
            "/api/booking/appointments",
            {
                "service": code,
                "start": iso(TUESDAY, hour, minute),
                "therapist": str(spa.ana.public_id),
                "client": str(UserFactory().public_id),
            },
        )

    assert book("MASCARILLA", 10, 0).status_code == 201
    assert book("MASCARILLA", 10, 15).status_code == 201
    refused = book("CEJAS-30", 10, 30)  # runs into the first one's finish (10:45)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "slot_taken"
    # Rescheduling keeps the phases from the service.
    second = Appointment.objects.get(start=at(TUESDAY, 10, 15))
    moved = services.reschedule_appointment(
        actor=reception, appointment=second, start=at(TUESDAY, 15)
    )
    assert (moved.processing_start, moved.processing_end) == (
        at(TUESDAY, 15, 15),
        at(TUESDAY, 15, 45),
    )


def test_desk_calendar_draws_the_processing_phase(api_as: Any, spa: Any) -> None:
    add_processing_services(spa)
    staff_book(at(TUESDAY, 10), therapist=spa.ana, service_code="MASCARILLA")
    staff_book(at(TUESDAY, 12), therapist=spa.ana)
    feed = api_as(UserFactory(roles=["reception"])).get(
        f"/api/booking/desk/calendar/?date={TUESDAY}"
    )
    assert feed.status_code == 200, feed.json()
    events = {e["start"][11:16]: e for e in feed.json()["events"] if e.get("id")}
    mask = events["10:00"]
    assert "sz-processing" in mask["classNames"]
    assert [
        (p["kind"], p["start"][11:16], p["end"][11:16]) for p in mask["extendedProps"]["phases"]
    ] == [
        ("active", "10:00", "10:15"),
        ("processing", "10:15", "10:45"),
        ("active", "10:45", "11:00"),
    ]
    massage = events["12:00"]
    assert "sz-processing" not in massage["classNames"]
    assert [p["kind"] for p in massage["extendedProps"]["phases"]] == ["active"]


def test_assistant_describes_the_processing_time(spa: Any) -> None:
    add_processing_services(spa)
    listed = assistant_tools.list_services(None)  # type: ignore[arg-type]
    mask = next(s for s in listed["services"] if s["code"] == "MASCARILLA")
    assert [p["kind"] for p in mask["phases"]] == ["active", "processing", "active"]
    text = assistant_tools.propose_booking(None, "MASCARILLA", iso(TUESDAY, 10))  # type: ignore[arg-type]
    assert "30 de reposo" in text
    found = assistant_tools.find_slots(None, "CEJAS-30", str(TUESDAY), str(TUESDAY))  # type: ignore[arg-type]
    assert found["ok"]
    staff_book(at(TUESDAY, 10), therapist=spa.ana, service_code="MASCARILLA")
    found = assistant_tools.find_slots(  # type: ignore[arg-type]
        None, "CEJAS-30", str(TUESDAY), str(TUESDAY), therapist_id=str(spa.ana.public_id)
    )
    starts = [s["start"][11:16] for s in found["slots"]]
    assert "10:15" in starts and "10:30" not in starts


# --- PostgreSQL: the database decides --------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_interleaved_processing_bookings_race_both_fit_an_overlap_is_409(clock: Any) -> None:
    spa = build_spa()
    add_processing_services(spa)
    ana = str(spa.ana.public_id)
    clients = [ApiClient(UserFactory()) for _ in range(4)]

    def book(i: int, code: str, start: str) -> tuple[int, str]:
        response = clients[i].post(
            "/api/booking/appointments", {"service": code, "start": start, "therapist": ana}
        )
        return response.status_code, response.json().get("error", {}).get("code", "")

    interleaved = [("MASCARILLA", iso(TUESDAY, 10)), ("MASCARILLA", iso(TUESDAY, 10, 15))]
    results = _race(2, lambda i: book(i, *interleaved[i]))
    assert results == [(201, ""), (201, "")], results
    # The third overlaps the first one's finish (active 10:45-11:00): 409 whatever the
    # order; the fourth fits in both gaps (busy 10:30-10:45 and 11:15-11:30).
    more = [("CEJAS-30", iso(TUESDAY, 10, 30)), ("MASCARILLA", iso(TUESDAY, 10, 30))]
    results = _race(2, lambda i: book(2 + i, *more[i]))
    assert results == [(409, "slot_taken"), (201, "")], results
    assert Appointment.objects.filter(therapist=spa.ana).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_exclusion_constraint_compares_busy_phases_without_the_locks(clock: Any) -> None:
    """Rows written past the service layer: the therapist's constraint skips processing
    phases, the room's does not, and a processing phase cannot hide an overlap."""
    spa = build_spa()
    add_processing_services(spa)
    first = staff_book(at(TUESDAY, 10), therapist=spa.ana, service_code="MASCARILLA-SALA")

    def clone(start: Any, minutes: int, **changes: Any) -> Appointment:
        data = {
            f.attname: getattr(first, f.attname)
            for f in Appointment._meta.concrete_fields
            if f.name not in ("id", "public_id")
        }
        end = start + timedelta(minutes=minutes)
        data.update(
            start=start,
            end=end,
            blocked_start=start,
            blocked_end=end,
            processing_start=None,
            processing_end=None,
            room_id=None,
        )
        data.update(changes)
        return Appointment(**data)

    clone(at(TUESDAY, 10, 15), 30).save()  # inside Ana's processing phase: fits
    for start, minutes, changes in (
        (at(TUESDAY, 10, 40), 10, {}),  # into Ana's finish
        (at(TUESDAY, 9, 50), 15, {}),  # into Ana's start
        (at(TUESDAY, 10, 20), 10, {"therapist_id": spa.beto.pk, "room_id": spa.room.pk}),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            clone(start, minutes, **changes).save()
    # A row whose own processing phase covers the other's active time still conflicts
    # where its active phases meet the other's (09:45-10:05 against 10:00-10:15).
    with pytest.raises(IntegrityError), transaction.atomic():
        clone(
            at(TUESDAY, 9, 45),
            40,
            processing_start=at(TUESDAY, 10, 5),
            processing_end=at(TUESDAY, 10, 20),
        ).save()
    clone(at(TUESDAY, 11), 60, status=AppointmentStatus.CANCELLED).save()
