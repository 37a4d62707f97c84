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
from django.db.models import Count

from modules.assistant.models import Conversation
from modules.booking.models import Appointment, AppointmentStatus, Therapist
from modules.shop.models import Order

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
    assert states == set(AppointmentStatus.values)
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
