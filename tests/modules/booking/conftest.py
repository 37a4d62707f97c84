"""Booking fixtures: a small spa on a fixed, known week (Monday 2030-03-04)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from modules.booking.models import (
    OpeningHours,
    Room,
    Service,
    ServiceCategory,
    Therapist,
    TherapistBreak,
    WorkingHours,
)
from tests.factories import UserFactory

TZ = ZoneInfo("America/Bogota")
MONDAY = date(2030, 3, 4)
TUESDAY = date(2030, 3, 5)
NOW = datetime(2030, 3, 4, 8, 0, tzinfo=TZ)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TZ)


def iso(day: date, hour: int, minute: int = 0) -> str:
    return at(day, hour, minute).isoformat()


@dataclass
class Spa:
    ana: Therapist
    beto: Therapist
    room: Room
    massage: Service  # 60 min + 15 after, no deposit, needs a "cabina"
    deposit: Service  # 60 min, 30 % deposit, no room
    category: ServiceCategory


def make_therapist(code: str, *, lunch: bool = True) -> Therapist:
    user = UserFactory(roles=["therapist"], first_name=code.title())
    therapist = Therapist.objects.create(user=user, code=code, display_name=code.title())
    for weekday in range(6):
        WorkingHours.objects.create(
            therapist=therapist, weekday=weekday, start=time(9), end=time(19)
        )
        if lunch:
            TherapistBreak.objects.create(
                therapist=therapist, weekday=weekday, start=time(13), end=time(14)
            )
    return therapist


def build_spa() -> Spa:
    for weekday in range(6):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(19))
    category = ServiceCategory.objects.create(slug="masajes", name="Masajes")
    ana, beto = make_therapist("ana"), make_therapist("beto")
    room = Room.objects.create(name="Cabina 1", kind="cabina")
    massage = Service.objects.create(
        code="MASAJE-60",
        name="Masaje relajante 60 min",
        category=category,
        duration_minutes=60,
        buffer_after_minutes=15,
        price_cents=18_000_000,
        vip_price_cents=15_000_000,
        resource_kind="cabina",
    )
    deposit = Service.objects.create(
        code="MASAJE-DEP",
        name="Masaje con anticipo",
        category=category,
        duration_minutes=60,
        price_cents=20_000_000,
        deposit_percent=30,
        guarantee="deposit",
    )
    massage.therapists.add(ana, beto)
    deposit.therapists.add(ana, beto)
    return Spa(ana, beto, room, massage, deposit, category)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def spa(db: Any, clock: Any) -> Spa:
    return build_spa()


@pytest.fixture
def client_user(db: Any) -> Any:
    return UserFactory(roles=["client"])


@pytest.fixture
def reception(db: Any) -> Any:
    return UserFactory(roles=["reception"])


@pytest.fixture
def checkout_stub(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Patch payments at its public boundary; returns the recorded calls."""
    from modules.payments import public as payments

    calls: list[dict[str, Any]] = []

    def fake_checkout(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return payments.CheckoutDTO(
            reference=f"ref-{len(calls)}",
            amount_in_cents=kwargs["amount_cents"],
            currency="COP",
            public_key="pub_test",
            signature_integrity="sig",
            redirect_url="http://testserver/pago",
            expiration_time=None,
            checkout_url="https://checkout.example/p/?ref",
            status="PENDING",
        )

    monkeypatch.setattr(payments, "create_checkout", fake_checkout)
    return calls


@pytest.fixture
def refunds(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    from modules.payments import public as payments

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(payments, "request_refund", lambda **kw: calls.append(kw))
    return calls


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def staff_book(start: datetime, *, therapist: Any = None, service_code: str = "MASAJE-60") -> Any:
    """Book through the service layer as reception, for a fresh client."""
    from modules.booking import services

    return services.book_appointment(
        actor=UserFactory(roles=["reception"]),
        client=UserFactory(),
        service_code=service_code,
        start=start,
        therapist_public_id=therapist.public_id if therapist is not None else None,
    ).appointment
