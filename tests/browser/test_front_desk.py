"""A receptionist runs the day from the calendar, in a real browser (Chromium), on a fixed
day: the result does not depend on the time of the run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from modules.booking.availability import local_tz
from modules.booking.models import (
    Appointment,
    AppointmentStatus,
    OpeningHours,
    Room,
    Service,
    Therapist,
    WorkingHours,
)
from modules.payments.models import LedgerEntry
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.postgres]
SLOT_HEIGHT = 22  # px per 15 minutes (desk.js)


def _appointment(
    client: Any,
    service: Service,
    therapist: Therapist,
    start: datetime,
    room: Room | None = None,
    status: str = AppointmentStatus.CONFIRMED,
) -> Any:
    end = start + timedelta(minutes=service.duration_minutes)
    return Appointment.objects.create(
        client=client,
        service=service,
        therapist=therapist,
        room=room,
        start=start,
        end=end,
        blocked_start=start,
        blocked_end=end,
        status=status,
        price_cents=service.price_cents,
        confirmed_at=timezone.now(),
    )


# The day runs on a fixed Wednesday at 10:20 in Bogotá, whatever the time of the run: the
# server's clock is travelled there (ticking) and the browser's is set to it. The clock is
# needed at all because the desk's rules are about "now": check-in only on the appointment's
# day before it ends, a no-show only once the appointment has started, the red now line.
NOW = datetime(2030, 3, 6, 10, 20, tzinfo=local_tz())


def at(hour: int, minute: int = 0) -> datetime:
    return NOW.replace(hour=hour, minute=minute)


@pytest.fixture
def spa_clock() -> Iterator[datetime]:
    with time_machine.travel(NOW, tick=True):
        yield NOW


@pytest.fixture
def day_at_the_spa(db: Any, spa_clock: datetime) -> dict[str, Any]:
    """Two therapists working 08:00-20:00, a few appointments around 10:20."""
    weekday = NOW.weekday()
    OpeningHours.objects.create(weekday=weekday, opens=time(8), closes=time(20))
    people = {}
    for code, name in (("ana", "Ana"), ("beto", "Beto")):
        user = UserFactory(roles=["therapist"], first_name=name)
        therapist = Therapist.objects.create(user=user, code=code, display_name=name)
        WorkingHours.objects.create(
            therapist=therapist, weekday=weekday, start=time(8), end=time(20)
        )
        people[code] = therapist
    massage = Service.objects.create(
        code="MASAJE-60", name="Masaje relajante", duration_minutes=60, price_cents=12_000_000
    )
    facial = Service.objects.create(
        code="FACIAL-30", name="Limpieza facial", duration_minutes=30, price_cents=6_200_000
    )
    for service in (massage, facial):
        service.therapists.add(*people.values())
    ana, beto = people["ana"], people["beto"]
    maria = UserFactory(first_name="María", last_name="Gómez", roles=["client"])
    return {
        "ana": ana,
        "beto": beto,
        # María arrives for her massage with Ana.
        "arriving": _appointment(maria, massage, ana, at(10, 45)),
        "busy": _appointment(
            UserFactory(first_name="Lucía", last_name="Pérez"), facial, ana, at(12, 15)
        ),
        "movable": _appointment(
            UserFactory(first_name="Carlos", last_name="Ruiz"), facial, beto, at(11, 15)
        ),
        # Pedro's facial started 50 minutes ago: he is not coming.
        "missed": _appointment(
            UserFactory(first_name="Pedro", last_name="Díaz"), facial, beto, at(9, 30)
        ),
        "walk_in": at(13, 45),
    }


def _desk_page(login: Any, user: Any) -> Any:
    """A logged-in page whose browser clock reads the scenario's time (the now line, the
    dates the calendar computes); the page's next navigation picks it up."""
    page = login(user)
    page.clock.set_fixed_time(NOW)
    return page


def _point(page: Any, resource_index: int, moment: datetime) -> tuple[float, float]:
    """Screen point of ``moment`` in the n-th therapist column of the day view."""
    box = page.locator(".ec-body .ec-day").nth(resource_index).bounding_box()
    slot_min = page.evaluate("window.deskCalendar.getOption('slotMinTime')")
    hours = slot_min["seconds"] // 3600 if isinstance(slot_min, dict) else int(str(slot_min)[:2])
    local = moment.astimezone(local_tz())
    minutes = local.hour * 60 + local.minute - hours * 60
    return box["x"] + box["width"] / 2, box["y"] + minutes / 15 * SLOT_HEIGHT + SLOT_HEIGHT / 2


def _open_event(page: Any, text: str) -> None:
    page.locator(".ec-event", has_text=text).first.click()
    page.wait_for_selector("#dlg-appt[open]")


def _close_dialog(page: Any) -> None:
    page.locator("#dlg-appt button[value=cancel]").click()


def test_receptionist_runs_the_day(login: Any, shot: Any, day_at_the_spa: dict) -> None:
    spa = day_at_the_spa
    reception = UserFactory(roles=["reception"], first_name="Rosa", is_staff=True)
    page = _desk_page(login, reception)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))

    # 1. Today's calendar: one column per therapist, appointments on it.
    page.click("text=Calendario")
    page.wait_for_url("**/admin/booking/calendar/")
    page.wait_for_selector(".ec-event >> text=María Gómez")
    assert page.locator(".ec-body .ec-day").count() == 2
    assert page.locator(".ec-now-indicator").count() >= 1
    shot(page, "01-calendario-del-dia", full_page=True)

    # 2. A walk-in for a new client in an empty cell of Ana's column.
    x, y = _point(page, 0, spa["walk_in"])
    page.mouse.click(x, y)
    page.wait_for_selector("#dlg-book[open]")
    expected = spa["walk_in"].astimezone(local_tz()).strftime("%H:%M")
    assert page.input_value("#book-form input[name=time]") == expected
    page.select_option("#book-form select[name=service]", "FACIAL-30")
    page.check("#book-form input[value=new]")
    page.fill("#book-form input[name=phone]", "3001234567")
    page.fill("#book-form input[name=first_name]", "Valentina")
    page.fill("#book-form input[name=last_name]", "Ríos")
    shot(page, "02-nueva-cita-cliente-nuevo")
    page.click("#book-submit")
    page.wait_for_selector("#desk-alert.ok")
    page.wait_for_selector(".ec-event >> text=Valentina Ríos")
    walk_in = Appointment.objects.get(client__first_name="Valentina")
    assert walk_in.therapist == spa["ana"] and walk_in.start == spa["walk_in"]
    assert walk_in.booked_by == reception
    shot(page, "03-cita-reservada", full_page=True)

    # 3. María arrives: check-in.
    _open_event(page, "María Gómez")
    page.click("#appt-actions [data-act=check_in]")
    page.wait_for_selector("#appt-status:has-text('En el spa')")
    shot(page, "04-llegada-registrada")
    assert Appointment.objects.get(pk=spa["arriving"].pk).status == AppointmentStatus.ARRIVED
    _close_dialog(page)

    # 4. Drag Carlos's facial onto Lucía's slot with Ana: refused in Spanish, nothing moves.
    page.wait_for_selector(".ec-event >> text=Carlos Ruiz")
    source = page.locator(".ec-event", has_text="Carlos Ruiz").first.bounding_box()
    tx, ty = _point(page, 0, spa["busy"].start)
    page.mouse.move(source["x"] + source["width"] / 2, source["y"] + 8)
    page.mouse.down()
    page.mouse.move(source["x"] + source["width"] / 2 + 10, source["y"] + 20, steps=5)
    page.mouse.move(tx, ty - SLOT_HEIGHT / 2 + 8, steps=15)
    page.mouse.up()
    page.wait_for_selector("#desk-alert.error")
    assert "ya no está disponible" in page.inner_text("#desk-alert")
    shot(page, "05-mover-conflicto", full_page=True)
    moved = Appointment.objects.get(pk=spa["movable"].pk)
    assert (moved.start, moved.therapist) == (spa["movable"].start, spa["beto"])

    # 5. Pedro never came: no-show (after the confirmation prompt).
    _open_event(page, "Pedro Díaz")
    page.click("#appt-actions [data-act=no_show]")
    page.wait_for_selector("#appt-status:has-text('No asistió')")
    assert dialogs and "no asistió" in dialogs[-1]
    shot(page, "06-no-asistio")
    assert Appointment.objects.get(pk=spa["missed"].pk).status == AppointmentStatus.NO_SHOW
    _close_dialog(page)

    # 6. María pays her massage in cash at the desk.
    _open_event(page, "María Gómez")
    page.click("#appt-actions [data-act=pay]")
    assert page.input_value("#appt-form input[name=amount]") == "120000"
    page.select_option("#appt-form select[name=method]", "cash")
    page.click("#pay-submit")
    page.wait_for_selector("#appt-due:has-text('$ 0')")
    assert page.inner_text("#appt-paid") == "$ 120.000"
    page.wait_for_selector(".ec-event:has-text('María Gómez') >> text=Pagada")
    shot(page, "07-pago-en-efectivo")
    entry = LedgerEntry.objects.get(kind="desk_charge")
    assert entry.amount_cents == 12_000_000
    assert entry.payment.recorded_by == reception and entry.payment.method == "cash"
    _close_dialog(page)

    # 7. Carlos calls: his facial moves to 15:00 with Ana, by the form.
    _open_event(page, "Carlos Ruiz")
    page.click("#appt-actions [data-act=move]")
    page.fill("#appt-form input[name=move_time]", "15:00")
    page.select_option("#appt-form select[name=move_therapist]", label="Ana")
    page.click("#move-submit")
    page.wait_for_selector("#appt-form .desk-ok:has-text('Cita movida.')")
    moved = Appointment.objects.get(pk=spa["movable"].pk)
    assert (moved.start, moved.therapist) == (at(15), spa["ana"])
    _close_dialog(page)

    # 8. María books another facial by phone: found by a piece of her surname.
    page.click("#desk-new")
    page.wait_for_selector("#dlg-book[open]")
    page.select_option("#book-form select[name=service]", "FACIAL-30")
    page.fill("#book-form input[name=time]", "")  # no time: said in words, not "ISO 8601"
    page.click("#book-submit")
    assert page.inner_text("#book-form .desk-error") == "Elige la fecha y la hora."
    page.fill("#book-form input[name=time]", "16:00")
    page.fill("#book-search", "gómez")
    result = page.locator("#book-results .desk-result", has_text="María Gómez")
    phone = spa["arriving"].client.phone_number  # +57 3xx…: shown as the desk dials it
    assert result.inner_text() == f"María Gómez · {phone[3:6]} {phone[6:9]} {phone[9:]}"
    result.click()
    shot(page, "16-buscar-cliente")
    page.click("#book-submit")
    page.wait_for_selector("#desk-alert.ok:has-text('Cita reservada.')")
    again = Appointment.objects.filter(client=spa["arriving"].client).order_by("start")
    assert [a.start for a in again] == [at(10, 45), at(16)]


def test_appointment_page_therapist_view_and_the_close(
    login: Any, shot: Any, day_at_the_spa: dict
) -> None:
    spa = day_at_the_spa
    reception = UserFactory(roles=["reception"], first_name="Rosa", is_staff=True)
    page = _desk_page(login, reception)
    page.on("dialog", lambda d: d.accept())

    # The appointment's admin page has the same desk actions.
    page.goto(page.url + f"booking/appointment/{spa['arriving'].pk}/change/")
    assert "Masaje relajante 2030-03-06 10:45" in page.inner_text("#content h2")  # Bogotá
    page.click("#desk-panel button:has-text('Llegó')")
    page.wait_for_selector("#desk-panel .desk-badge:has-text('En el spa')")
    page.fill("#desk-amount", "120000")
    page.select_option("#desk-method", "transfer")
    page.click("#desk-pay")
    page.wait_for_selector("#desk-paid:has-text('$ 120.000')")
    shot(page, "08-ficha-de-la-cita")
    assert Appointment.objects.get(pk=spa["arriving"].pk).status == AppointmentStatus.ARRIVED

    # A therapist sees only their own column.
    ana = spa["ana"].user
    ana.is_staff = True
    ana.save(update_fields=["is_staff"])
    mine = _desk_page(login, ana)
    mine.click("text=Calendario")
    mine.wait_for_selector(".ec-event >> text=María Gómez")
    assert mine.locator(".ec-body .ec-day").count() == 1
    assert mine.locator(".ec-event", has_text="Carlos Ruiz").count() == 0
    shot(mine, "09-vista-terapeuta", full_page=True)

    # Only an admin sees the day's close: the transfer taken by Rosa.
    owner = UserFactory(roles=["admin"], first_name="Dueña", is_staff=True)
    boss = _desk_page(login, owner)
    boss.click("text=Cierre del día")
    boss.wait_for_selector("text=Total del día: $ 120.000")
    assert "Transferencia" in boss.inner_text("table.close-table >> nth=0")
    assert "Rosa" in boss.inner_text("table.close-table >> nth=1")
    shot(boss, "10-cierre-del-dia", full_page=True)
    page.goto(page.url.split("/admin/")[0] + "/admin/")
    assert page.locator("text=Cierre del día").count() == 0
