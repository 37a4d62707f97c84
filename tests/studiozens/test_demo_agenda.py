"""seed_demo opens on a spa at work: an agenda around today in every state and for every
therapist (deposits paid and due), paid and pending shop orders, a WhatsApp conversation
waiting in the inbox. Idempotent and relative to the day it runs."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count, Sum

from modules.assistant.models import Conversation
from modules.booking.models import Appointment, AppointmentStatus, Therapist
from modules.payments import public as payments
from modules.payments.models import LedgerEntry, Outcome, Payment
from modules.shop.models import Order
from platform_core.dashboard import build_dashboard
from platform_core.money import format_cop

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _activity(settings: object) -> None:
    settings.SEED_DEMO_ACTIVITY = True  # type: ignore[attr-defined]  # off by default in tests


WEDNESDAY = datetime(2031, 4, 9, 11, 30, tzinfo=ZoneInfo("America/Bogota"))


def snapshot() -> dict[str, object]:
    return {
        "appointments": Appointment.objects.count(),
        "orders": Order.objects.count(),
        "conversations": Conversation.objects.count(),
    }


def test_seed_demo_fills_the_week_once() -> None:
    with time_machine.travel(WEDNESDAY, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        first = snapshot()
        call_command("seed_demo", stdout=io.StringIO())
        assert snapshot() == first  # idempotent
    window = Appointment.objects.filter(
        start__gte=WEDNESDAY - timedelta(days=3), start__lt=WEDNESDAY + timedelta(days=5)
    )
    assert window.count() >= 40
    states = set(window.values_list("status", flat=True))
    # Every state but a waitlist offer's hold, which only the waitlist makes (with its offer).
    assert states == set(AppointmentStatus.values) - {AppointmentStatus.OFFERED}
    arrived = window.filter(status=AppointmentStatus.ARRIVED)
    assert arrived and all(a.start <= WEDNESDAY < a.end for a in arrived)  # under way now
    per_therapist = dict(window.values_list("therapist").annotate(n=Count("id")))
    assert set(per_therapist) == set(Therapist.objects.values_list("pk", flat=True))
    assert min(per_therapist.values()) >= 8
    assert window.filter(deposit_cents__gt=0, deposit_paid_cents=0, status="PENDING_PAYMENT")
    assert window.filter(deposit_paid_cents__gt=0, status="CONFIRMED").exists()
    statuses = set(Order.objects.values_list("status", flat=True))
    assert {"PAID", "PENDING_PAYMENT"} <= statuses
    waiting = Conversation.objects.get(state="handed_off")
    assert waiting.messages.filter(direction="in").count() >= 3


def test_a_later_day_adds_that_weeks_agenda() -> None:
    with time_machine.travel(WEDNESDAY, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
    before = Appointment.objects.count()
    with time_machine.travel(WEDNESDAY + timedelta(days=7), tick=False):
        call_command("seed_demo", stdout=io.StringIO())
    assert Appointment.objects.count() >= before + 40


def test_the_demos_money_went_through_payments() -> None:
    """Paid deposits and paid orders were paid in payments' sandbox and settled by its
    webhook: the dashboard's net revenue is what the ledger says was paid."""
    with time_machine.travel(WEDNESDAY, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        payments_before = Payment.objects.count()
        call_command("seed_demo", stdout=io.StringIO())
        assert Payment.objects.count() == payments_before  # idempotent: no money twice
        board = build_dashboard(days=30)
    deposits = Appointment.objects.filter(deposit_paid_cents__gt=0)
    orders = Order.objects.filter(paid_at__isnull=False)
    deposit_total = deposits.aggregate(t=Sum("deposit_paid_cents"))["t"]
    order_total = orders.aggregate(t=Sum("total_cents"))["t"]
    assert deposit_total and order_total
    # Each paid deposit and order names the approved payment that paid it, and only those
    # were approved; their outcomes reached booking's and the shop's handlers.
    approved = Payment.objects.filter(status="APPROVED")
    assert set(approved.values_list("reference", flat=True)) == {
        *deposits.values_list("payment_reference", flat=True),
        *orders.values_list("payment_reference", flat=True),
    }
    assert {(p.purpose, p.purpose_ref, p.amount_cents) for p in approved} == {
        *((payments.PURPOSE_BOOKING, str(a.public_id), a.deposit_paid_cents) for a in deposits),
        *((payments.PURPOSE_SHOP, str(o.public_id), o.total_cents) for o in orders),
    }
    assert approved.filter(events__outcome="applied").count() == approved.count()
    assert not Outcome.objects.filter(delivered_at__isnull=True).exists()
    charges = LedgerEntry.objects.filter(account="merchant", kind="charge")
    assert charges.aggregate(t=Sum("amount_cents"))["t"] == deposit_total + order_total
    income = {f.label: f for s in board.sections for f in s.figures}
    net = format_cop(deposit_total + order_total)
    assert (income["Ingresos netos"].today, income["Ingresos netos"].period) == (net, net)
    assert income["Reservas"].period == format_cop(deposit_total)
    assert income["Tienda"].period == income["Ventas de la tienda"].period
    assert income["Tienda"].period == format_cop(order_total)


def test_where_wompi_is_real_the_demo_shows_no_money(settings: object) -> None:
    settings.WOMPI_ADAPTER = "wompi"  # type: ignore[attr-defined]
    assert not payments.sandbox_settles()
    with time_machine.travel(WEDNESDAY, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
    assert Appointment.objects.filter(status="CONFIRMED").exists()
    assert not Appointment.objects.filter(deposit_paid_cents__gt=0).exists()
    assert not Order.objects.filter(paid_at__isnull=False).exists()
    assert not Payment.objects.exclude(status="PENDING").exists()
    assert not LedgerEntry.objects.exists()
    pending = Payment.objects.first()
    assert pending is not None
    with pytest.raises(RuntimeError):
        payments.settle_in_sandbox(payment_reference=pending.reference)
