"""Issue 21 (capacity): what booking and cancelling cost in queries and version bumps,
pinned so a refactor cannot quietly bring the waste back."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from modules.booking import tasks, waitlist
from modules.booking.models import Appointment
from platform_core.versioning import VersionCounter
from tests.factories import UserFactory
from tests.modules.booking.conftest import MONDAY, TUESDAY, iso

URL = "/api/booking/appointments"


def _selects(queries: CaptureQueriesContext, table: str) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    ]


def _sql(queries: CaptureQueriesContext, needle: str) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if needle in q["sql"]]


@pytest.fixture
def availability_bumps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Keys of the version counters bumped (each bump: 2 Redis writes now, 2 on commit)."""
    bumped: list[str] = []
    real = VersionCounter.bump

    def spy(self: VersionCounter) -> None:
        bumped.append(self.key)
        real(self)

    monkeypatch.setattr(VersionCounter, "bump", spy)
    return bumped


def test_booking_with_a_deposit_writes_its_row_once(
    api_as: Any, spa: Any, client_user: Any, checkout_stub: Any, availability_bumps: list[str]
) -> None:
    api = api_as(client_user)
    with CaptureQueriesContext(connection) as queries:
        response = api.post(f"{URL}/", {"service": "MASAJE-DEP", "start": iso(TUESDAY, 10)})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["checkout"]["reference"] == "ref-1" and body["guarantee"] is None
    row = Appointment.objects.get(public_id=body["appointment"]["id"])
    assert row.checkout["reference"] == "ref-1" and row.deposit_cents == 6_000_000
    # The attempt is opened before the INSERT, which stores it: no UPDATE after.
    assert not _sql(queries, 'UPDATE "booking_appointment"')
    # No role lookup (the start is outside the lead time), no reload of the client (the
    # JWT's user is the one booking), no consent lookup for the answer.
    assert not _sql(queries, "auth_group")
    assert len(_selects(queries, "identity_user")) <= 1
    assert not _selects(queries, "booking_guaranteeconsent")
    assert availability_bumps.count("booking:availability:version") == 1
    assert "booking:schedule:version" not in availability_bumps  # only appointments changed
    # The exclusion constraint's 409 needs no savepoint of its own (save_guarded): the one
    # pair left is the booking's own block, a savepoint only inside the test's transaction.
    assert len(_sql(queries, "SAVEPOINT")) == 2
    assert len(queries) <= 20


def test_booking_with_a_room_takes_it_from_the_locked_rows(
    api_as: Any, spa: Any, client_user: Any, availability_bumps: list[str]
) -> None:
    api = api_as(client_user)
    with CaptureQueriesContext(connection) as queries:
        response = api.post(f"{URL}/", {"service": "MASAJE-60", "start": iso(TUESDAY, 10)})
    assert response.status_code == 201, response.json()
    assert response.json()["appointment"]["room"]["name"] == "Cabina 1"
    assert not _sql(queries, '"booking_room"."id" = ')  # no reload of the room by pk
    assert not _sql(queries, "auth_group")
    assert not _selects(queries, "booking_guaranteeconsent")
    assert availability_bumps.count("booking:availability:version") == 1


def test_staff_inside_the_lead_time_is_still_asked_for(
    api_as: Any, spa: Any, settings: Any
) -> None:
    """The role lookup skipped for most starts still decides those inside the lead time."""
    settings.BOOKING_MIN_LEAD_MINUTES = 180
    soon = iso(MONDAY, 10)  # two hours ahead
    reception = UserFactory(roles=["reception"])
    client = UserFactory(roles=["client"])
    refused = api_as(client).post(f"{URL}/", {"service": "MASAJE-60", "start": soon})
    assert refused.status_code == 409, refused.json()
    assert refused.json()["error"]["code"] == "outside_booking_window"
    with CaptureQueriesContext(connection) as queries:
        booked = api_as(reception).post(
            f"{URL}/", {"service": "MASAJE-60", "start": soon, "client": str(client.public_id)}
        )
    assert booked.status_code == 201, booked.json()
    assert _sql(queries, "auth_group")


def test_cancel_loads_and_locks_the_appointment_once(
    api_as: Any, spa: Any, client_user: Any, availability_bumps: list[str]
) -> None:
    api = api_as(client_user)
    ref = api.post(f"{URL}/", {"service": "MASAJE-60", "start": iso(TUESDAY, 10)}).json()[
        "appointment"
    ]["id"]
    availability_bumps.clear()
    with CaptureQueriesContext(connection) as queries:
        response = api.post(f"{URL}/{ref}/cancel/", {"reason": "viaje"})
    assert response.status_code == 200, response.json()
    assert response.json()["appointment"]["status"] == "CANCELLED"
    # One locked load (consent joined, the client not: it is the signed-in user), no role
    # lookup for the client's own appointment.
    assert len(_selects(queries, "booking_appointment")) == 1
    assert '"identity_user"' not in _selects(queries, "booking_appointment")[0]
    # A lookup by a unique key: no ORDER BY to compile (get(), not first()).
    assert "ORDER BY" not in _selects(queries, "booking_appointment")[0]
    # The message: no SAVEPOINT of its own, no look-up per channel, one INSERT.
    assert len(_sql(queries, 'INTO "platform_core_notification"')) == 1
    assert len(_selects(queries, "platform_core_notification")) == 1  # the key's look-up
    assert len(_selects(queries, "identity_user")) <= 1  # the JWT's user only
    assert not _selects(queries, "booking_guaranteeconsent")
    assert not _sql(queries, "auth_group")
    assert availability_bumps.count("booking:availability:version") == 1
    assert "booking:schedule:version" not in availability_bumps
    assert len(queries) <= 14


def test_freed_time_nobody_waits_for_enqueues_nothing(
    api_as: Any,
    spa: Any,
    client_user: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    enqueued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.offer_freed_slots, "delay", lambda *args: enqueued.append(args))
    api = api_as(client_user)
    ref = api.post(f"{URL}/", {"service": "MASAJE-60", "start": iso(TUESDAY, 10)}).json()[
        "appointment"
    ]["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"{URL}/{ref}/cancel/", {}).status_code == 200
    assert enqueued == []

    waitlist.join(
        client=UserFactory(roles=["client"]),
        service_code="MASAJE-60",
        date_from=TUESDAY,
        date_to=TUESDAY,
    )
    ref = api.post(f"{URL}/", {"service": "MASAJE-60", "start": iso(TUESDAY, 12)}).json()[
        "appointment"
    ]["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"{URL}/{ref}/cancel/", {}).status_code == 200
    assert enqueued == [(spa.ana.pk, TUESDAY.isoformat())] or enqueued == [
        (spa.beto.pk, TUESDAY.isoformat())
    ]


def test_my_appointments_load_only_what_they_show(
    api_as: Any, spa: Any, client_user: Any, checkout_stub: Any
) -> None:
    from modules.booking.shapes import appointment_out

    api = api_as(client_user)
    for hour, service in ((10, "MASAJE-60"), (12, "MASAJE-DEP"), (15, "MASAJE-60")):
        booked = api.post(f"{URL}/", {"service": service, "start": iso(TUESDAY, hour)})
        assert booked.status_code == 201, booked.json()
    ref = booked.json()["appointment"]["id"]
    assert api.post(f"{URL}/{ref}/cancel/", {"reason": "viaje"}).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        page = api.get(f"{URL}/mine/")
    assert page.status_code == 200
    # The JWT's user, the count, the page: no lazy load per row, no join of the client.
    assert len(queries) <= 3
    assert not _selects(queries, "booking_appointment")[-1].count('"identity_user"')
    full = Appointment.objects.select_related("service", "therapist", "room", "client")
    expected = api.get(f"{URL}/mine/").json()["items"]
    shaped = [appointment_out(full.get(public_id=item["id"])) for item in expected]
    assert [item["id"] for item in expected] == [str(a["id"]) for a in shaped]
    for item, want in zip(expected, shaped, strict=True):
        assert item["client"] == {"id": str(client_user.public_id), "name": want["client"]["name"]}
        assert item["room"] == (
            {"id": str(want["room"]["id"]), "name": want["room"]["name"]} if want["room"] else None
        )
        assert item["service_name"] == want["service_name"] and item["status"] == want["status"]
        assert item["cancelled_by"] == want["cancelled_by"] and item["notes"] == want["notes"]


def test_the_active_service_is_cached_under_the_catalog_version(spa: Any) -> None:
    from modules.booking import services
    from modules.booking.errors import ServiceNotFound

    assert services.get_active_service("MASAJE-60").pk == spa.massage.pk
    with CaptureQueriesContext(connection) as queries:
        again = services.get_active_service(" masaje-60 ")
    assert len(queries) == 0 and again.pk == spa.massage.pk
    assert again.price_cents == 18_000_000
    spa.massage.price_cents = 1  # a write of the service moves the catalog version
    spa.massage.save()
    assert services.get_active_service("MASAJE-60").price_cents == 1
    spa.massage.is_active = False
    spa.massage.save()
    with pytest.raises(ServiceNotFound):
        services.get_active_service("MASAJE-60")
    with pytest.raises(ServiceNotFound):
        services.get_active_service("NO-EXISTE")
