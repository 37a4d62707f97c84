"""Demo data: a small catalog, the therapists, rooms and opening hours (idempotent)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from modules.booking import deposits as booking_deposits
from modules.booking.models import (
    Appointment,
    AppointmentStatus,
    ClosedDay,
    Guarantee,
    OpeningHours,
    Room,
    Service,
    ServiceCategory,
    Therapist,
    TherapistBreak,
    WorkingHours,
)
from modules.identity import public as identity
from modules.payments import public as payments

# Identity's seed creates these users; created here when that seed is absent.
THERAPISTS = [
    ("+573000000003", "Tatiana", "Terapeuta", "tatiana"),
    ("+573000000004", "Tomás", "Terapeuta", "tomas"),
]
# Two more when the demo shows a spa at work (SEED_DEMO_ACTIVITY).
BUSY_THERAPISTS = [
    ("+573000000007", "Valentina", "Terapeuta", "valentina"),
    ("+573000000008", "Sebastián", "Terapeuta", "sebastian"),
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
        "MASAJE-DEPORTIVO-60",
        "Masaje deportivo 60 min (tarjeta en garantía)",
        "masajes",
        60,
        0,
        15,
        20_000_000,
        17_000_000,
        0,
        "cabina",
    ),
    (
        "FACIAL-MASCARILLA",
        "Facial con mascarilla (30 min de reposo)",
        "faciales",
        60,
        0,
        10,
        16_000_000,
        14_000_000,
        0,
        "cabina-facial",
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
# Card guarantees (docs/booking.md "Guarantee policies"): no-show fee % of the price,
# late-cancellation fee in COP cents, late window in hours.
CARD_GUARANTEES = {"MASAJE-DEPORTIVO-60": (50, 4_000_000, 24)}
# Processing time (docs/booking.md): minutes of active work first, then minutes of rest.
PROCESSING = {"FACIAL-MASCARILLA": (15, 30)}
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
    team = THERAPISTS + (BUSY_THERAPISTS if settings.SEED_DEMO_ACTIVITY else [])
    for phone, first, last, code in team:
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
        no_show_percent, late_fee, late_hours = CARD_GUARANTEES.get(code, (0, 0, None))
        card = code in CARD_GUARANTEES
        guarantee = Guarantee.CARD if card else Guarantee.DEPOSIT if deposit else Guarantee.NONE
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
                "guarantee": guarantee,
                "no_show_fee_percent": no_show_percent,
                "late_cancel_fee_cents": late_fee,
                "late_cancel_hours": late_hours,
                "resource_kind": kind,
                "processing_start_minutes": PROCESSING.get(code, (0, 0))[0],
                "processing_minutes": PROCESSING.get(code, (0, 0))[1],
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
    if settings.SEED_DEMO_ACTIVITY:
        made = seed_agenda(therapists)
        stdout.write(f"    booking: agenda around today, {made} new appointments")


# --- A living agenda ------------------------------------------------------------------------------
# Demo clients (walk-in style accounts: a phone and a name, no password).
CLIENTS = [
    ("+573101000001", "Laura", "Gómez"),
    ("+573101000002", "Andrés", "Rojas"),
    ("+573101000003", "Mariana", "López"),
    ("+573101000004", "Felipe", "Castro"),
    ("+573101000005", "Daniela", "Vargas"),
    ("+573101000006", "Juan Pablo", "Herrera"),
    ("+573101000007", "Catalina", "Moreno"),
    ("+573101000008", "Santiago", "Ruiz"),
    ("+573101000009", "Paula", "Jiménez"),
    ("+573101000010", "Camilo", "Torres"),
]
# Each therapist's service and room for the demo (no two therapists share a room).
LANES = [
    ("MASAJE-RELAX-60", "Cabina Bambú"),
    ("MASAJE-PIEDRAS-90", "Cabina Lavanda"),
    ("FACIAL-HIDRATANTE", "Sala facial Jade"),
    ("MASAJE-PAREJA-60", "Cabina doble Orquídea"),
]
SLOTS = (time(9), time(11), time(14), time(16))  # 2-hour lanes, lunch left free


def _demo_days(today: date) -> list[date]:
    """Seven days around today (two before, four after) on which the spa opens."""
    open_days = set(OpeningHours.objects.values_list("weekday", flat=True))
    closed = set(ClosedDay.objects.values_list("date", flat=True))
    days = [today + timedelta(days=n) for n in range(-2, 5)]
    return [d for d in days if d.weekday() in open_days and d not in closed]


def _status_for(start: datetime, end: datetime, now: datetime, n: int) -> str:
    """A plausible state for the n-th demo slot given where it sits in time."""
    S = AppointmentStatus
    if end <= now:  # past: mostly completed, some no-shows, cancellations, an expired hold
        return (S.COMPLETED, S.COMPLETED, S.NO_SHOW, S.COMPLETED, S.CANCELLED, S.EXPIRED)[n % 6]
    if start <= now:  # under way: the client is in the spa
        return S.ARRIVED
    # coming: mostly confirmed, some waiting for the deposit, a cancellation
    return (S.CONFIRMED, S.PENDING_PAYMENT, S.CONFIRMED, S.CANCELLED, S.CONFIRMED)[n % 5]


def seed_agenda(therapists: list[Therapist]) -> int:
    """At least 40 appointments around today in every state and for every therapist,
    some with their deposit paid and some with it due. Idempotent: a therapist's slot
    that already has an appointment is left alone, so a second run adds nothing."""
    tz = ZoneInfo(settings.TIME_ZONE)
    now = timezone.now()
    today = timezone.localdate()
    clients = [identity_user(phone, first, last) for phone, first, last in CLIENTS]
    services = {s.code: s for s in Service.objects.filter(code__in=[c for c, _ in LANES])}
    rooms = {r.name: r for r in Room.objects.filter(name__in=[n for _, n in LANES])}
    taken = set(
        Appointment.objects.filter(therapist__in=therapists).values_list("therapist_id", "start")
    )
    made = 0
    n = 0
    for day in _demo_days(today):
        for t_index, therapist in enumerate(therapists):
            code, room_name = LANES[t_index % len(LANES)]
            service, room = services[code], rooms[room_name]
            for s_index, slot in enumerate(SLOTS):
                n += 1
                if (day.toordinal() + t_index + s_index) % 4 == 3:
                    continue  # a free slot now and then: a real agenda has gaps
                start = datetime.combine(day, slot, tz)
                if (therapist.pk, start) in taken:
                    continue
                end = start + timedelta(minutes=service.duration_minutes)
                status = _status_for(start, end, now, n)
                try:
                    with transaction.atomic():  # a real booking may already hold the time
                        _create_demo_appointment(
                            service,
                            therapist,
                            room,
                            clients[n % len(clients)],
                            start,
                            end,
                            status,
                            now,
                        )
                except IntegrityError:
                    continue
                made += 1
    _someone_in_the_spa(now)
    return made


def _someone_in_the_spa(now: datetime) -> None:
    """Outside opening hours no slot is under way: the latest completed demo appointment
    becomes "En el spa" so the calendar shows every state."""
    S = AppointmentStatus
    if Appointment.objects.filter(status=S.ARRIVED).exists():
        return
    latest = (
        Appointment.objects.filter(
            status=S.COMPLETED,
            end__lte=now,
            client__phone_number__in=[phone for phone, _, _ in CLIENTS],
        )
        .order_by("-start")
        .first()
    )
    if latest is not None:
        latest.status, latest.completed_at = S.ARRIVED, None
        latest.save(update_fields=["status", "completed_at", "updated_at"])


def identity_user(phone: str, first: str, last: str) -> identity.UserDTO:
    return identity.get_or_create_client_by_phone(phone, first_name=first, last_name=last)


def _create_demo_appointment(
    service: Service,
    therapist: Therapist,
    room: Room,
    client: identity.UserRef,
    start: datetime,
    end: datetime,
    status: str,
    now: datetime,
) -> Appointment:
    """One demo appointment in ``status``. A paid deposit (confirmed and later states) is
    real money: the appointment is held, its deposit checkout opened (``deposit_checkout``)
    and paid in payments' sandbox, whose webhook settles it (ledger entries) and whose
    outcome booking's own handler turns into a confirmation; then it moves on to
    ``status``. Where payments cannot settle demo money (Wompi is real), no deposit is
    shown as paid."""
    S = AppointmentStatus
    deposit = service.price_cents * service.deposit_percent // 100
    paid = status in (S.CONFIRMED, S.ARRIVED, S.COMPLETED, S.NO_SHOW)
    pay = paid and deposit > 0 and payments.sandbox_settles()
    fields: dict[str, Any] = {}
    if paid:
        fields["confirmed_at"] = min(now, start) - timedelta(days=1)
    if status == S.ARRIVED:
        fields["arrived_at"] = start - timedelta(minutes=5)
    if status == S.COMPLETED:
        fields["arrived_at"], fields["completed_at"] = start - timedelta(minutes=5), end
    if status == S.CANCELLED:
        late = start.hour >= 14  # afternoon ones were cancelled by the client, late
        fields["cancelled_by"] = (
            Appointment.CancelledBy.CLIENT if late else Appointment.CancelledBy.SPA
        )
        fields["cancelled_at"] = start - (timedelta(hours=3) if late else timedelta(days=2))
        fields["cancellation_reason"] = "Demo: cambio de planes" if late else "Demo: terapeuta"
    if status == S.PENDING_PAYMENT:
        fields["hold_expires_at"] = max(now, start - timedelta(hours=2))
    if status == S.EXPIRED:
        fields["hold_expires_at"] = start - timedelta(days=1)
    appointment = Appointment.objects.create(
        client_id=client.id,
        service=service,
        therapist=therapist,
        room=room,
        start=start,
        end=end,
        blocked_start=start - timedelta(minutes=service.buffer_before_minutes),
        blocked_end=end + timedelta(minutes=service.buffer_after_minutes),
        status=S.PENDING_PAYMENT if pay else status,
        price_cents=service.price_cents,
        deposit_cents=deposit,
        **(
            {"hold_expires_at": now + timedelta(minutes=settings.APPOINTMENT_HOLD_MINUTES)}
            if pay
            else fields
        ),
    )
    if not pay:
        return appointment
    checkout = booking_deposits.deposit_checkout(actor=None, appointment=appointment).checkout
    payments.settle_in_sandbox(payment_reference=checkout["reference"])
    appointment.refresh_from_db()  # confirmed by booking's payment handler
    if appointment.status != S.CONFIRMED:
        raise RuntimeError(f"demo deposit of {appointment.public_id} was not confirmed")
    appointment.status = status
    for name, value in fields.items():
        setattr(appointment, name, value)
    appointment.save()
    return appointment
