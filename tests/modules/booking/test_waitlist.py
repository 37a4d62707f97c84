"""The waitlist: join, leave, offers of freed slots in order of joining, the cascade, the
database-held offer, accepting through the normal booking path (docs/booking.md)."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest

from modules.booking import deposits, services, waitlist
from modules.booking.models import (
    Appointment,
    AppointmentStatus,
    ScheduleChange,
    WaitlistEntry,
    WaitlistOffer,
)
from platform_core.models import Notification
from tests.factories import UserFactory
from tests.modules.booking.conftest import NOW, TUESDAY, at, iso, staff_book

WAIT = "/api/booking/waitlist/"


def _join(api: Any, **body: Any) -> Any:
    payload = {"service": "MASAJE-60", "date_from": str(TUESDAY), "date_to": str(TUESDAY)}
    payload.update(body)
    return api.post(WAIT, payload)


def _waiter(api_as: Any, **body: Any) -> tuple[Any, Any]:
    """A client on the waitlist for Tuesday 10:00-10:30 (so only the freed slot fits)."""
    user = UserFactory(roles=["client"])
    api = api_as(user)
    body = {"time_from": "10:00", "time_to": "10:30", **body}
    response = _join(api, **body)
    assert response.status_code == 201, response.json()
    return user, api


def _offers_to(user: Any) -> list[Notification]:
    return list(
        Notification.objects.filter(template="booking_waitlist_offer", user_id=user.pk).order_by(
            "id"
        )
    )


def _offer_id(api: Any) -> str:
    entries = api.get(WAIT).json()["items"]
    return next(e["offer"]["id"] for e in entries if e["offer"])


def test_join_list_leave_and_bad_input_in_spanish(api_as: Any, spa: Any) -> None:
    user = UserFactory(roles=["client"])
    api = api_as(user)
    joined = _join(api, therapist=str(spa.ana.public_id), time_from="14:00", time_to="18:00")
    assert joined.status_code == 201, joined.json()
    body = joined.json()
    assert body["status"] == "WAITING" and body["service"] == "MASAJE-60"
    assert body["therapist"]["name"] == "Ana" and body["time_from"] == "14:00"
    assert body["offer"] is None
    listed = api.get(WAIT).json()
    assert [e["id"] for e in listed["items"]] == [body["id"]]
    backwards = _join(api, date_from=str(TUESDAY), date_to=str(TUESDAY - timedelta(days=1)))
    assert backwards.status_code == 409
    assert backwards.json()["error"]["message"].startswith("Las fechas deben ir")
    assert _join(api, service="NOPE").status_code == 404
    left = api.post(f"{WAIT}{body['id']}/leave/")
    assert left.status_code == 200 and left.json()["status"] == "LEFT"
    assert api.post(f"{WAIT}{body['id']}/leave/").json()["status"] == "LEFT"  # idempotent
    other = api_as(UserFactory()).post(f"{WAIT}{body['id']}/leave/")
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "waitlist_entry_not_found"


def test_a_cancellation_is_offered_in_order_held_and_accepted(
    api_as: Any, spa: Any, django_capture_on_commit_callbacks: Any
) -> None:
    taken = staff_book(at(TUESDAY, 10), therapist=spa.ana)
    first, first_api = _waiter(api_as)
    second, _second_api = _waiter(api_as)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(actor=taken.client, appointment=taken)
    # The first to join is offered the freed 10:00 (Ana or Beto, the room is the limit).
    offer = WaitlistOffer.objects.get()
    assert offer.start == at(TUESDAY, 10) and offer.status == "OPEN"
    assert offer.expires_at == NOW + timedelta(minutes=15)
    [message] = _offers_to(first)
    assert message.channel == "whatsapp" and "se liberó un cupo" in message.body
    assert "Masaje relajante 60 min" in message.body and "15 minutos" in message.body
    assert _offers_to(second) == []
    # The database holds the slot: nobody books it online meanwhile.
    hold = Appointment.objects.get(status=AppointmentStatus.OFFERED)
    assert hold.start == at(TUESDAY, 10) and hold.room == spa.room
    outsider = api_as(UserFactory()).post(
        "/api/booking/appointments/", {"service": "MASAJE-60", "start": iso(TUESDAY, 10)}
    )
    assert outsider.status_code == 409 and outsider.json()["error"]["code"] == "slot_taken"
    # The hold is not the client's appointment until they accept it.
    assert first_api.get("/api/booking/appointments/mine/").json()["items"] == []
    assert _offer_id(first_api) == str(offer.public_id)

    accepted = first_api.post(f"{WAIT}offers/{offer.public_id}/accept/")
    assert accepted.status_code == 201, accepted.json()
    appt = accepted.json()["appointment"]
    assert appt["status"] == "CONFIRMED" and appt["start"] == iso(TUESDAY, 10)
    assert not Appointment.objects.filter(status=AppointmentStatus.OFFERED).exists()
    offer.refresh_from_db()
    assert offer.status == "ACCEPTED" and str(offer.appointment.public_id) == appt["id"]
    entry = WaitlistEntry.objects.get(client=first)
    assert entry.status == "BOOKED" and entry.appointment_id == offer.appointment_id
    # Accepting it again is not "someone else took it": it is theirs already.
    again = first_api.post(f"{WAIT}offers/{offer.public_id}/accept/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "offer_accepted"
    assert again.json()["error"]["message"].startswith("Ya tomaste este cupo")
    stranger = api_as(UserFactory()).post(f"{WAIT}offers/{offer.public_id}/accept/")
    assert stranger.status_code == 404


def test_the_offer_cascades_then_closes_and_the_slot_is_free_again(
    api: Any, api_as: Any, spa: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    taken = staff_book(at(TUESDAY, 10), therapist=spa.ana)
    first, _ = _waiter(api_as)
    second, _ = _waiter(api_as)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(actor=taken.client, appointment=taken)
    offer = WaitlistOffer.objects.get()
    assert waitlist.cascade() == {"cascaded": 0, "closed": 0, "expired_entries": 0}
    clock.move_to(NOW + timedelta(minutes=16))
    assert waitlist.cascade()["cascaded"] == 1
    offer.refresh_from_db()
    assert offer.status == "OPEN" and len(_offers_to(second)) == 1
    # Both invited: the first to accept wins, the other gets a clear Spanish 409.
    # (Fresh API clients: the clock moved past the first tokens' lifetime.)
    first_api, second_api = api_as(first), api_as(second)
    assert second_api.post(f"{WAIT}offers/{offer.public_id}/accept/").status_code == 201
    late = first_api.post(f"{WAIT}offers/{offer.public_id}/accept/")
    assert late.status_code == 409
    assert late.json()["error"]["message"].startswith("Otra persona de la lista de espera")
    assert WaitlistEntry.objects.get(client=first).status == "WAITING"

    # Another freed slot nobody takes: after the last client it closes and frees the slot.
    other = staff_book(at(TUESDAY, 15), therapist=spa.beto)
    third, _third_api = _waiter(api_as, time_from="15:00", time_to="15:10")
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(actor=other.client, appointment=other)
    offer = WaitlistOffer.objects.get(status="OPEN")
    assert offer.start == at(TUESDAY, 15) and len(_offers_to(third)) == 1
    slots = {"service": "MASAJE-60", "date_from": str(TUESDAY), "date_to": str(TUESDAY)}
    starts = [s["start"] for s in api.get("/api/booking/availability/", slots).json()["slots"]]
    assert iso(TUESDAY, 15) not in starts
    clock.move_to(NOW + timedelta(minutes=40))
    assert waitlist.cascade()["closed"] == 1
    offer.refresh_from_db()
    assert offer.status == "CLOSED" and offer.hold is None
    expired = api_as(third).post(f"{WAIT}offers/{offer.public_id}/accept/")
    assert expired.status_code == 409
    assert expired.json()["error"]["code"] == "offer_expired"
    starts = [s["start"] for s in api.get("/api/booking/availability/", slots).json()["slots"]]
    assert iso(TUESDAY, 15) in starts
    # Entries expire after their date range.
    clock.move_to(at(TUESDAY + timedelta(days=1), 9))
    assert waitlist.cascade()["expired_entries"] == 2  # the first and the third
    assert WaitlistEntry.objects.get(client=first).status == "EXPIRED"


def test_declining_passes_the_offer_on_at_once_and_keeps_the_client_waiting(
    api_as: Any, spa: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    taken = staff_book(at(TUESDAY, 10), therapist=spa.ana)
    first, first_api = _waiter(api_as)
    second, second_api = _waiter(api_as)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(actor=taken.client, appointment=taken)
    offer = WaitlistOffer.objects.get()
    question = waitlist.open_question(first)
    assert question is not None and question.offer_id == str(offer.public_id)
    assert waitlist.open_question(second) is None  # not told yet
    clock.move_to(NOW + timedelta(minutes=3))
    with django_capture_on_commit_callbacks(execute=True):
        declined = first_api.post(f"{WAIT}offers/{offer.public_id}/decline/")
    assert declined.status_code == 200, declined.json()
    assert declined.json()["passed_on"] is True
    # The second client is told now, with a full WAITLIST_OFFER_MINUTES from now.
    offer.refresh_from_db()
    assert offer.status == "OPEN" and offer.expires_at == NOW + timedelta(minutes=18)
    assert len(_offers_to(second)) == 1
    assert Appointment.objects.get(status=AppointmentStatus.OFFERED).client == second
    # The first answered: no question left, still waiting, cannot take it back.
    assert waitlist.open_question(first) is None
    assert WaitlistEntry.objects.get(client=first).status == "WAITING"
    assert first_api.get(WAIT).json()["items"][0]["offer"] is None
    again = first_api.post(f"{WAIT}offers/{offer.public_id}/decline/")
    assert again.status_code == 200 and again.json()["passed_on"] is False  # idempotent
    late = first_api.post(f"{WAIT}offers/{offer.public_id}/accept/")
    assert late.status_code == 409 and late.json()["error"]["code"] == "offer_declined"
    # The first is free for another freed slot that day (a declined offer is not "busy").
    other = staff_book(at(TUESDAY, 15), therapist=spa.beto)
    entry = WaitlistEntry.objects.get(client=first)
    entry.time_to = time(15, 10)
    entry.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(actor=other.client, appointment=other)
    assert len(_offers_to(first)) == 2
    # The second declines too: with nobody left the offer closes and frees its slot.
    with django_capture_on_commit_callbacks(execute=True):
        assert second_api.post(f"{WAIT}offers/{offer.public_id}/decline/").json()["passed_on"]
    offer.refresh_from_db()
    assert offer.status == "CLOSED" and offer.hold is None
    stranger = api_as(UserFactory()).post(f"{WAIT}offers/{offer.public_id}/decline/")
    assert stranger.status_code == 404
    # Staff see who was told, in order, and what each answered (read-only).
    from django.test import Client

    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = admin.get(f"/admin/booking/waitlistoffer/{offer.pk}/change/")
    assert page.status_code == 200
    assert page.content.decode().count("Lo rechazó") == 2


def test_an_earlier_invitee_declining_leaves_the_current_one_their_time(
    api_as: Any, spa: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    taken = staff_book(at(TUESDAY, 10), therapist=spa.ana)
    first, first_api = _waiter(api_as)
    second, second_api = _waiter(api_as)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(actor=taken.client, appointment=taken)
    offer = WaitlistOffer.objects.get()
    clock.move_to(NOW + timedelta(minutes=16))
    assert waitlist.cascade()["cascaded"] == 1  # both invited, the second's turn
    first_api, second_api = api_as(first), api_as(second)
    expires = WaitlistOffer.objects.get().expires_at
    declined = first_api.post(f"{WAIT}offers/{offer.public_id}/decline/").json()
    assert declined["passed_on"] is False
    offer.refresh_from_db()
    assert offer.status == "OPEN" and offer.expires_at == expires
    # The newest unanswered invitation is the second's question; they take it.
    assert waitlist.open_question(second).offer_id == str(offer.public_id)
    assert second_api.post(f"{WAIT}offers/{offer.public_id}/accept/").status_code == 201
    assert waitlist.open_question(second) is None
    refused = second_api.post(f"{WAIT}offers/{offer.public_id}/decline/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "offer_accepted"


def test_the_question_lasts_until_answered_a_day_or_the_start(
    api_as: Any, spa: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    taken = staff_book(at(TUESDAY, 10), therapist=spa.ana)
    first, _api = _waiter(api_as)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(actor=taken.client, appointment=taken)
    clock.move_to(NOW + timedelta(minutes=40))
    assert waitlist.cascade()["closed"] == 1
    # Closed, but unanswered: a late "sí" is told it expired (not read as something else).
    assert waitlist.open_question(first) is not None
    clock.move_to(NOW + timedelta(hours=24, minutes=1))
    assert waitlist.open_question(first) is None


def test_deposit_rules_apply_when_accepting(
    api_as: Any, spa: Any, checkout_stub: Any, django_capture_on_commit_callbacks: Any
) -> None:
    taken = staff_book(at(TUESDAY, 10), therapist=spa.ana, service_code="MASAJE-DEP")
    user, api = _waiter(api_as, service="MASAJE-DEP", therapist=str(spa.ana.public_id))
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(actor=taken.client, appointment=taken)
    accepted = api.post(f"{WAIT}offers/{_offer_id(api)}/accept/")
    assert accepted.status_code == 201, accepted.json()
    body = accepted.json()
    assert body["appointment"]["status"] == "PENDING_PAYMENT"
    assert body["appointment"]["deposit_cents"] == 6_000_000
    assert body["checkout"]["amount_in_cents"] == 6_000_000
    assert checkout_stub[-1]["customer"] == user


def test_moves_no_shows_expired_holds_and_schedule_changes_free_slots(
    api_as: Any, spa: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    moved = staff_book(at(TUESDAY, 10), therapist=spa.ana)
    user, _api = _waiter(api_as, therapist=str(spa.ana.public_id))
    reception = UserFactory(roles=["reception"])
    with django_capture_on_commit_callbacks(execute=True):
        services.reschedule_appointment(actor=reception, appointment=moved, start=at(TUESDAY, 16))
    assert WaitlistOffer.objects.get().start == at(TUESDAY, 10)
    assert len(_offers_to(user)) == 1
    # A schedule change that opens Beto's Tuesday afternoon offers it to a client waiting
    # for Beto then (the change's commit triggers it).
    ScheduleChange.objects.create(therapist=spa.beto, date=TUESDAY, start=time(9), end=time(12))
    later, _ = _waiter(
        api_as, therapist=str(spa.beto.public_id), time_from="16:00", time_to="16:10"
    )
    assert not _offers_to(later)
    with django_capture_on_commit_callbacks(execute=True):
        ScheduleChange.objects.filter(therapist=spa.beto).delete()
    # Beto works 9-19 again, but 16:00 needs the room Ana's moved client has: no offer.
    assert not _offers_to(later)
    with django_capture_on_commit_callbacks(execute=True):
        ScheduleChange.objects.create(
            therapist=spa.beto, date=TUESDAY, start=time(15), end=time(18), note="turno"
        )
    assert not _offers_to(later)  # still the room
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(actor=reception, appointment=moved, by_spa=True)
    assert len(_offers_to(later)) == 1
    # An expired deposit hold frees its slot too.
    hold = staff_book(at(TUESDAY, 12), therapist=spa.ana, service_code="MASAJE-DEP")
    assert hold.status == AppointmentStatus.PENDING_PAYMENT
    waiting, _ = _waiter(
        api_as, service="MASAJE-DEP", time_from="12:00", time_to="12:10", therapist=None
    )
    clock.move_to(NOW + timedelta(minutes=30))
    with django_capture_on_commit_callbacks(execute=True):
        assert deposits.expire_holds() == 1
    assert len(_offers_to(waiting)) == 1


def test_desk_calendar_lists_the_days_waitlist(
    api_as: Any, spa: Any, reception: Any, django_capture_on_commit_callbacks: Any
) -> None:
    taken = staff_book(at(TUESDAY, 10), therapist=spa.ana)
    user, _api = _waiter(api_as)
    _waiter(
        api_as, date_from=str(TUESDAY + timedelta(days=2)), date_to=str(TUESDAY + timedelta(days=3))
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(actor=taken.client, appointment=taken)
    feed = api_as(reception).get(f"/api/booking/desk/calendar/?date={TUESDAY}").json()
    [row] = feed["waitlist"]
    assert row["client_phone"] == user.phone_number and row["service"] == "MASAJE-60"
    assert row["time_from"] == "10:00" and row["offer"]["start"] == iso(TUESDAY, 10)
    held = [e for e in feed["events"] if e.get("extendedProps", {}).get("status") == "OFFERED"]
    assert len(held) == 1 and held[0]["extendedProps"]["status_label"].startswith("Ofrecida")
    ana = api_as(spa.ana.user).get(f"/api/booking/desk/calendar/?date={TUESDAY}").json()
    assert ana["waitlist"] == []  # therapists do not see clients' phones


def test_personal_data_export_and_erasure(api_as: Any, spa: Any) -> None:
    from modules.booking import personal_data

    user, _api = _waiter(api_as)
    assert personal_data.export_user(user)["waitlist"][0]["service"] == spa.massage.name
    personal_data.erase_user(user)
    assert not WaitlistEntry.objects.filter(client=user).exists()


@pytest.mark.parametrize("limit", [5])
def test_a_client_waits_in_at_most_five_lists(api_as: Any, spa: Any, limit: int) -> None:
    api = api_as(UserFactory())
    for _ in range(limit):
        assert _join(api).status_code == 201
    refused = _join(api)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "waitlist_limit"


# --- PostgreSQL: real threads, the database decides ---------------------------------------------
def _pg_waiters(n: int) -> list[Any]:
    from tests.conftest import ApiClient

    users = [UserFactory(roles=["client"]) for _ in range(n)]
    for user in users:
        response = ApiClient(user).post(
            WAIT,
            {
                "service": "MASAJE-60",
                "date_from": str(TUESDAY),
                "date_to": str(TUESDAY),
                "time_from": "10:00",
                "time_to": "10:10",
            },
        )
        assert response.status_code == 201, response.json()
    return users


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clients_accept_the_same_offer_at_once(clock: Any) -> None:
    from tests.conftest import ApiClient
    from tests.modules.booking.conftest import build_spa
    from tests.modules.booking.test_concurrency import _race

    spa = build_spa()
    taken = staff_book(at(TUESDAY, 10), therapist=spa.ana)
    users = _pg_waiters(2)
    services.cancel_appointment(actor=taken.client, appointment=taken)  # commits: offer
    offer = WaitlistOffer.objects.get()
    clock.move_to(NOW + timedelta(minutes=16))
    assert waitlist.cascade()["cascaded"] == 1  # now both are invited
    clients = [ApiClient(u) for u in users]

    def accept(i: int) -> tuple[int, str]:
        response = clients[i].post(f"{WAIT}offers/{offer.public_id}/accept/")
        return response.status_code, response.json().get("error", {}).get("code", "")

    results = sorted(_race(2, accept))
    assert results == [(201, ""), (409, "offer_taken")], results
    active = Appointment.objects.filter(start=at(TUESDAY, 10)).exclude(
        status__in=[AppointmentStatus.CANCELLED]
    )
    assert [a.status for a in active] == [AppointmentStatus.CONFIRMED]
    assert WaitlistEntry.objects.filter(status="BOOKED").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_waitlist_offer_and_an_online_booking_race_for_one_slot(
    clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modules.booking import freeing
    from tests.conftest import ApiClient
    from tests.modules.booking.conftest import build_spa
    from tests.modules.booking.test_concurrency import _race

    spa = build_spa()
    outcomes = []
    for round_ in range(3):
        hour = 10 + 2 * round_
        taken = staff_book(at(TUESDAY, hour), therapist=spa.ana)
        waiter = UserFactory(roles=["client"])
        waitlist.join(
            client=waiter,
            service_code="MASAJE-60",
            date_from=TUESDAY,
            date_to=TUESDAY,
            time_from=time(hour),
            time_to=time(hour, 10),
        )
        with monkeypatch.context() as quiet:  # free the slot without offering it yet
            quiet.setattr(freeing, "_send", lambda *args: None)
            services.cancel_appointment(actor=taken.client, appointment=taken)
        online = ApiClient(UserFactory())

        def go(i: int, hour: int = hour, online: Any = online) -> Any:
            if i == 0:
                return waitlist.offer_freed_slots(None, TUESDAY)
            body = {"service": "MASAJE-60", "start": iso(TUESDAY, hour)}
            return online.post("/api/booking/appointments/", body).status_code

        offers_made, booked = _race(2, go)
        holders = Appointment.objects.filter(
            start=at(TUESDAY, hour),
            status__in=[AppointmentStatus.CONFIRMED, AppointmentStatus.OFFERED],
        )
        assert holders.count() == 1, (offers_made, booked)
        if booked == 201:
            assert offers_made == 0 and holders.get().status == AppointmentStatus.CONFIRMED
        else:
            assert (offers_made, booked) == (1, 409)
            assert holders.get().status == AppointmentStatus.OFFERED
        outcomes.append(booked)
    assert set(outcomes) <= {201, 409}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_offer_is_sent_after_commit_with_no_booking_lock_held(
    clock: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The WhatsApp send happens once the offer is committed (another connection sees it)
    and while nobody holds the therapists' rows (another connection locks them NOWAIT)."""
    import threading

    from django.db import DatabaseError, connection, transaction

    from modules.booking.models import Therapist
    from platform_core.notifications import adapters
    from tests.modules.booking.conftest import build_spa

    settings.NOTIFICATIONS_BACKEND = "memory"
    spa = build_spa()
    taken = staff_book(at(TUESDAY, 10), therapist=spa.ana)
    _pg_waiters(1)
    probes: list[Any] = []
    real_send = adapters.MemoryAdapter.send

    def probe() -> None:
        try:
            with transaction.atomic():
                list(Therapist.objects.select_for_update(nowait=True).order_by("pk"))
                probes.append(WaitlistOffer.objects.filter(status="OPEN").exists())
        except DatabaseError as exc:
            probes.append(exc)
        finally:
            connection.close()

    def send(self: Any, notification: Any) -> Any:
        if notification.template == "booking_waitlist_offer":
            thread = threading.Thread(target=probe)
            thread.start()
            thread.join(30)
        return real_send(self, notification)

    monkeypatch.setattr(adapters.MemoryAdapter, "send", send)
    services.cancel_appointment(actor=taken.client, appointment=taken)
    assert probes == [True], probes


def test_the_assistant_joins_lists_and_accepts_an_offer(
    spa: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from modules.booking import assistant_tools
    from platform_core.plugins import ToolContext

    taken = staff_book(at(TUESDAY, 10), therapist=spa.ana)
    user = UserFactory(roles=["client"])
    ctx = ToolContext(user=user, conversation_id="c1")
    joined = assistant_tools.join_waitlist(
        ctx, "MASAJE-60", str(TUESDAY), str(TUESDAY), part_of_day="morning"
    )
    assert joined["ok"], joined
    entry = WaitlistEntry.objects.get(client=user)
    assert (entry.time_from, entry.time_to) == (time(0), time(12))
    bad = assistant_tools.join_waitlist(ctx, "MASAJE-60", "mañana", str(TUESDAY))
    assert bad["error"] == "invalid_date"
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(actor=taken.client, appointment=taken)
    listed = assistant_tools.my_waitlist(ctx)
    offer = listed["entries"][0]["offer"]
    assert offer["when"].startswith("martes 5 de marzo")
    assert "Confirmas que tomas el cupo" in assistant_tools.propose_accept_offer(
        ctx, offer["offer_id"]
    )
    unconfirmed = assistant_tools.accept_waitlist_offer(ctx, offer["offer_id"])
    assert unconfirmed["error"] == "confirmation_required"
    confirmed = ToolContext(user=user, conversation_id="c1", confirmed=True)
    booked = assistant_tools.accept_waitlist_offer(confirmed, offer["offer_id"])
    assert booked["ok"] and booked["status"] == "CONFIRMED", booked
    again = assistant_tools.accept_waitlist_offer(confirmed, offer["offer_id"])
    assert again["error"] == "offer_accepted"
    names = {t.name for t in assistant_tools.get_tools()}
    assert {
        "join_waitlist",
        "my_waitlist",
        "accept_waitlist_offer",
        "decline_waitlist_offer",
    } <= names
