"""Booking's figures for the owner's dashboard and the admin index.

Every figure comes from a fixed number of queries whatever the number of days: rows are
grouped by local day or therapist in SQL, and the working time (hours minus breaks,
within opening hours, minus time off and closed days) is computed in Python from the
schedule tables loaded once (tests/modules/booking/test_dashboard.py counts them)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.booking.availability import _intersect, _subtract, local_tz
from modules.booking.models import (
    Appointment,
    AppointmentStatus,
    ClosedDay,
    OpeningHours,
    ScheduleChange,
    Therapist,
    TherapistBreak,
    TimeOff,
    WorkingHours,
)
from platform_core.dashboard import (
    Chart,
    Figure,
    IndexCard,
    Period,
    Section,
    Series,
    Table,
    percent,
)
from platform_core.money import format_cop

S = AppointmentStatus
# Appointments that took (or take) a therapist's time: the slot was held for them.
HELD = (S.PENDING_PAYMENT, S.CONFIRMED, S.ARRIVED, S.COMPLETED, S.NO_SHOW)
# Appointments whose outcome is known (the client came, or did not).
SETTLED = (S.ARRIVED, S.COMPLETED, S.NO_SHOW)


def _minutes(delta: Any) -> int:
    return int(delta.total_seconds() // 60) if delta else 0


def working_minutes(first: date, last: date) -> dict[int, dict[date, int]]:
    """Minutes each active therapist is available per local day in [first, last]
    (five queries, whatever the range)."""
    tz = local_tz()
    start = datetime.combine(first, time.min, tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tz)
    ids = list(Therapist.objects.filter(is_active=True).values_list("pk", flat=True))
    weekly: dict[tuple[int, int], list[tuple[time, time]]] = defaultdict(list)
    breaks: dict[tuple[int, int], list[tuple[time, time]]] = defaultdict(list)
    for tid, weekday, a, b in WorkingHours.objects.filter(therapist_id__in=ids).values_list(
        "therapist_id", "weekday", "start", "end"
    ):
        weekly[(tid, weekday)].append((a, b))
    for tid, weekday, a, b in TherapistBreak.objects.filter(therapist_id__in=ids).values_list(
        "therapist_id", "weekday", "start", "end"
    ):
        breaks[(tid, weekday)].append((a, b))
    changes: dict[tuple[int, date], list[tuple[time, time]]] = {}
    for tid, day, a, b in ScheduleChange.objects.filter(
        therapist_id__in=ids, date__gte=first, date__lte=last
    ).values_list("therapist_id", "date", "start", "end"):
        changes.setdefault((tid, day), [])
        if a is not None:
            changes[(tid, day)].append((a, b))
    off: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for tid, a, b in TimeOff.objects.filter(
        therapist_id__in=ids, start__lt=end, end__gt=start
    ).values_list("therapist_id", "start", "end"):
        off[tid].append((_epoch(a), _epoch(b)))
    opening: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for weekday, a, b in OpeningHours.objects.values_list("weekday", "opens", "closes"):
        opening[weekday].append((a, b))
    closed = set(
        ClosedDay.objects.filter(date__gte=first, date__lte=last).values_list("date", flat=True)
    )

    def wall(day: date, t: time) -> int:
        return _epoch(datetime.combine(day, t, tz))

    result: dict[int, dict[date, int]] = {tid: {} for tid in ids}
    day = first
    while day <= last:
        weekday = day.weekday()
        if day not in closed and opening[weekday]:
            hours = [(wall(day, a), wall(day, b)) for a, b in opening[weekday]]
            for tid in ids:
                if (tid, day) in changes:
                    spans = [(wall(day, a), wall(day, b)) for a, b in changes[(tid, day)]]
                else:
                    spans = _subtract(
                        [(wall(day, a), wall(day, b)) for a, b in weekly[(tid, weekday)]],
                        [(wall(day, a), wall(day, b)) for a, b in breaks[(tid, weekday)]],
                    )
                spans = _subtract(_intersect(spans, hours), off[tid])
                result[tid][day] = sum(b - a for a, b in spans)
        day += timedelta(days=1)
    return result


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def section(period: Period) -> Section:
    tz = local_tz()
    in_period = Appointment.objects.filter(start__gte=period.start, start__lt=period.end)
    today = Q(start__gte=period.today_start)
    duration = ExpressionWrapper(F("end") - F("start"), output_field=DurationField())
    late = timedelta(hours=settings.CANCELLATION_WINDOW_HOURS)
    late_cancel = Q(
        status=S.CANCELLED,
        cancelled_by=Appointment.CancelledBy.CLIENT,
        cancelled_at__gt=F("start") - late,
    )

    # 1. Totals, today and over the period (one query).
    totals = in_period.aggregate(
        booked=Count("id", filter=Q(status__in=HELD)),
        booked_today=Count("id", filter=Q(status__in=HELD) & today),
        settled=Count("id", filter=Q(status__in=SETTLED)),
        settled_today=Count("id", filter=Q(status__in=SETTLED) & today),
        no_show=Count("id", filter=Q(status=S.NO_SHOW)),
        no_show_today=Count("id", filter=Q(status=S.NO_SHOW) & today),
        late=Count("id", filter=late_cancel),
        late_today=Count("id", filter=late_cancel & today),
        all=Count("id", filter=~Q(status=S.EXPIRED)),
        all_today=Count("id", filter=~Q(status=S.EXPIRED) & today),
    )
    # 2. Bookings per local day and state group (one query).
    per_day: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in (
        in_period.filter(status__in=HELD)
        .annotate(day=TruncDate("start", tzinfo=tz))
        .values("day", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        per_day[row["day"]][row["status"]] += row["n"]
    # 3. Booked minutes per therapist, period and today (one query).
    booked: dict[int, tuple[int, int]] = {}
    for row in (
        in_period.filter(status__in=HELD)
        .values("therapist_id")
        .annotate(total=Sum(duration), today=Sum(duration, filter=today))
        .order_by()
    ):
        booked[row["therapist_id"]] = (_minutes(row["total"]), _minutes(row["today"]))
    # 4. Available minutes (six queries) and the therapists' names (one).
    available = working_minutes(period.first_day, period.today)
    names = dict(Therapist.objects.values_list("pk", "display_name"))
    # 5. Top services (one query).
    top = list(
        in_period.filter(status__in=HELD)
        .values("service__name")
        .annotate(n=Count("id"), value=Sum("price_cents"))
        .order_by("-n", "service__name")[:5]
    )

    occupancy_rows = []
    total_booked = total_available = booked_today = available_today = 0
    for tid, days in sorted(available.items(), key=lambda kv: names.get(kv[0], "")):
        avail = sum(days.values())
        avail_today = days.get(period.today, 0)
        used, used_today = booked.get(tid, (0, 0))
        total_booked += used
        total_available += avail
        booked_today += used_today
        available_today += avail_today
        occupancy_rows.append((names.get(tid, "?"), used, avail))

    day_keys = period.day_list()
    group = {
        _("Confirmadas y atendidas"): (S.CONFIRMED, S.ARRIVED, S.COMPLETED),
        _("Pendientes de pago"): (S.PENDING_PAYMENT,),
        _("No asistió"): (S.NO_SHOW,),
    }
    return Section(
        title=_("Agenda"),
        order=10,
        figures=(
            Figure(_("Citas"), str(totals["booked_today"]), str(totals["booked"])),
            Figure(
                _("Ocupación"),
                percent(booked_today, available_today),
                percent(total_booked, total_available),
                hint=_("minutos reservados / minutos disponibles"),
            ),
            Figure(
                _("Inasistencias"),
                percent(totals["no_show_today"], totals["settled_today"]),
                percent(totals["no_show"], totals["settled"]),
                hint=_("de las citas ya atendidas o perdidas"),
            ),
            Figure(
                _("Cancelaciones tardías"),
                percent(totals["late_today"], totals["all_today"]),
                percent(totals["late"], totals["all"]),
                hint=_("por el cliente, a menos de %(h)s h")
                % {"h": settings.CANCELLATION_WINDOW_HOURS},
            ),
        ),
        charts=(
            Chart(
                key="booking-per-day",
                title=_("Citas por día"),
                kind="bar",
                stacked=True,
                labels=period.day_labels(),
                series=[
                    Series(label, [sum(per_day[d][s] for s in states) for d in day_keys])
                    for label, states in group.items()
                ],
            ),
            Chart(
                key="booking-occupancy",
                title=_("Ocupación por terapeuta (%)"),
                kind="bar",
                horizontal=True,
                labels=[name for name, _u, _a in occupancy_rows],
                series=[
                    Series(
                        _("Ocupación"),
                        [round(100 * u / a, 1) if a else 0 for _n, u, a in occupancy_rows],
                    )
                ],
            ),
        ),
        tables=(
            Table(
                _("Ocupación por terapeuta"),
                (_("Terapeuta"), _("Reservado (min)"), _("Disponible (min)"), _("Ocupación")),
                [(n, str(u), str(a), percent(u, a)) for n, u, a in occupancy_rows],
            ),
            Table(
                _("Servicios más reservados"),
                (_("Servicio"), _("Citas"), _("Valor")),
                [(r["service__name"], str(r["n"]), format_cop(r["value"])) for r in top],
            ),
        ),
    )


def index_cards(request: HttpRequest) -> list[IndexCard]:
    """The day at a glance: today's appointments (and the calendar, when installed)."""
    if not request.user.has_perm("booking.view_appointment"):
        return []
    now = timezone.localtime()
    start = datetime.combine(now.date(), time.min, now.tzinfo)
    counts = Appointment.objects.filter(
        start__gte=start, start__lt=start + timedelta(days=1)
    ).aggregate(
        held=Count("id", filter=Q(status__in=HELD)),
        arrived=Count("id", filter=Q(status=S.ARRIVED)),
        pending=Count("id", filter=Q(status__in=(S.PENDING_PAYMENT, S.CONFIRMED), start__gte=now)),
    )
    try:
        url = reverse("admin:booking_calendar")
        title = _("Agenda de hoy (calendario)")
    except NoReverseMatch:
        url = reverse("admin:booking_appointment_changelist") + "?start__date=" + str(now.date())
        title = _("Agenda de hoy")
    return [
        IndexCard(
            title=title,
            value=str(counts["held"]),
            url=url,
            note=_("%(arrived)s en el spa · %(pending)s por llegar")
            % {"arrived": counts["arrived"], "pending": counts["pending"]},
            order=10,
        )
    ]
