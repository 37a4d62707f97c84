"""The owner's dashboard: booking's, the shop's and the ledger's figures, in a number of
queries that does not grow with the number of days; owner only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from modules.booking import dashboard
from modules.booking.models import Appointment, AppointmentStatus
from modules.payments.models import LedgerEntry
from platform_core.dashboard import Period, build_dashboard
from tests.factories import UserFactory
from tests.modules.booking.conftest import NOW, at, staff_book

pytestmark = pytest.mark.django_db
S = AppointmentStatus


def shift(appointment: Any, days: int) -> None:
    delta = timedelta(days=days)
    Appointment.objects.filter(pk=appointment.pk).update(
        start=appointment.start + delta,
        end=appointment.end + delta,
        blocked_start=appointment.blocked_start + delta,
        blocked_end=appointment.blocked_end + delta,
    )


@pytest.fixture
def agenda(spa: Any) -> Any:
    from modules.booking.models import Room

    Room.objects.create(name="Cabina 2", kind="cabina")
    today = NOW.date()
    ana_10 = staff_book(at(today, 10), therapist=spa.ana)
    staff_book(at(today, 10), therapist=spa.beto)
    late = staff_book(at(today, 15), therapist=spa.ana)
    Appointment.objects.filter(pk=late.pk).update(
        status=S.CANCELLED,
        cancelled_by=Appointment.CancelledBy.CLIENT,
        cancelled_at=late.start - timedelta(hours=2),
    )
    came = staff_book(at(today, 11, 30), therapist=spa.ana)
    missed = staff_book(at(today, 11, 30), therapist=spa.beto)
    for appt, status in ((came, S.COMPLETED), (missed, S.NO_SHOW)):
        shift(appt, -2)  # Saturday
        Appointment.objects.filter(pk=appt.pk).update(status=status)
    return ana_10


def figures(section: Any) -> dict[str, tuple[str, str]]:
    return {f.label: (f.today, f.period) for f in section.figures}


def test_booking_figures(agenda: Any) -> None:
    section = dashboard.section(Period(today=NOW.date(), days=7))
    got = figures(section)
    assert got["Citas"] == ("2", "4")
    assert got["Inasistencias"][1] == "50,0 %"  # one no-show of two settled
    assert got["Cancelaciones tardías"] == ("33,3 %", "20,0 %")  # 1 of 3 today, 1 of 5
    # Today: 2 × 60 min booked of 2 × 540 min (9-19 less lunch).
    assert got["Ocupación"][0] == "11,1 %"
    occupancy = {row[0]: row[1:] for row in section.tables[0].rows}
    # Ana: today 60 + Saturday 60 booked; 6 working days in the week (Sunday off).
    assert occupancy["Ana"] == ("120", str(6 * 540), "3,7 %")
    top = section.tables[1].rows
    assert top[0][0] == "Masaje relajante 60 min" and top[0][1] == "4"
    assert top[0][2] == "$ 720.000"
    per_day = {c.key: c for c in section.charts}["booking-per-day"]
    assert per_day.labels[-1] == "04/03" and len(per_day.labels) == 7
    assert per_day.series[0].data[-1] == 2  # confirmed today


def test_revenue_by_source_from_the_ledger(spa: Any) -> None:
    merchant = LedgerEntry.Account.MERCHANT
    for kind, cents, purpose in (
        ("charge", 18_000_000, "booking.appointment"),
        ("refund", -3_000_000, "booking.appointment"),
        ("charge", 5_000_000, "shop.order"),
        ("charge", 9_900_000, "payments.vip"),
        ("fee", -500_000, "shop.order"),  # the gateway's fee is not revenue
    ):
        LedgerEntry.objects.create(kind=kind, account=merchant, amount_cents=cents, purpose=purpose)
    board = build_dashboard(days=30, today=NOW.date())
    income = next(s for s in board.sections if s.title == "Ingresos")
    got = figures(income)
    assert got["Ingresos netos"] == ("$ 299.000", "$ 299.000")
    assert got["Reservas"] == ("$ 150.000", "$ 150.000")
    assert got["Tienda"][1] == "$ 50.000" and got["Membresía VIP"][1] == "$ 99.000"
    doughnut = {c.key: c for c in income.charts}["revenue-by-source"]
    assert doughnut.labels == ["Reservas", "Membresía VIP", "Tienda"]


def test_the_number_of_queries_does_not_depend_on_the_number_of_days(agenda: Any) -> None:
    def count(days: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            build_dashboard(days=days, today=NOW.date())
        return len(queries)

    assert count(7) == count(90) == count(366)


def test_the_dashboard_page_is_the_owners(agenda: Any, staff_role_permissions: None) -> None:
    owner = UserFactory(phone_number="+573009990201", roles=["admin"], is_staff=True)
    reception = UserFactory(phone_number="+573009990202", roles=["reception"], is_staff=True)
    client = Client()
    client.force_login(owner)
    page = client.get("/admin/tablero/?dias=7")
    assert page.status_code == 200
    html = page.content.decode()
    assert "chart-4.6.2.umd.min.js" in html and 'id="sz-charts"' in html
    assert "Ocupación por terapeuta" in html and "Ingresos por origen" in html
    assert "/admin/tablero/" in client.get("/admin/").content.decode()
    desk = Client()
    desk.force_login(reception)
    assert desk.get("/admin/tablero/").status_code == 403
    index = desk.get("/admin/").content.decode()
    assert "/admin/tablero/" not in index and "Agenda de hoy" in index
    assert desk.get("/admin/tablero/?dias=abc").status_code == 403
    assert client.get("/admin/tablero/?dias=abc&hasta=nada").status_code == 200
