from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from modules.booking.models import (
    Appointment,
    ClosedDay,
    ScheduleChange,
    TimeOff,
)
from tests.modules.booking.conftest import MONDAY, TUESDAY, at, make_therapist, staff_book

URL = "/api/booking/availability"


@pytest.fixture(autouse=True)
def _own_cache(settings: Any) -> None:
    """These tests pin what the cache saves (queries): a private local-memory cache, so that
    another xdist worker's cache.clear() (a Redis FLUSHDB: every worker's keys) cannot
    empty it between a warm-up and a measurement."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "booking-availability-tests",
        }
    }
    from django.core.cache import cache

    cache.clear()  # this process's own memory: nothing from the previous test


def _slots(api: Any, **params: Any) -> dict[str, Any]:
    params.setdefault("service", "MASAJE-60")
    params.setdefault("date_from", str(TUESDAY))
    params.setdefault("date_to", str(TUESDAY))
    response = api.get(URL, params)
    assert response.status_code == 200, response.json()
    return response.json()


def _times(body: dict[str, Any], therapist: Any = None) -> list[str]:
    return [
        s["start"][11:16]
        for s in body["slots"]
        if therapist is None or str(therapist.public_id) in s["therapists"]
    ]


def _book(spa: Any, therapist: Any, start: Any) -> Appointment:
    return staff_book(start, therapist=therapist)


def test_working_hours_break_and_grid(api: Any, spa: Any) -> None:
    body = _slots(api)
    times = _times(body, spa.ana)
    assert times[0] == "09:00" and times[-1] == "18:00"
    assert "12:00" in times and "12:15" not in times  # 12:15+60 runs into lunch
    assert "13:45" not in times and "14:00" in times
    assert all(int(t[3:]) % 15 == 0 for t in times)
    assert body["timezone"] == "America/Bogota" and body["granularity_minutes"] == 15
    assert body["slots"][0]["start"].endswith("-05:00")
    assert {t["name"] for t in body["therapists"]} == {"Ana", "Beto"}


def test_lead_time_closed_days_and_opening_hours(api: Any, spa: Any) -> None:
    # Now is Monday 08:00, lead time 60 min: 09:00 is the first start today.
    assert _times(_slots(api, date_from=str(MONDAY), date_to=str(MONDAY)))[0] == "09:00"
    ClosedDay.objects.create(date=TUESDAY, reason="Festivo")
    assert _slots(api)["slots"] == []
    sunday = MONDAY + timedelta(days=6)  # no opening hours on Sundays
    assert _slots(api, date_from=str(sunday), date_to=str(sunday))["slots"] == []


def test_min_lead_is_applied(api: Any, spa: Any, settings: Any) -> None:
    settings.BOOKING_MIN_LEAD_MINUTES = 180
    assert _times(_slots(api, date_from=str(MONDAY), date_to=str(MONDAY)))[0] == "11:00"


def test_horizon(api: Any, spa: Any, settings: Any) -> None:
    settings.BOOKING_MAX_HORIZON_DAYS = 1
    assert (
        _slots(
            api, date_from=str(MONDAY + timedelta(days=3)), date_to=str(MONDAY + timedelta(days=3))
        )["slots"]
        == []
    )


def test_time_off_and_schedule_change(api: Any, spa: Any) -> None:
    TimeOff.objects.create(therapist=spa.ana, start=at(TUESDAY, 9), end=at(TUESDAY, 12))
    ScheduleChange.objects.create(therapist=spa.beto, date=TUESDAY, start=time(15), end=time(17))
    body = _slots(api)
    ana = _times(body, spa.ana)
    assert ana[0] == "12:00" and "11:45" not in ana
    assert _times(body, spa.beto) == ["15:00", "15:15", "15:30", "15:45", "16:00"]
    ScheduleChange.objects.create(therapist=spa.ana, date=TUESDAY)  # day off
    assert _times(_slots(api), spa.ana) == []


def test_buffer_after_blocks_next_fifteen_minutes(api: Any, spa: Any) -> None:
    _book(spa, spa.ana, at(TUESDAY, 10))
    ana = _times(_slots(api, therapist=str(spa.ana.public_id)))
    # 09:00 would end at 10:00 + 15 buffer -> overlaps the 10:00 appointment.
    assert "08:45" not in ana and "09:00" not in ana
    assert "10:00" not in ana and "11:00" not in ana and "11:15" in ana


def test_room_conflicts_block_other_therapists(api: Any, spa: Any) -> None:
    _book(spa, spa.ana, at(TUESDAY, 10))
    beto = _times(_slots(api), spa.beto)  # the only cabina is busy 10:00-11:15
    assert "10:00" not in beto and "10:30" not in beto and "11:15" in beto
    # A service without a room is not affected by the room.
    body = _slots(api, service="MASAJE-DEP")
    assert "10:00" in _times(body, spa.beto)


def test_no_rooms_of_kind_means_no_slots(api: Any, spa: Any) -> None:
    spa.room.is_active = False
    spa.room.save()
    assert _slots(api)["slots"] == []


def test_booking_is_visible_on_next_call_despite_cache(api: Any, spa: Any) -> None:
    assert "10:00" in _times(_slots(api), spa.ana)
    with CaptureQueriesContext(connection) as cached:
        _slots(api)
    assert len(cached) <= 1  # served from the cache
    _book(spa, spa.ana, at(TUESDAY, 10))
    assert "10:00" not in _times(_slots(api), spa.ana)


def test_query_count_is_constant(api: Any, spa: Any, settings: Any) -> None:
    settings.BOOKING_AVAILABILITY_CACHE_SECONDS = 0
    _slots(api)  # warm: the active service comes from the cache after the first search
    with CaptureQueriesContext(connection) as one_day:
        _slots(api)
    for code in ("carla", "dora", "eva"):
        spa.massage.therapists.add(make_therapist(code))
    _book(spa, spa.ana, at(TUESDAY, 10))
    with CaptureQueriesContext(connection) as month:
        _slots(api, date_from=str(MONDAY), date_to=str(MONDAY + timedelta(days=30)))
    # Never more for more days, therapists or appointments (fewer when the service itself
    # comes from booking's cache, warmed by the booking in between).
    assert len(month) <= len(one_day) <= 10


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"service": "NOPE"}, 404, "service_not_found"),
        ({"therapist": "8e4a5b77-0000-4000-8000-000000000000"}, 404, "therapist_not_found"),
    ],
)
def test_bad_requests(api: Any, spa: Any, params: dict, status: int, code: str) -> None:
    query = {"service": "MASAJE-60", "date_from": str(TUESDAY), "date_to": str(TUESDAY), **params}
    response = api.get(URL, query)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_a_long_range_is_cut_and_a_reversed_one_is_empty(api: Any, spa: Any) -> None:
    # Schema-valid queries are answered, never refused (the schema cannot state a rule
    # between two parameters): the answer says which range was searched.
    query = {"service": "MASAJE-60", "date_from": str(TUESDAY)}
    long = api.get(URL, {**query, "date_to": str(TUESDAY + timedelta(days=60))})
    assert long.status_code == 200, long.content
    assert long.json()["date_to"] == str(TUESDAY + timedelta(days=30))
    assert long.json()["slots"]
    reversed_ = api.get(URL, {**query, "date_to": str(MONDAY)})
    assert reversed_.status_code == 200, reversed_.content
    assert reversed_.json()["slots"] == []


def test_catalog_endpoints(api: Any, spa: Any) -> None:
    body = api.get("/api/booking/services").json()
    assert body["count"] == 2
    assert (
        api.get("/api/booking/services", {"category": "masajes", "q": "anticipo"}).json()["count"]
        == 1
    )
    assert api.get("/api/booking/services/masaje-60").json()["vip_price_cents"] == 15_000_000
    assert api.get("/api/booking/services/NOPE").status_code == 404
    assert api.get("/api/booking/categories").json()["items"][0]["slug"] == "masajes"
    names = [
        t["name"]
        for t in api.get("/api/booking/therapists", {"service": "MASAJE-60"}).json()["items"]
    ]
    assert names == ["Ana", "Beto"]


def test_an_appointment_write_keeps_the_schedule_version(db: Any) -> None:
    """Searches go stale on every write; the schedule (versions.SCHEDULE) only on a write
    of something other than an appointment, and on any bump that names no model."""
    from modules.booking.availability import bump_appointments, bump_version
    from modules.booking.versions import AVAILABILITY, SCHEDULE

    def versions() -> tuple[int, int]:
        return AVAILABILITY.current(), SCHEDULE.current()

    searches, schedule = versions()
    bump_appointments()
    bump_version(Appointment)
    assert versions()[1] == schedule
    assert versions()[0] > searches
    for sender in (None, TimeOff, ClosedDay, ScheduleChange):
        searches, schedule = versions()
        bump_version(sender)
        assert versions()[0] > searches
        assert versions()[1] > schedule


def _search_queries(spa: Any, days: int = 3) -> tuple[int, Any]:
    """A search whose cached result is gone (as after a booking), its queries counted."""
    from modules.booking.availability import bump_appointments, search

    bump_appointments()
    with CaptureQueriesContext(connection) as ctx:
        result = search(spa.massage, TUESDAY, TUESDAY + timedelta(days=days - 1))
    return len(ctx), result


def test_after_a_booking_a_search_reads_only_its_appointments(spa: Any) -> None:
    """The schedule (therapists, who performs what, weekly hours, opening hours, rooms, the
    dated rows up to the booking horizon) is cached under versions.SCHEDULE: once warm, a
    search costs one query, its appointments, whatever the number of days."""
    cold, first = _search_queries(spa)
    assert cold == 5  # the schedule (4) + the appointments
    warm, again = _search_queries(spa)
    assert warm == 1
    assert again.slots == first.slots
    assert _search_queries(spa, days=31)[0] == 1


def test_beyond_the_cached_dates_the_dated_rows_are_read(spa: Any, settings: Any) -> None:
    """Past the booking horizon (or before yesterday: the desk's history) the schedule's
    dated rows do not reach: the engine reads the range's own, one query more."""
    from modules.booking.availability import AvailabilityEngine, current_schedule

    far = TUESDAY + timedelta(weeks=settings.BOOKING_MAX_HORIZON_DAYS // 7 + 2)
    TimeOff.objects.create(therapist=spa.ana, start=at(far, 0), end=at(far, 12))
    ScheduleChange.objects.create(therapist=spa.beto, date=far, start=time(15), end=time(17))
    assert far > current_schedule().until
    for day in (far, MONDAY - timedelta(days=7)):
        with CaptureQueriesContext(connection) as ctx:
            AvailabilityEngine(spa.massage, day, day).compute()
        assert len(ctx) == 2
    slots = AvailabilityEngine(spa.massage, far, far).compute().slots
    ana = [s for s, tids in slots if spa.ana.pk in tids]
    beto = [s for s, tids in slots if spa.beto.pk in tids]
    assert min(ana) == at(far, 12)  # off until noon
    assert (min(beto), max(beto)) == (at(far, 15), at(far, 16))  # that day 15-17 only


def test_a_booking_re_check_reads_one_query_on_a_warm_schedule(spa: Any) -> None:
    from modules.booking.availability import AvailabilityEngine

    _search_queries(spa)  # warms the schedule
    with CaptureQueriesContext(connection) as ctx:
        engine = AvailabilityEngine(spa.massage, TUESDAY, TUESDAY, therapist_ids=[spa.ana.pk])
        free = [s for s, tids in engine.compute().slots if spa.ana.pk in tids]
    assert len(ctx) == 1
    assert at(TUESDAY, 10) in free
    assert list(engine.therapists) == [spa.ana.pk]
    assert engine.free_rooms(at(TUESDAY, 10)) == [spa.room.pk]


def test_schedule_edits_show_at_once_despite_the_cached_schedule(spa: Any) -> None:
    from modules.booking.models import OpeningHours, WorkingHours

    def free(therapist: Any) -> list[str]:
        _, result = _search_queries(spa, days=1)
        tz = at(TUESDAY, 0).tzinfo
        return [f"{s.astimezone(tz):%H:%M}" for s, t in result.slots if therapist.pk in t]

    assert "09:00" in free(spa.ana) and "09:00" in free(spa.beto)
    hours = WorkingHours.objects.get(therapist=spa.ana, weekday=TUESDAY.weekday())
    hours.start = time(10)
    hours.save()
    assert "09:00" not in free(spa.ana) and "10:00" in free(spa.ana)
    OpeningHours.objects.filter(weekday=TUESDAY.weekday()).delete()
    assert free(spa.beto) == []
    OpeningHours.objects.create(weekday=TUESDAY.weekday(), opens=time(9), closes=time(19))
    assert "09:00" in free(spa.beto)
    spa.massage.therapists.remove(spa.beto)
    assert free(spa.beto) == []
    spa.massage.therapists.add(spa.beto)
    spa.beto.is_active = False
    spa.beto.save()
    assert free(spa.beto) == []
    spa.beto.is_active = True
    spa.beto.save()
    assert "09:00" in free(spa.beto)
    spa.room.is_active = False
    spa.room.save()
    assert free(spa.ana) == free(spa.beto) == []


def test_the_schedule_is_not_stored_from_inside_a_transaction(spa: Any) -> None:
    """A transaction that wrote the schedule reads its own uncommitted rows: they must not
    outlive it in the cache (it may roll back)."""
    from django.core.cache import cache
    from django.db import transaction

    from modules.booking.availability import SCHEDULE_KEY, current_schedule

    cache.delete(SCHEDULE_KEY)
    with transaction.atomic():
        current_schedule()
    assert cache.get(SCHEDULE_KEY) is None
    current_schedule()
    assert cache.get(SCHEDULE_KEY) is not None


def test_the_answer_is_byte_for_byte_the_one_through_ninjas_getter(api: Any, spa: Any) -> None:
    """AvailabilityOut reads the selector's dicts directly (platform_core.output_schema): the
    bytes are those of the same data read through ninja's DjangoGetter at every level."""
    from modules.booking import selectors
    from modules.booking.schemas import AvailabilityOut
    from platform_core.renderers import dumps
    from tests.platform_core.test_output_schema import as_objects

    _book(spa, spa.ana, at(TUESDAY, 10))
    response = api.get(
        URL, {"service": "MASAJE-60", "date_from": str(MONDAY), "date_to": str(TUESDAY)}
    )
    assert response.status_code == 200
    result = selectors.availability_for(service_code="MASAJE-60", date_from=MONDAY, date_to=TUESDAY)
    assert result["slots"] and result["therapists"]
    through_getter = AvailabilityOut.model_validate(as_objects(result)).model_dump(by_alias=True)
    assert response.content == dumps(through_getter)
