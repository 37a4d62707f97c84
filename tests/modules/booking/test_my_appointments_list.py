"""GET /api/booking/appointments/mine/: the client's own appointments, read as values, in
exactly the shape of ``shapes.appointment_out`` (the detail and agenda routes' shape), in
three statements however many there are (the user, the count, the page)."""

from __future__ import annotations

import json
from typing import Any

from modules.booking import services
from modules.booking.models import Appointment, AppointmentStatus
from modules.booking.schemas import AppointmentOut
from modules.booking.shapes import appointment_out
from platform_core.renderers import dumps
from tests.factories import UserFactory
from tests.modules.booking.conftest import TUESDAY, at, staff_book

URL = "/api/booking/appointments/mine/"


def _book_for(client: Any, start: Any, *, service_code: str, therapist: Any) -> Appointment:
    return services.book_appointment(
        actor=UserFactory(roles=["reception"]),
        client=client,
        service_code=service_code,
        start=start,
        therapist_public_id=therapist.public_id,
    ).appointment


def _as_before(appt: Appointment) -> dict[str, Any]:
    """What the route answered when it shaped model instances with ``appointment_out``."""
    shaped = AppointmentOut.model_validate(appointment_out(appt)).model_dump()
    return json.loads(dumps(shaped))


def test_the_list_is_appointment_out_of_each_own_appointment(
    api_as: Any, spa: Any, django_assert_num_queries: Any
) -> None:
    me = UserFactory(roles=["client"], first_name="Lucía", last_name="Gómez")
    with_room = _book_for(me, at(TUESDAY, 10), service_code="MASAJE-60", therapist=spa.ana)
    no_room = _book_for(me, at(TUESDAY, 15), service_code="MASAJE-DEP", therapist=spa.beto)
    cancelled = _book_for(me, at(TUESDAY, 16), service_code="MASAJE-60", therapist=spa.ana)
    Appointment.objects.filter(pk=cancelled.pk).update(
        status=AppointmentStatus.CANCELLED, cancelled_by="client", cancelled_at=at(TUESDAY, 9)
    )
    offered = _book_for(me, at(TUESDAY, 17), service_code="MASAJE-60", therapist=spa.beto)
    Appointment.objects.filter(pk=offered.pk).update(status=AppointmentStatus.OFFERED)
    staff_book(at(TUESDAY, 12), therapist=spa.beto)  # somebody else's

    http = api_as(me)
    with django_assert_num_queries(3):  # the user, the count, the page
        body = http.get(URL).json()

    expected = [
        _as_before(Appointment.objects.get(pk=appt.pk))
        for appt in (with_room, no_room, cancelled)  # by start; the offer is not theirs yet
    ]
    assert body["count"] == 3
    assert body["items"] == expected
    assert body["items"][0]["room"]["name"] == "Cabina 1" and body["items"][1]["room"] is None
    assert body["items"][0]["client"]["name"] == "Lucía Gómez"
    assert [i["status"] for i in http.get(URL, {"status": "CANCELLED"}).json()["items"]] == [
        "CANCELLED"
    ]


def test_a_full_page_costs_the_same_statements(
    api_as: Any, spa: Any, django_assert_num_queries: Any
) -> None:
    me = UserFactory(roles=["client"])
    for hour in (9, 10, 11, 12, 14, 15, 16, 17):
        for therapist in (spa.ana, spa.beto):
            _book_for(me, at(TUESDAY, hour), service_code="MASAJE-DEP", therapist=therapist)
    http = api_as(me)
    with django_assert_num_queries(3):
        page = http.get(URL, {"page_size": 10}).json()
    assert page["count"] == 16 and len(page["items"]) == 10
