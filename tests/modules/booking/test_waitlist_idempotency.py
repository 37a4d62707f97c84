"""Accepting a waitlist offer honours Idempotency-Key like the other creates: the same key
replays the first 201 (a double submit books once and both answers show the booking);
without a key, or with another one, accepting again stays 409 ``offer_accepted``."""

from __future__ import annotations

from typing import Any

import pytest

from modules.booking import services
from modules.booking.models import Appointment, AppointmentStatus, WaitlistOffer
from tests.modules.booking.conftest import TUESDAY, at, staff_book
from tests.modules.booking.test_waitlist import WAIT, _pg_waiters, _waiter

ACCEPTED = [AppointmentStatus.CONFIRMED, AppointmentStatus.PENDING_PAYMENT]


def _offered(api_as: Any, capture: Any) -> tuple[Any, WaitlistOffer]:
    """A client on the waitlist and the 10:00 slot offered to them."""
    taken = staff_book(at(TUESDAY, 10))
    _user, api = _waiter(api_as)
    with capture(execute=True):
        services.cancel_appointment(actor=taken.client, appointment=taken)
    return api, WaitlistOffer.objects.get()


def test_the_same_key_replays_the_booking(
    api_as: Any, spa: Any, django_capture_on_commit_callbacks: Any
) -> None:
    api, offer = _offered(api_as, django_capture_on_commit_callbacks)
    url = f"{WAIT}offers/{offer.public_id}/accept/"
    first = api.post(url, HTTP_IDEMPOTENCY_KEY="accept-1")
    again = api.post(url, HTTP_IDEMPOTENCY_KEY="accept-1")
    assert first.status_code == again.status_code == 201, again.json()
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    booked = Appointment.objects.filter(start=at(TUESDAY, 10), status__in=ACCEPTED)
    assert [str(a.public_id) for a in booked] == [first.json()["appointment"]["id"]]
    # The key is optional and per action: another key (or none) is a new request.
    other = api.post(url, HTTP_IDEMPOTENCY_KEY="accept-2")
    assert other.status_code == 409 and other.json()["error"]["code"] == "offer_accepted"
    bare = api.post(url)
    assert bare.status_code == 409 and bare.json()["error"]["code"] == "offer_accepted"


def test_a_refused_accept_is_not_stored_under_its_key(
    api_as: Any, spa: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.factories import UserFactory

    api, offer = _offered(api_as, django_capture_on_commit_callbacks)
    url = f"{WAIT}offers/{offer.public_id}/accept/"
    stranger = api_as(UserFactory(roles=["client"]))
    assert stranger.post(url, HTTP_IDEMPOTENCY_KEY="k").status_code == 404
    # Keys are per user, and the invited client's own retry after an error runs again.
    assert api.post(url, HTTP_IDEMPOTENCY_KEY="k").status_code == 201


def test_the_schema_declares_the_header() -> None:
    from studiozens.api import api

    op = api.get_openapi_schema()["paths"]["/api/booking/waitlist/offers/{offer_id}/accept/"]
    headers = [p["name"] for p in op["post"]["parameters"] if p["in"] == "header"]
    assert headers == ["Idempotency-Key"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_submit_at_once_books_once_and_both_get_the_booking(clock: Any) -> None:
    from tests.conftest import ApiClient
    from tests.modules.booking.conftest import build_spa
    from tests.modules.booking.test_concurrency import _race

    spa = build_spa()
    taken = staff_book(at(TUESDAY, 10), therapist=spa.ana)
    [user] = _pg_waiters(1)
    services.cancel_appointment(actor=taken.client, appointment=taken)  # commits: offer
    offer = WaitlistOffer.objects.get()
    client = ApiClient(user)

    def accept(_i: int) -> tuple[int, Any]:
        response = client.post(
            f"{WAIT}offers/{offer.public_id}/accept/", HTTP_IDEMPOTENCY_KEY="double-tap"
        )
        return response.status_code, response.json()

    (s1, b1), (s2, b2) = _race(2, accept)
    assert (s1, s2) == (201, 201), (b1, b2)
    assert b1 == b2
    booked = Appointment.objects.filter(start=at(TUESDAY, 10), status__in=ACCEPTED)
    assert [str(a.public_id) for a in booked] == [b1["appointment"]["id"]]
