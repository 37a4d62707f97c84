"""The front desk through /api/booking/desk/: rules, roles, audit, money, races."""

from __future__ import annotations

from typing import Any

import pytest

from modules.booking.models import Appointment, AppointmentStatus
from modules.payments.models import LedgerEntry
from platform_core.models import AuditEvent, Notification
from tests.conftest import ApiClient
from tests.factories import UserFactory
from tests.modules.booking.conftest import MONDAY, TUESDAY, at, build_spa, iso, staff_book
from tests.modules.booking.test_concurrency import _race

DESK = "/api/booking/desk"


def _book(api: Any, start: str, **extra: Any) -> Any:
    return api.post(f"{DESK}/appointments/", {"service": "MASAJE-60", "start": start, **extra})


def test_walk_in_for_a_new_client_is_invited_and_audited(
    api_as: Any, spa: Any, reception: Any
) -> None:
    res = _book(
        api_as(reception),
        iso(TUESDAY, 10),
        therapist=str(spa.ana.public_id),
        phone="300 555 1234",
        first_name="Valentina",
        last_name="Ríos",
    )
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["new_client"] is True and body["appointment"]["status"] == "CONFIRMED"
    assert body["appointment"]["due"] == "$ 180.000"
    appt = Appointment.objects.get(public_id=body["appointment"]["id"])
    assert appt.client.first_name == "Valentina" and appt.client.phone_number == "+573005551234"
    assert appt.booked_by == reception
    assert Notification.objects.filter(template="identity/desk_invitation").count() == 1
    assert AuditEvent.objects.filter(action="booking.desk.booked", actor=reception).exists()
    # the same phone again: the existing client, no second invitation
    again = _book(api_as(reception), iso(TUESDAY, 15), phone="3005551234", first_name="X")
    assert again.status_code == 201 and again.json()["new_client"] is False
    assert Notification.objects.filter(template="identity/desk_invitation").count() == 1
    # a taken slot is 409 in Spanish, nothing written
    taken = _book(
        api_as(reception),
        iso(TUESDAY, 10),
        therapist=str(spa.ana.public_id),
        client=str(UserFactory().public_id),
    )
    assert taken.status_code == 409
    assert taken.json()["error"]["message"].startswith("Ese horario ya no está disponible")


def test_bad_input_is_a_spanish_4xx(api_as: Any, spa: Any, reception: Any) -> None:
    api = api_as(reception)
    assert _book(api, iso(TUESDAY, 10)).json()["error"]["code"] == "client_required"
    bad = _book(api, iso(TUESDAY, 10), phone="12", first_name="A")
    # The schema states the phone's shape (pattern): refused by validation, naming the field.
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "phone"
    assert _book(api, iso(TUESDAY, 10), phone="3001112233").status_code == 422
    assert api.get(f"{DESK}/appointments/nope/").status_code == 404
    assert Appointment.objects.count() == 0


def test_clients_and_therapists_cannot_use_the_desk(api_as: Any, spa: Any) -> None:
    appt = staff_book(at(TUESDAY, 10), therapist=spa.ana)
    client = api_as(appt.client)
    assert client.get(f"{DESK}/calendar/").status_code == 403
    assert _book(client, iso(TUESDAY, 12), phone="3005551234", first_name="A").status_code == 403
    assert client.get(f"{DESK}/clients/?q=ana").status_code == 403
    beto = api_as(spa.beto.user)
    # another therapist's appointment does not exist for Beto
    assert beto.post(f"{DESK}/appointments/{appt.public_id}/check-in/").status_code == 404
    ana = api_as(spa.ana.user)
    no = ana.post(
        f"{DESK}/appointments/{appt.public_id}/payments/", {"amount_cents": 100, "method": "cash"}
    )
    assert no.status_code == 403
    assert (
        ana.post(
            f"{DESK}/appointments/{appt.public_id}/move/", {"start": iso(TUESDAY, 15)}
        ).status_code
        == 403
    )


def test_therapist_sees_only_their_column_and_checks_in(api_as: Any, spa: Any, clock: Any) -> None:
    mine = staff_book(at(MONDAY, 10), therapist=spa.ana)
    staff_book(at(MONDAY, 10), therapist=spa.beto, service_code="MASAJE-DEP")
    ana = api_as(spa.ana.user)
    feed = ana.get(f"{DESK}/calendar/?date={MONDAY}&therapist={spa.beto.public_id}").json()
    assert [r["title"] for r in feed["resources"]] == ["Ana"]
    events = [e for e in feed["events"] if e.get("id")]
    assert [e["id"] for e in events] == [str(mine.public_id)]
    assert events[0]["extendedProps"]["client_phone"] == ""
    assert events[0]["extendedProps"]["actions"] == ["check_in"]
    done = ana.post(f"{DESK}/appointments/{mine.public_id}/check-in/")
    assert done.status_code == 200 and done.json()["status"] == "ARRIVED"
    clock.move_to(at(MONDAY, 11))
    ana = api_as(spa.ana.user)  # a fresh token at the new time
    assert ana.post(f"{DESK}/appointments/{mine.public_id}/complete/").json()["status"] == (
        "COMPLETED"
    )
    assert ana.post(f"{DESK}/appointments/{mine.public_id}/no-show/").status_code == 403


def test_calendar_feed_for_reception(api_as: Any, spa: Any, reception: Any, clock: Any) -> None:
    a = staff_book(at(MONDAY, 10), therapist=spa.ana)
    cancelled = staff_book(at(MONDAY, 15), therapist=spa.beto)
    api = api_as(reception)
    api.post(f"{DESK}/appointments/{cancelled.public_id}/cancel/", {"by": "spa"})
    feed = api.get(f"{DESK}/calendar/?date={MONDAY}").json()
    assert [r["title"] for r in feed["resources"]] == ["Ana", "Beto"]
    shown = [e for e in feed["events"] if e.get("id")]
    assert [e["id"] for e in shown] == [str(a.public_id)]
    ev = shown[0]
    assert ev["start"] == "2030-03-04T10:00:00-05:00" and ev["extendedProps"]["room"] == "Cabina 1"
    assert ev["extendedProps"]["status_label"] == "Confirmada"
    assert set(ev["extendedProps"]["actions"]) >= {"check_in", "move", "cancel", "pay"}
    off = [e for e in feed["events"] if e.get("display") == "background"]
    # lunch 13-14 and the edges of the day are shaded for both therapists
    assert {"2030-03-04T13:00:00-05:00"} <= {e["start"] for e in off}
    with_cancelled = api.get(f"{DESK}/calendar/?date={MONDAY}&show_cancelled=true").json()
    assert len([e for e in with_cancelled["events"] if e.get("id")]) == 2
    week = api.get(f"{DESK}/calendar/?date={MONDAY}&view=week&therapist={spa.beto.public_id}")
    assert [r["title"] for r in week.json()["resources"]] == ["Beto"]
    assert (
        api.get(
            f"{DESK}/calendar/?date={MONDAY}&therapist=00000000-0000-0000-0000-000000000000"
        ).status_code
        == 404
    )


def test_calendar_feed_queries_do_not_grow_with_the_day(
    api_as: Any, spa: Any, reception: Any, clock: Any
) -> None:
    """A constant number of queries whatever the day holds (docs/performance.md)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = api_as(reception)
    url = f"{DESK}/calendar/?date={MONDAY}"
    staff_book(at(MONDAY, 10), therapist=spa.ana)
    api.get(url)  # the session and the token are warm
    with CaptureQueriesContext(connection) as one:
        assert api.get(url).status_code == 200
    for hour in (12, 15, 17):  # one cabin: the therapists cannot overlap here
        staff_book(at(MONDAY, hour), therapist=spa.ana if hour != 15 else spa.beto)
    # Bookings keep the cached schedule; this re-warms it only if another xdist worker's
    # cache.clear() (a Redis FLUSHDB, every worker's keys) emptied it meanwhile.
    api.get(url)
    with CaptureQueriesContext(connection) as four:
        feed = api.get(url).json()
    assert len([e for e in feed["events"] if e.get("id")]) == 4
    assert len(four.captured_queries) == len(one.captured_queries) <= 10


def test_cancel_preview_states_the_policy(
    api_as: Any, spa: Any, reception: Any, clock: Any, refunds: Any
) -> None:
    appt = staff_book(at(TUESDAY, 10), therapist=spa.ana)
    Appointment.objects.filter(pk=appt.pk).update(
        deposit_cents=6_000_000, deposit_paid_cents=6_000_000
    )
    clock.move_to(at(TUESDAY, 0))  # 10 h before: inside the 24 h window
    api = api_as(reception)
    by_client = api.get(f"{DESK}/appointments/{appt.public_id}/cancel/?by=client").json()
    assert by_client["kept_cents"] == 6_000_000 and "conserva" in by_client["message"]
    by_spa = api.get(f"{DESK}/appointments/{appt.public_id}/cancel/?by=spa").json()
    assert by_spa["refund_cents"] == 6_000_000 and "$ 60.000" in by_spa["message"]
    out = api.post(f"{DESK}/appointments/{appt.public_id}/cancel/", {"by": "client"}).json()
    assert out["deposit_kept_cents"] == 6_000_000 and out["refund_requested"] is False
    assert refunds == []
    assert Appointment.objects.get(pk=appt.pk).cancelled_by == "client"


def test_desk_payment_into_the_ledger_and_the_close(
    api_as: Any, spa: Any, reception: Any, checkout_stub: Any
) -> None:
    api = api_as(reception)
    res = api.post(
        f"{DESK}/appointments/",
        {
            "service": "MASAJE-DEP",
            "start": iso(TUESDAY, 10),
            "client": str(UserFactory(first_name="Ana").public_id),
        },
    )
    appt_id = res.json()["appointment"]["id"]
    assert res.json()["appointment"]["status"] == "PENDING_PAYMENT"
    too_much = api.post(
        f"{DESK}/appointments/{appt_id}/payments/", {"amount_cents": 30_000_000, "method": "cash"}
    )
    assert too_much.status_code == 409 and too_much.json()["error"]["code"] == "amount_exceeds_due"
    bad = api.post(
        f"{DESK}/appointments/{appt_id}/payments/", {"amount_cents": 100, "method": "bitcoin"}
    )
    assert bad.status_code == 422
    paid = api.post(
        f"{DESK}/appointments/{appt_id}/payments/",
        {"amount_cents": 6_000_000, "method": "card_terminal"},
    )
    assert paid.status_code == 201, paid.json()
    assert paid.json()["status"] == "CONFIRMED"  # the deposit is covered at the desk
    state = api.get(f"{DESK}/appointments/{appt_id}/").json()
    assert (state["paid"], state["due"]) == ("$ 60.000", "$ 140.000")
    entry = LedgerEntry.objects.get(kind="desk_charge")
    assert entry.payment.recorded_by == reception and entry.payment.method == "card_terminal"
    assert AuditEvent.objects.filter(action="payments.desk_payment_recorded").count() == 1

    from modules.payments.desk import day_close

    close = day_close(entry.created_at.astimezone(at(MONDAY, 0).tzinfo).date())
    assert close.total_cents == 6_000_000
    assert [(m.label, m.total_cents) for m in close.by_method] == [("Datáfono", 6_000_000)]
    assert [s.total_cents for s in close.by_staff] == [6_000_000]

    link = api.post(f"{DESK}/appointments/{appt_id}/payment-link/")
    assert link.status_code == 200 and link.json()["amount_cents"] == 14_000_000
    assert checkout_stub[-1]["purpose"] == "booking.balance"
    assert Notification.objects.filter(template="booking_payment_link").count() == 1


def test_close_page_is_for_admins_only(client: Any, spa: Any) -> None:
    client.force_login(UserFactory(roles=["reception"], is_staff=True))
    assert client.get("/admin/payments/cierre/").status_code == 403
    calendar = client.get("/admin/booking/calendar/")
    assert calendar.status_code == 200 and b"event-calendar.min.js" in calendar.content
    assert b"Calendario" in client.get("/admin/").content
    owner = UserFactory(roles=["admin"], is_staff=True)
    client.force_login(owner)
    page = client.get("/admin/payments/cierre/")
    assert page.status_code == 200 and "Cierre del día" in page.content.decode()
    csv = client.get("/admin/payments/cierre/?formato=csv")
    assert csv["Content-Disposition"].startswith('attachment; filename="cierre-')
    assert "monto_centavos" in csv.content.decode()
    spa.ana.user.is_staff = True
    spa.ana.user.save()
    client.force_login(spa.ana.user)
    assert client.get("/admin/booking/calendar/").status_code == 200
    assert client.get("/admin/payments/cierre/").status_code in (302, 403)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_desk_and_online_booking_race_for_one_slot(clock: Any) -> None:
    spa = build_spa()
    desk = ApiClient(UserFactory(roles=["reception"]))
    online = ApiClient(UserFactory())
    body = {"service": "MASAJE-60", "start": iso(TUESDAY, 10), "therapist": str(spa.ana.public_id)}
    walk_in = UserFactory()

    def go(i: int) -> int:
        if i == 0:
            return desk.post(
                f"{DESK}/appointments/", {**body, "client": str(walk_in.public_id)}
            ).status_code
        return online.post("/api/booking/appointments/", body).status_code

    results = _race(2, go)
    assert sorted(results) == [201, 409], results
    assert Appointment.objects.filter(status=AppointmentStatus.CONFIRMED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_receptionists_swap_slots_no_overlap_no_deadlock(clock: Any) -> None:
    spa = build_spa()
    a = staff_book(at(TUESDAY, 10), therapist=spa.ana, service_code="MASAJE-DEP")
    b = staff_book(at(TUESDAY, 15), therapist=spa.beto, service_code="MASAJE-DEP")
    desks = [ApiClient(UserFactory(roles=["reception"])) for _ in range(2)]
    moves = [(a, iso(TUESDAY, 15), spa.beto), (b, iso(TUESDAY, 10), spa.ana)]

    def go(i: int) -> int:
        appt, start, therapist = moves[i]
        return (
            desks[i]
            .post(
                f"{DESK}/appointments/{appt.public_id}/move/",
                {"start": start, "therapist": str(therapist.public_id)},
            )
            .status_code
        )

    for _ in range(3):
        results = _race(2, go)
        assert all(code in (200, 409) for code in results), results  # no 500 (deadlock)
        rows = list(Appointment.objects.order_by("pk").values_list("therapist_id", "start"))
        assert len(set(rows)) == 2  # never the same therapist and start twice
    # each move alone into a free slot works
    assert (
        desks[0]
        .post(f"{DESK}/appointments/{a.public_id}/move/", {"start": iso(TUESDAY, 17)})
        .status_code
        == 200
    )
