from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from modules.booking import deposits, services
from modules.booking.models import Appointment, AppointmentEvent, AppointmentStatus
from modules.payments import public as payments
from platform_core.models import Notification
from tests.factories import UserFactory
from tests.modules.booking.conftest import TUESDAY, at, iso


def _deliver(outcome: payments.PaymentOutcome) -> None:
    """What payments' outbox does: hand the outcome to the handler its purpose declares."""
    from platform_core.plugins import payment_handlers

    payment_handlers()[outcome.purpose](outcome)


URL = "/api/booking/appointments"


def _book(api_client: Any, start: str, *, service: str = "MASAJE-60", **extra: Any) -> Any:
    return api_client.post(URL, {"service": service, "start": start, **extra})


def test_client_books_for_themselves(api_as: Any, spa: Any, client_user: Any) -> None:
    response = _book(api_as(client_user), iso(TUESDAY, 10), therapist=str(spa.ana.public_id))
    assert response.status_code == 201, response.json()
    body = response.json()
    appt = body["appointment"]
    assert appt["status"] == "CONFIRMED" and body["checkout"] is None
    assert appt["therapist"]["name"] == "Ana" and appt["room"]["name"] == "Cabina 1"
    assert appt["price_cents"] == 18_000_000 and appt["vip_price_applied"] is False
    row = Appointment.objects.get(public_id=appt["id"])
    assert row.client == client_user
    assert row.blocked_end == at(TUESDAY, 11, 15)
    assert Notification.objects.filter(
        template="booking_confirmed", idempotency_key=f"appt:{row.public_id}:confirmed"
    ).exists()
    again = _book(api_as(UserFactory()), iso(TUESDAY, 10), therapist=str(spa.ana.public_id))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "slot_taken"


def test_vip_price_is_snapshotted(api_as: Any, spa: Any) -> None:
    vip = UserFactory(vip_until=at(TUESDAY, 0) + timedelta(days=30))
    appt = _book(api_as(vip), iso(TUESDAY, 10)).json()["appointment"]
    assert appt["price_cents"] == 15_000_000 and appt["vip_price_applied"] is True
    spa.massage.price_cents = 1
    spa.massage.save()
    assert Appointment.objects.get(public_id=appt["id"]).price_cents == 15_000_000


def test_buffer_after_blocks_the_next_quarter(api_as: Any, spa: Any) -> None:
    ana = str(spa.ana.public_id)
    assert _book(api_as(UserFactory()), iso(TUESDAY, 10), therapist=ana).status_code == 201
    assert _book(api_as(UserFactory()), iso(TUESDAY, 11), therapist=ana).status_code == 409
    assert _book(api_as(UserFactory()), iso(TUESDAY, 11, 15), therapist=ana).status_code == 201


def test_room_conflict_blocks_another_therapist(api_as: Any, spa: Any) -> None:
    assert (
        _book(api_as(UserFactory()), iso(TUESDAY, 10), therapist=str(spa.ana.public_id)).status_code
        == 201
    )
    late = _book(api_as(UserFactory()), iso(TUESDAY, 10, 30), therapist=str(spa.beto.public_id))
    assert late.status_code == 409
    # Without a therapist, the engine assigns whoever is free; the room still decides.
    assert _book(api_as(UserFactory()), iso(TUESDAY, 11, 15)).status_code == 201


def test_auto_assigns_least_busy_therapist(api_as: Any, spa: Any) -> None:
    _book(
        api_as(UserFactory()),
        iso(TUESDAY, 9),
        service="MASAJE-DEP",
        therapist=str(spa.ana.public_id),
    )
    body = _book(api_as(UserFactory()), iso(TUESDAY, 15), service="MASAJE-DEP").json()
    assert body["appointment"]["therapist"]["name"] == "Beto"


@pytest.mark.parametrize(
    ("start", "code"),
    [
        (iso(TUESDAY, 10, 5), "invalid_start"),
        ("2030-03-04T08:30:00-05:00", "outside_booking_window"),
        ("2031-03-04T10:00:00-05:00", "outside_booking_window"),
    ],
)
def test_invalid_starts(api_as: Any, spa: Any, client_user: Any, start: str, code: str) -> None:
    # Well-formed starts the agenda or the clock refuses: 409 (the state), not 422 (the shape).
    response = _book(api_as(client_user), start)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == code


def test_outside_working_hours_is_taken(api_as: Any, spa: Any, client_user: Any) -> None:
    assert _book(api_as(client_user), iso(TUESDAY, 13)).status_code == 409  # lunch
    assert (
        _book(
            api_as(client_user), iso(TUESDAY, 10), therapist="8e4a5b77-0000-4000-8000-000000000000"
        ).status_code
        == 404
    )


def test_clients_cannot_book_for_others(
    api_as: Any, spa: Any, client_user: Any, other_user: Any
) -> None:
    response = _book(api_as(client_user), iso(TUESDAY, 10), client=str(other_user.public_id))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "client_not_allowed"


def test_reception_books_for_anyone(api_as: Any, spa: Any, reception: Any, other_user: Any) -> None:
    desk = api_as(reception)
    by_id = _book(desk, iso(TUESDAY, 10), client=str(other_user.public_id))
    assert by_id.status_code == 201
    assert by_id.json()["appointment"]["client"]["id"] == str(other_user.public_id)
    walk_in = _book(desk, iso(TUESDAY, 15), client_phone="3001234567")
    assert walk_in.status_code == 201, walk_in.json()
    appt = Appointment.objects.get(public_id=walk_in.json()["appointment"]["id"])
    assert appt.client.phone_number == "+573001234567" and appt.booked_by == reception
    assert _book(desk, iso(TUESDAY, 16), client_phone="12").status_code == 422
    # Reception has no lead time: 08:30 today is fine for a walk-in, 07:00 is past.
    assert _book(desk, "2030-03-04T09:00:00-05:00", service="MASAJE-DEP").status_code == 201


def test_deposit_hold_and_settlement(
    api_as: Any, spa: Any, client_user: Any, checkout_stub: list
) -> None:
    response = _book(api_as(client_user), iso(TUESDAY, 10), service="MASAJE-DEP")
    assert response.status_code == 201
    body = response.json()
    assert body["appointment"]["status"] == "PENDING_PAYMENT"
    assert body["appointment"]["deposit_cents"] == 6_000_000
    assert body["checkout"]["checkout_url"].startswith("https://")
    call = checkout_stub[0]
    assert call["purpose"] == "booking.appointment" and call["ref"] == body["appointment"]["id"]
    assert call["amount_cents"] == 6_000_000 and call["customer"] == client_user
    appt = Appointment.objects.get(public_id=call["ref"])
    assert appt.hold_expires_at == appt.created_at + timedelta(minutes=20) or appt.hold_expires_at
    _deliver(
        payments.PaymentSettled(
            purpose="shop.order",
            ref=call["ref"],
            payment_reference="x",
            amount_cents=1,
            user_id=client_user.pk,
        )
    )
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.PENDING_PAYMENT  # other purposes are not ours
    for _ in range(2):  # duplicate delivery is harmless
        _deliver(
            payments.PaymentSettled(
                purpose="booking.appointment",
                ref=call["ref"],
                payment_reference="pay-1",
                amount_cents=6_000_000,
                user_id=client_user.pk,
            )
        )
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.CONFIRMED and appt.deposit_paid_cents == 6_000_000
    assert appt.hold_expires_at is None
    assert AppointmentEvent.objects.filter(appointment=appt, kind="payment_settled").count() == 1


def test_hold_expiry_frees_slot_and_late_payment_is_refunded(
    api_as: Any, spa: Any, client_user: Any, checkout_stub: list, refunds: list, clock: Any
) -> None:
    ana = str(spa.ana.public_id)
    ref = _book(api_as(client_user), iso(TUESDAY, 10), service="MASAJE-DEP", therapist=ana).json()[
        "appointment"
    ]["id"]
    assert deposits.expire_holds() == 0
    clock.shift(timedelta(minutes=21))
    assert deposits.expire_holds() == 1
    assert deposits.expire_holds() == 0
    assert Appointment.objects.get(public_id=ref).status == AppointmentStatus.EXPIRED
    slots = (
        api_as(client_user)
        .get(
            "/api/booking/availability",
            {
                "service": "MASAJE-DEP",
                "date_from": str(TUESDAY),
                "date_to": str(TUESDAY),
                "therapist": ana,
            },
        )
        .json()["slots"]
    )
    assert any(s["start"].startswith(f"{TUESDAY}T10:00") for s in slots)
    other = _book(api_as(UserFactory()), iso(TUESDAY, 10), service="MASAJE-DEP", therapist=ana)
    assert other.status_code == 201
    outcome = deposits.handle_deposit_settled(
        ref=ref, payment_reference="late-1", amount_cents=6_000_000
    )
    assert outcome == "refunded"
    appt = Appointment.objects.get(public_id=ref)
    assert appt.status == AppointmentStatus.EXPIRED and appt.refund_requested_at is not None
    assert appt.needs_attention == "slot_unavailable_after_expiry"
    assert refunds == [
        {
            "purpose": "booking.appointment",
            "ref": ref,
            "reason": "slot_unavailable_after_expiry",
            "amount_cents": 6_000_000,
            "payment_reference": "late-1",
        }
    ]
    assert (
        Appointment.objects.filter(
            therapist=spa.ana, status__in=["PENDING_PAYMENT", "CONFIRMED"]
        ).count()
        == 1
    )
    assert (
        deposits.handle_deposit_settled(ref=ref, payment_reference="late-1", amount_cents=6_000_000)
        == "duplicate"
    )


def test_late_payment_with_free_slot_confirms(
    api_as: Any, spa: Any, client_user: Any, checkout_stub: list, clock: Any
) -> None:
    ref = _book(api_as(client_user), iso(TUESDAY, 10), service="MASAJE-DEP").json()["appointment"][
        "id"
    ]
    clock.shift(timedelta(minutes=30))
    deposits.expire_holds()
    assert (
        deposits.handle_deposit_settled(ref=ref, payment_reference="late-2", amount_cents=6_000_000)
        == "confirmed"
    )
    appt = Appointment.objects.get(public_id=ref)
    assert appt.status == AppointmentStatus.CONFIRMED and appt.deposit_paid_cents == 6_000_000


def test_settlement_edge_cases(
    api_as: Any, spa: Any, client_user: Any, checkout_stub: list, refunds: list
) -> None:
    assert (
        deposits.handle_deposit_settled(ref="not-a-uuid", payment_reference="p", amount_cents=1)
        == "ignored"
    )
    assert (
        deposits.handle_deposit_settled(
            ref="8e4a5b77-0000-4000-8000-000000000000", payment_reference="p", amount_cents=1
        )
        == "ignored"
    )
    ref = _book(api_as(client_user), iso(TUESDAY, 10), service="MASAJE-DEP").json()["appointment"][
        "id"
    ]
    deposits.handle_deposit_settled(ref=ref, payment_reference="p1", amount_cents=6_000_000)
    assert (
        deposits.handle_deposit_settled(ref=ref, payment_reference="p2", amount_cents=6_000_000)
        == "refunded"
    )
    assert refunds[-1]["reason"] == "duplicate_payment"
    for appointment_ref in (ref, "bad"):
        _deliver(
            payments.PaymentFailed(
                purpose="booking.appointment",
                ref=appointment_ref,
                payment_reference="p3",
                status="DECLINED",
            )
        )
    assert (
        AppointmentEvent.objects.filter(appointment__public_id=ref, kind="payment_failed").count()
        == 1
    )


def test_payment_for_cancelled_hold_is_refunded(
    api_as: Any, spa: Any, client_user: Any, checkout_stub: list, refunds: list
) -> None:
    client = api_as(client_user)
    ref = _book(client, iso(TUESDAY, 10), service="MASAJE-DEP").json()["appointment"]["id"]
    assert client.post(f"{URL}/{ref}/cancel", {}).json()["refund_requested"] is False
    assert (
        deposits.handle_deposit_settled(ref=ref, payment_reference="p", amount_cents=6_000_000)
        == "refunded"
    )
    assert refunds[0]["reason"] == "appointment_not_payable"


def test_cancellation_policy(
    api_as: Any, spa: Any, client_user: Any, checkout_stub: list, refunds: list, clock: Any
) -> None:
    client = api_as(client_user)
    early = _book(client, iso(TUESDAY, 10), service="MASAJE-DEP").json()["appointment"]["id"]
    late = _book(client, iso(TUESDAY, 15), service="MASAJE-DEP").json()["appointment"]["id"]
    for ref in (early, late):
        deposits.handle_deposit_settled(
            ref=ref, payment_reference=f"pay-{ref}", amount_cents=6_000_000
        )
    # Now Monday 08:00: Tuesday 10:00 is 26 h away (free), 15:00 after moving the clock is not.
    body = client.post(f"{URL}/{early}/cancel", {"reason": "viaje"}).json()
    assert body["refund_requested"] is True and body["deposit_kept_cents"] == 0
    assert (
        body["appointment"]["status"] == "CANCELLED"
        and body["appointment"]["cancelled_by"] == "client"
    )
    clock.shift(timedelta(hours=10))
    client = api_as(client_user)  # a fresh token after the jump in time
    body = client.post(f"{URL}/{late}/cancel", {}).json()
    assert body["refund_requested"] is False and body["deposit_kept_cents"] == 6_000_000
    assert [r["ref"] for r in refunds] == [early]
    assert client.post(f"{URL}/{late}/cancel", {}).status_code == 409


def test_spa_cancellation_always_refunds(
    api_as: Any,
    spa: Any,
    client_user: Any,
    reception: Any,
    checkout_stub: list,
    refunds: list,
    clock: Any,
) -> None:
    ref = _book(api_as(client_user), iso(TUESDAY, 10), service="MASAJE-DEP").json()["appointment"][
        "id"
    ]
    deposits.handle_deposit_settled(ref=ref, payment_reference="pay", amount_cents=6_000_000)
    clock.shift(timedelta(hours=20))
    body = api_as(reception).post(f"{URL}/{ref}/cancel", {"reason": "terapeuta enferma"}).json()
    assert body["refund_requested"] is True and body["appointment"]["cancelled_by"] == "spa"
    assert refunds[0]["reason"] == "cancelled_by_spa"


def test_others_cannot_see_or_cancel(
    api_as: Any, spa: Any, client_user: Any, other_user: Any
) -> None:
    ref = _book(api_as(client_user), iso(TUESDAY, 10)).json()["appointment"]["id"]
    intruder = api_as(other_user)
    assert intruder.get(f"{URL}/{ref}").status_code == 404
    assert intruder.post(f"{URL}/{ref}/cancel", {}).status_code == 404
    assert intruder.post(f"{URL}/{ref}/reschedule", {"start": iso(TUESDAY, 15)}).status_code == 404
    assert intruder.get(f"{URL}/not-a-uuid").status_code == 404
    assert intruder.get(f"{URL}/mine").json()["count"] == 0
    assert Appointment.objects.get(public_id=ref).status == "CONFIRMED"
    assert api_as(client_user).get(f"{URL}/mine").json()["count"] == 1
    assert api_as(client_user).get(f"{URL}/mine", {"upcoming": "false"}).json()["count"] == 0
    # The therapist performing it sees it but cannot cancel it for the client.
    therapist = api_as(spa.ana.user)
    assert therapist.get(f"{URL}/{ref}").status_code == 200
    assert therapist.post(f"{URL}/{ref}/cancel", {}).status_code == 403


def test_reschedule_keeps_history(api_as: Any, spa: Any, client_user: Any, clock: Any) -> None:
    client = api_as(client_user)
    ref = _book(client, iso(TUESDAY, 10), therapist=str(spa.ana.public_id)).json()["appointment"][
        "id"
    ]
    moved = client.post(
        f"{URL}/{ref}/reschedule", {"start": iso(TUESDAY, 15), "therapist": str(spa.beto.public_id)}
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["therapist"]["name"] == "Beto" and moved.json()["id"] == ref
    detail = client.get(f"{URL}/{ref}").json()
    kinds = [e["kind"] for e in detail["history"]]
    assert kinds == ["created", "rescheduled"]
    old = datetime.fromisoformat(detail["history"][1]["old_start"].replace("Z", "+00:00"))
    assert old == at(TUESDAY, 10)
    # The old slot is free again, the new one is taken.
    assert (
        _book(api_as(UserFactory()), iso(TUESDAY, 10), therapist=str(spa.ana.public_id)).status_code
        == 201
    )
    assert (
        _book(
            api_as(UserFactory()), iso(TUESDAY, 15), therapist=str(spa.beto.public_id)
        ).status_code
        == 409
    )
    # Moving onto itself (overlapping its own old range) is allowed.
    assert (
        client.post(f"{URL}/{ref}/reschedule", {"start": iso(TUESDAY, 15, 30)}).status_code == 200
    )
    clock.shift(timedelta(hours=20))  # inside the window clients can no longer move it
    client = api_as(client_user)
    assert client.post(f"{URL}/{ref}/reschedule", {"start": iso(TUESDAY, 17)}).status_code == 409


def test_agenda_roles(api_as: Any, spa: Any, client_user: Any, reception: Any) -> None:
    _book(api_as(client_user), iso(TUESDAY, 10), therapist=str(spa.ana.public_id))
    _book(
        api_as(UserFactory()),
        iso(TUESDAY, 10),
        service="MASAJE-DEP",
        therapist=str(spa.beto.public_id),
    )
    assert api_as(client_user).get(URL).status_code == 403
    ana_day = api_as(spa.ana.user).get(URL, {"date": str(TUESDAY)}).json()
    assert ana_day["count"] == 1 and ana_day["items"][0]["therapist"]["name"] == "Ana"
    desk = api_as(reception)
    assert desk.get(URL, {"date": str(TUESDAY), "view": "week"}).json()["count"] == 2
    assert desk.get(URL, {"therapist": str(spa.beto.public_id)}).json()["count"] == 1
    assert desk.get(URL, {"room": str(spa.room.public_id)}).json()["count"] == 1
    assert (
        desk.get(URL, {"status": "CONFIRMED", "date": str(TUESDAY + timedelta(days=1))}).json()[
            "count"
        ]
        == 0
    )


def test_complete_no_show_and_thank_you(
    api_as: Any, spa: Any, client_user: Any, reception: Any, clock: Any
) -> None:
    first = _book(api_as(client_user), iso(TUESDAY, 10), therapist=str(spa.ana.public_id)).json()[
        "appointment"
    ]["id"]
    second = _book(api_as(client_user), iso(TUESDAY, 15), therapist=str(spa.ana.public_id)).json()[
        "appointment"
    ]["id"]
    therapist = api_as(spa.ana.user)
    assert therapist.post(f"{URL}/{first}/complete").status_code == 409  # not started yet
    assert api_as(client_user).post(f"{URL}/{first}/complete").status_code == 403
    clock.shift(timedelta(days=1, hours=9))  # Tuesday 17:00
    therapist = api_as(spa.ana.user)
    done = therapist.post(f"{URL}/{first}/complete")
    assert done.status_code == 200 and done.json()["status"] == "COMPLETED"
    assert Notification.objects.filter(template="booking_thank_you").count() == 1
    assert api_as(reception).post(f"{URL}/{second}/no-show").json()["status"] == "NO_SHOW"
    assert api_as(reception).post(f"{URL}/{second}/no-show").status_code == 409


def test_booking_accepts_an_idempotency_key(api_as: Any, spa: Any, client_user: Any) -> None:
    client = api_as(client_user)
    payload = {"service": "MASAJE-60", "start": iso(TUESDAY, 10)}
    first = client.post(URL, payload, HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(URL, payload, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Appointment.objects.count() == 1


def test_a_broken_message_channel_does_not_undo_a_booking(
    api_as: Any, spa: Any, client_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modules.booking import messaging

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("outbox down")

    monkeypatch.setattr(messaging, "send", broken)
    assert _book(api_as(client_user), iso(TUESDAY, 10)).status_code == 201
    assert Appointment.objects.get().status == "CONFIRMED"


def test_naive_start_is_read_as_bogota_time(spa: Any, reception: Any) -> None:
    outcome = services.book_appointment(
        actor=reception,
        client=UserFactory(),
        service_code="masaje-60",
        start=datetime(2030, 3, 5, 10, 0),
    )
    assert outcome.appointment.start == at(TUESDAY, 10)


@pytest.mark.parametrize(
    ("day", "hour", "minute", "code"),
    [
        (TUESDAY, 3, 0, "spa_closed"),  # the night
        (TUESDAY, 18, 30, "spa_closed"),  # starts open, the hour does not fit before 19:00
        (TUESDAY + timedelta(days=5), 10, 0, "spa_closed"),  # Sunday: no opening hours
        (TUESDAY, 13, 0, "no_therapist_working"),  # open, both therapists at lunch
    ],
)
def test_a_refused_start_says_why_it_is_not_free(
    api_as: Any, spa: Any, client_user: Any, day: Any, hour: int, minute: int, code: str
) -> None:
    """A receptionist booking at 03:00 read "ya no está disponible": the spa is closed then."""
    response = _book(api_as(client_user), iso(day, hour, minute))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == code
    assert ("cerrado" if code == "spa_closed" else "turno") in error["message"]
    assert not Appointment.objects.exists()


def test_a_chosen_therapist_off_duty_is_not_a_taken_slot(
    api_as: Any, spa: Any, client_user: Any
) -> None:
    from modules.booking.models import TimeOff

    TimeOff.objects.create(
        therapist=spa.ana, start=at(TUESDAY, 9), end=at(TUESDAY, 12), reason="cita médica"
    )
    ana = str(spa.ana.public_id)
    off = _book(api_as(client_user), iso(TUESDAY, 10), therapist=ana)
    assert off.json()["error"]["code"] == "no_therapist_working"
    assert _book(api_as(client_user), iso(TUESDAY, 10)).status_code == 201  # Beto works
