"""Demo data: a small catalog, two therapists, rooms and opening hours (idempotent)."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from modules.booking.models import (
    OpeningHours,
    Room,
    Service,
    ServiceCategory,
    Therapist,
    TherapistBreak,
    WorkingHours,
)
from modules.identity import public as identity

# Identity's seed creates these users; created here when that seed is absent.
THERAPISTS = [
    ("+573000000003", "Tatiana", "Terapeuta", "tatiana"),
    ("+573000000004", "Tomás", "Terapeuta", "tomas"),
]
CATEGORIES = [("masajes", "Masajes", 1), ("faciales", "Faciales", 2)]
SERVICES = [
    # code, name, category, minutes, before, after, price, vip price, deposit %, room kind
    (
        "MASAJE-RELAX-60",
        "Masaje relajante 60 min",
        "masajes",
        60,
        0,
        15,
        18_000_000,
        15_300_000,
        30,
        "cabina",
    ),
    (
        "MASAJE-PIEDRAS-90",
        "Masaje con piedras calientes 90 min",
        "masajes",
        90,
        10,
        15,
        26_000_000,
        22_000_000,
        30,
        "cabina",
    ),
    (
        "MASAJE-PAREJA-60",
        "Masaje en pareja 60 min",
        "masajes",
        60,
        0,
        15,
        34_000_000,
        30_000_000,
        50,
        "cabina-doble",
    ),
    (
        "FACIAL-HIDRATANTE",
        "Facial hidratante",
        "faciales",
        50,
        0,
        10,
        15_000_000,
        13_000_000,
        0,
        "cabina-facial",
    ),
]
ROOMS = [
    ("Cabina Bambú", "cabina", 1),
    ("Cabina Lavanda", "cabina", 1),
    ("Cabina doble Orquídea", "cabina-doble", 2),
    ("Sala facial Jade", "cabina-facial", 1),
]


def _therapist_user(phone: str, first: str, last: str) -> Any:
    User = get_user_model()
    user = User.objects.filter(phone_number=phone).first()
    if user is None:
        user = User.objects.create_user(
            phone, password=None, first_name=first, last_name=last, is_active=True
        )
    group, _ = Group.objects.get_or_create(name=identity.THERAPIST)
    user.groups.add(group)
    return user


def seed(stdout: Any) -> None:
    categories = {
        slug: ServiceCategory.objects.update_or_create(
            slug=slug, defaults={"name": name, "order": order}
        )[0]
        for slug, name, order in CATEGORIES
    }
    therapists = []
    for phone, first, last, code in THERAPISTS:
        user = _therapist_user(phone, first, last)
        therapist, created = Therapist.objects.get_or_create(
            user=user, defaults={"code": code, "display_name": first}
        )
        therapists.append(therapist)
        if created:
            for weekday in range(6):  # Monday-Saturday, with a lunch break
                WorkingHours.objects.create(
                    therapist=therapist, weekday=weekday, start=time(9), end=time(19)
                )
                TherapistBreak.objects.create(
                    therapist=therapist, weekday=weekday, start=time(13), end=time(14)
                )
    for code, name, cat, minutes, before, after, price, vip, deposit, kind in SERVICES:
        service, _ = Service.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "category": categories[cat],
                "duration_minutes": minutes,
                "buffer_before_minutes": before,
                "buffer_after_minutes": after,
                "price_cents": price,
                "vip_price_cents": vip,
                "deposit_percent": deposit,
                "resource_kind": kind,
                "is_active": True,
            },
        )
        service.therapists.add(*therapists)
    for name, kind, capacity in ROOMS:
        Room.objects.update_or_create(name=name, defaults={"kind": kind, "capacity": capacity})
    if not OpeningHours.objects.exists():
        for weekday in range(6):
            OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(19))
    stdout.write(f"    booking: {len(SERVICES)} services, {len(therapists)} therapists, rooms")
