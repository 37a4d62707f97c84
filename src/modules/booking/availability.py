"""The availability engine: bulk-load a date range once, then compute in Python.

Every query is issued once per search whatever the number of days or therapists: the
range's one-off changes + time off + closed days, and its appointments; the rest (active
therapists and who performs what, weekly hours + breaks, opening hours + rooms: three
queries) is the ``Schedule``, which only the spa's setup changes and which is cached under
its own version (``versions.SCHEDULE``), so bookings do not throw it away. All arithmetic
happens in integer minutes elapsed since each local (America/Bogota) midnight, which keeps
the inner loops cheap. Slots are on a grid aligned to local midnight.

Rules (see docs/booking.md): a start ``s`` is bookable for a therapist when
``[s, s + duration)`` lies inside one of their working intervals for that day (weekly
hours minus breaks, or that date's one-off change), inside the spa's opening hours,
outside their time off, the day is not a closed day, and the blocked range
``[s - buffer_before, s + duration + buffer_after)`` overlaps no active appointment
of theirs (compared with that appointment's own blocked range). When the service
needs a room kind, at least one room of that kind must be free for the blocked range.
Processing time: the therapist's side compares *busy* ranges only (the blocked range
less the processing phase, of the new booking and of each existing one), the room's
side the whole blocked range.
Lead time and horizon depend on "now", so they are applied after the cache.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    BigIntegerField,
    CharField,
    DateField,
    Func,
    IntegerField,
    Q,
    TimeField,
    Value,
)
from django.utils import timezone

from modules.booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    ClosedDay,
    OpeningHours,
    Room,
    ScheduleChange,
    Service,
    Therapist,
    TherapistBreak,
    TimeOff,
    WorkingHours,
)
from modules.booking.versions import AVAILABILITY, SCHEDULE
from platform_core.provider_guard import open_atomic_blocks

Interval = tuple[int, int]


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def granularity() -> int:
    return int(settings.BOOKING_SLOT_GRANULARITY_MINUTES)


def current_version() -> int:
    return AVAILABILITY.current()


def bump_version(sender: Any = None) -> None:
    """Invalidate every cached search now and again once the current transaction
    commits. Readers read the version before the data, so a search that saw the old
    data cannot be stored under the version bumped after the commit.

    The schedule counter (``versions.SCHEDULE``) is bumped too unless ``sender`` (the
    model a signal reports written) is ``Appointment``: in doubt, everything goes."""
    AVAILABILITY.bump()
    if sender is not Appointment:
        SCHEDULE.bump()


def bump_appointments() -> None:
    """Only appointments changed (a booking, a cancellation, a payment, a hold that
    expired): cached searches go, what is keyed by ``versions.SCHEDULE`` stays."""
    AVAILABILITY.bump()


@dataclass(frozen=True)
class TherapistRef:
    id: int
    public_id: str
    name: str


@dataclass
class SearchResult:
    service_code: str
    therapists: dict[int, TherapistRef]
    # (start UTC, therapist pks free then), ordered by start
    slots: list[tuple[datetime, list[int]]] = field(default_factory=list)


class EpochMinutes(Func):
    """Whole minutes since the Unix epoch, computed by the database: the engine reads
    ints instead of building thousands of aware datetimes per search."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="FLOOR(EXTRACT(EPOCH FROM %(expressions)s) / 60)::bigint"
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) / 60",
        )


def _epoch_minutes(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def _from_epoch_minutes(minutes: int) -> datetime:
    return datetime.fromtimestamp(minutes * 60, tz=UTC)


def busy_offsets(service: Service) -> list[Interval]:
    """The therapist's busy pieces of a booking of ``service``, in minutes relative to
    its start: the blocked range [-buffer_before, duration + buffer_after) less the
    processing phase. Empty pieces (processing at the very start or end) are dropped."""
    before, after = service.buffer_before_minutes, service.buffer_after_minutes
    end = service.duration_minutes + after
    if not service.has_processing:
        return [(-before, end)]
    p0 = service.processing_start_minutes
    p1 = p0 + service.processing_minutes
    return [(a, b) for a, b in ((-before, p0), (p1, end)) if a < b]


def phase_spans(service: Service) -> list[tuple[str, int, int]]:
    """(kind, from, to) in minutes from the start, for display."""
    out, at = [], 0
    for kind, minutes in service.phases():
        out.append((kind, at, at + minutes))
        at += minutes
    return out


def _busy_pieces(b0: int, b1: int, p0: int | None, p1: int | None) -> list[Interval]:
    """An existing appointment's busy pieces for its therapist (epoch minutes)."""
    if p0 is None or p1 is None:
        return [(b0, b1)]
    return [(a, b) for a, b in ((b0, p0), (p1, b1)) if a < b]


def _merge_open(intervals: list[Interval]) -> tuple[list[int], list[int]]:
    """Merge open intervals (lo, hi): starts strictly inside any of them are forbidden."""
    if not intervals:
        return [], []
    intervals.sort()
    los, his = [intervals[0][0]], [intervals[0][1]]
    for lo, hi in intervals[1:]:
        if lo < his[-1]:
            his[-1] = max(his[-1], hi)
        else:
            los.append(lo)
            his.append(hi)
    return los, his


def _allowed(s: int, forbidden: tuple[list[int], list[int]]) -> bool:
    los, his = forbidden
    idx = bisect.bisect_left(los, s) - 1
    return idx < 0 or s >= his[idx]


def _subtract(intervals: list[Interval], cuts: Iterable[Interval]) -> list[Interval]:
    result = intervals
    for c0, c1 in cuts:
        nxt: list[Interval] = []
        for a, b in result:
            if c1 <= a or c0 >= b:
                nxt.append((a, b))
                continue
            if a < c0:
                nxt.append((a, c0))
            if c1 < b:
                nxt.append((c1, b))
        result = nxt
    return result


def _intersect(xs: list[Interval], ys: list[Interval]) -> list[Interval]:
    out = []
    for a, b in xs:
        for c, d in ys:
            lo, hi = max(a, c), min(b, d)
            if lo < hi:
                out.append((lo, hi))
    return sorted(out)


@dataclass(frozen=True)
class Schedule:
    """What every search reads that only the spa's setup changes (admin edits), never a
    booking: the active therapists (in display order), who performs which service, weekly
    hours and breaks, opening hours and the active rooms of each kind, and the dated rows
    (one-off changes, time off, closed days) from yesterday to the booking horizon. Four
    queries build it; it is kept whole in the shared cache under ``versions.SCHEDULE`` (see
    ``current_schedule``), so a search or a booking's re-check within those dates reads
    only its appointments (outside them, the dated rows too: one query more)."""

    version: int
    since: date  # the dated rows cover the local days since .. until
    until: date
    changes: dict[tuple[int, date], list[tuple[time, time]]]
    time_off: dict[int, list[Interval]]  # epoch minutes
    closed: frozenset[date]
    therapists: dict[int, TherapistRef]
    performs: dict[int, frozenset[int]]  # service pk -> active therapist pks
    weekly: dict[int, dict[int, list[tuple[time, time]]]]  # therapist -> weekday -> intervals
    breaks: dict[int, dict[int, list[tuple[time, time]]]]
    opening: dict[int, list[tuple[time, time]]]  # weekday -> intervals
    rooms: dict[str, list[int]]  # kind -> active room pks, ascending


# The suffix names Schedule's shape: change it with the fields, so that a process of the
# next release never unpickles a snapshot of the previous one (still cached mid-deploy).
SCHEDULE_KEY = "booking:availability:schedule:1"


def load_schedule(version: int) -> Schedule:
    """The schedule from the database, in three queries."""
    therapists: dict[int, TherapistRef] = {}
    performs: dict[int, set[int]] = defaultdict(set)
    for pk, public_id, name, service_id in (
        Therapist.objects.filter(is_active=True)
        .order_by("display_name", "pk")
        .values_list("pk", "public_id", "display_name", "services")
    ):
        if pk not in therapists:
            therapists[pk] = TherapistRef(pk, str(public_id), name)
        if service_id is not None:
            performs[service_id].add(pk)

    weekly: dict[int, dict[int, list[tuple[time, time]]]] = {}
    breaks: dict[int, dict[int, list[tuple[time, time]]]] = {}
    hours = (
        WorkingHours.objects.order_by()
        .values_list("therapist_id", "weekday", "start", "end", Value(0))
        .union(
            TherapistBreak.objects.order_by().values_list(
                "therapist_id", "weekday", "start", "end", Value(1)
            ),
            all=True,
        )
    )
    for tid, weekday, start, end, is_break in hours:
        if tid in therapists:
            target = breaks if is_break else weekly
            target.setdefault(tid, {}).setdefault(weekday, []).append((start, end))

    # Opening hours ∪ active rooms: one query (a room has no weekday).
    opening: dict[int, list[tuple[time, time]]] = {}
    rooms: dict[str, list[int]] = {}
    spa = (
        OpeningHours.objects.order_by()
        .values_list(
            "weekday",
            "opens",
            "closes",
            Value(None, output_field=BigIntegerField()),
            Value("", output_field=CharField()),
        )
        .union(
            Room.objects.filter(is_active=True)
            .order_by()
            .values_list(
                Value(-1, output_field=IntegerField()),
                Value(None, output_field=TimeField()),
                Value(None, output_field=TimeField()),
                "pk",
                "kind",
            ),
            all=True,
        )
    )
    for weekday, opens, closes, room_id, kind in spa:
        if room_id is not None:
            rooms.setdefault(kind, []).append(room_id)
        else:
            opening.setdefault(weekday, []).append((opens, closes))
    for pks in rooms.values():
        pks.sort()
    tz = local_tz()
    since = timezone.now().astimezone(tz).date() - timedelta(days=1)
    until = since + timedelta(days=settings.BOOKING_MAX_HORIZON_DAYS + 2)
    changes, time_off, closed = _dated_rows(None, since, until)
    return Schedule(
        version=version,
        since=since,
        until=until,
        changes=changes,
        time_off=time_off,
        closed=frozenset(closed),
        therapists=therapists,
        performs={service: frozenset(pks) for service, pks in performs.items()},
        weekly=weekly,
        breaks=breaks,
        opening=opening,
        rooms=rooms,
    )


def _dated_rows(
    therapist_ids: list[int] | None, date_from: date, date_to: date
) -> tuple[dict[tuple[int, date], list[tuple[time, time]]], dict[int, list[Interval]], set[date]]:
    """One-off changes, time off (epoch minutes) and closed days of the local days
    ``date_from`` .. ``date_to`` (of these therapists; None: all), in one query."""
    tz = local_tz()
    range_start = datetime.combine(date_from, time.min, tz)
    range_end = datetime.combine(date_to + timedelta(days=1), time.min, tz)
    changes_qs = ScheduleChange.objects.filter(date__gte=date_from, date__lte=date_to)
    time_off_qs = TimeOff.objects.filter(start__lt=range_end, end__gt=range_start)
    if therapist_ids is not None:
        changes_qs = changes_qs.filter(therapist_id__in=therapist_ids)
        time_off_qs = time_off_qs.filter(therapist_id__in=therapist_ids)
    no_time = Value(None, output_field=TimeField())
    no_minutes = Value(None, output_field=BigIntegerField())
    rows = (
        changes_qs.order_by()
        .values_list(
            Value(0, output_field=IntegerField()),
            "therapist_id",
            "date",
            "start",
            "end",
            no_minutes,
            no_minutes,
        )
        .union(
            time_off_qs.order_by().values_list(
                Value(1, output_field=IntegerField()),
                "therapist_id",
                Value(None, output_field=DateField()),
                no_time,
                no_time,
                EpochMinutes("start"),
                EpochMinutes("end"),
            ),
            ClosedDay.objects.filter(date__gte=date_from, date__lte=date_to)
            .order_by()
            .values_list(
                Value(2, output_field=IntegerField()),
                Value(None, output_field=BigIntegerField()),
                "date",
                no_time,
                no_time,
                no_minutes,
                no_minutes,
            ),
            all=True,
        )
    )
    changes: dict[tuple[int, date], list[tuple[time, time]]] = {}
    time_off: dict[int, list[Interval]] = {}
    closed: set[date] = set()
    for kind, tid, day, start, end, off_start, off_end in rows:
        if kind == 0:
            slots = changes.setdefault((tid, day), [])
            if start is not None:  # a row without times: not working that day
                slots.append((start, end))
        elif kind == 1:
            time_off.setdefault(tid, []).append((int(off_start), int(off_end)))
        else:
            closed.add(day)
    return changes, time_off, closed


def current_schedule(prefetched: dict[str, Any] | None = None) -> Schedule:
    """The schedule as of now: from the shared cache when it was stored under the current
    ``SCHEDULE`` version (one cache round trip; ``prefetched`` is a ``get_many`` answer
    that already holds both keys), else from the database, then stored.

    Never stored from inside a transaction the code opened: one that wrote the schedule
    could otherwise leave its own uncommitted (maybe rolled back) rows under the version
    it bumped. Reading it there is fine (a booking's re-check)."""
    got = prefetched
    if got is None:
        got = cache.get_many([SCHEDULE.key, SCHEDULE_KEY])
    version = got.get(SCHEDULE.key)
    if version is None:
        version = SCHEDULE.current()  # a fresh cache starts a new generation
    version = int(version)
    snapshot = got.get(SCHEDULE_KEY)
    if isinstance(snapshot, Schedule) and snapshot.version == version:
        return snapshot
    snapshot = load_schedule(version)
    timeout = settings.BOOKING_AVAILABILITY_CACHE_SECONDS
    if timeout and not open_atomic_blocks():
        cache.set(SCHEDULE_KEY, snapshot, timeout=timeout)
    return snapshot


class AvailabilityEngine:
    """Loads everything one search needs, then answers questions about it."""

    def __init__(
        self,
        service: Service | None,
        date_from: date,
        date_to: date,
        *,
        therapist_ids: list[int] | None = None,
        exclude_appointment_id: int | None = None,
        schedule: Schedule | None = None,
    ) -> None:
        self.service = service
        self.date_from = date_from
        self.date_to = date_to
        self.tz = local_tz()
        self.step = granularity()
        # No service: the schedule grid alone (the front-desk calendar's shading).
        self.duration = service.duration_minutes if service else 0
        self._walls: dict[tuple[date, time], int] = {}
        self.before = service.buffer_before_minutes if service else 0
        self.after = service.buffer_after_minutes if service else 0
        # What the new booking would block: the therapist outside its processing phase,
        # the room for the whole blocked range (relative minutes).
        self.room_pieces: list[Interval] = [(-self.before, self.duration + self.after)]
        self.therapist_pieces = busy_offsets(service) if service else self.room_pieces
        self._load(schedule or current_schedule(), therapist_ids, exclude_appointment_id)

    # --- loading: a fixed number of queries ------------------------------------------
    def _load(
        self, schedule: Schedule, therapist_ids: list[int] | None, exclude_id: int | None
    ) -> None:
        days = (self.date_to - self.date_from).days + 1
        self.dates = [self.date_from + timedelta(days=i) for i in range(days)]
        self.range_start = datetime.combine(self.date_from, time.min, self.tz)
        self.range_end = datetime.combine(self.date_to + timedelta(days=1), time.min, self.tz)

        performing = schedule.performs.get(self.service.pk, frozenset()) if self.service else None
        wanted = set(therapist_ids) if therapist_ids is not None else None
        self.therapists = {
            pk: ref
            for pk, ref in schedule.therapists.items()
            if (performing is None or pk in performing) and (wanted is None or pk in wanted)
        }
        ids = list(self.therapists)

        self.weekly = schedule.weekly
        self.breaks = schedule.breaks
        self.changes: dict[tuple[int, date], list[tuple[time, time]]] = {}
        self.time_off: dict[int, list[Interval]] = {}
        self.opening: dict[int, list[tuple[time, time]]] = {}
        self.closed: set[date] = set()
        self.rooms: list[int] = []
        self.busy_therapist: dict[int, list[Interval]] = defaultdict(list)
        self.busy_room: dict[int, list[Interval]] = defaultdict(list)
        if not ids:
            return
        self.opening = schedule.opening

        if schedule.since <= self.date_from and self.date_to <= schedule.until:
            self.changes, self.time_off = schedule.changes, schedule.time_off
            self.closed = set(schedule.closed)
        else:
            self.changes, self.time_off, self.closed = _dated_rows(
                ids, self.date_from, self.date_to
            )

        if self.service is not None and self.service.resource_kind:
            self.rooms = schedule.rooms.get(self.service.resource_kind, [])
        if self.service is None:
            return  # the schedule grid alone: the desk loads the appointments it shows itself
        # Margin: a neighbour's blocked range can reach into the day from outside it.
        margin = timedelta(days=1)
        who = Q(therapist_id__in=ids)
        if self.rooms:
            who |= Q(room_id__in=self.rooms)
        appointments = Appointment.objects.filter(
            who,
            status__in=ACTIVE_STATUSES,
            blocked_start__lt=self.range_end + margin,
            blocked_end__gt=self.range_start - margin,
        )
        if exclude_id is not None:
            appointments = appointments.exclude(pk=exclude_id)
        room_set = set(self.rooms)
        for tid, room_id, b0, b1, p0, p1 in appointments.values_list(
            "therapist_id",
            "room_id",
            EpochMinutes("blocked_start"),
            EpochMinutes("blocked_end"),
            EpochMinutes("processing_start"),
            EpochMinutes("processing_end"),
        ):
            b0, b1 = int(b0), int(b1)
            if tid in self.therapists:
                self.busy_therapist[tid] += _busy_pieces(b0, b1, p0, p1)
            if room_id in room_set:
                self.busy_room[room_id].append((b0, b1))

    # --- computing: absolute minutes since the epoch, ints only ---------------------------
    def _forbidden(
        self, busy: list[Interval], pieces: list[Interval]
    ) -> tuple[list[int], list[int]]:
        """Starts that would collide: a new piece [s + o0, s + o1) overlaps an existing
        [b0, b1) iff b0 - o1 < s < b1 - o0 (without processing the one piece is
        [-before, dur + after): b0 - dur - after < s < b1 + before)."""
        return _merge_open([(b0 - o1, b1 - o0) for b0, b1 in busy for o0, o1 in pieces])

    def _wall(self, day: date, t: time) -> int:
        key = (day, t)
        minutes = self._walls.get(key)
        if minutes is None:  # the same few times recur for every therapist
            minutes = self._walls[key] = _epoch_minutes(datetime.combine(day, t, self.tz))
        return minutes

    def _work_intervals(self, tid: int, day: date) -> list[Interval]:
        weekday = day.weekday()
        change = self.changes.get((tid, day))
        if change is not None:
            intervals = [(self._wall(day, a), self._wall(day, b)) for a, b in change]
        else:
            weekly = self.weekly.get(tid, {}).get(weekday, ())
            breaks = self.breaks.get(tid, {}).get(weekday, ())
            intervals = _subtract(
                [(self._wall(day, a), self._wall(day, b)) for a, b in weekly],
                [(self._wall(day, a), self._wall(day, b)) for a, b in breaks],
            )
        opening = [
            (self._wall(day, a), self._wall(day, b)) for a, b in self.opening.get(weekday, ())
        ]
        intervals = _intersect(intervals, opening)
        return _subtract(intervals, self.time_off.get(tid, ()))

    def work_intervals(self, tid: int, day: date) -> list[Interval]:
        """Working minutes (epoch minutes) of a therapist on a day: weekly hours less
        breaks, or the day's change, within opening hours, less time off."""
        if day in self.closed:
            return []
        return self._work_intervals(tid, day)

    def compute(self) -> SearchResult:
        assert self.service is not None
        result = SearchResult(self.service.code, self.therapists)
        if not self.therapists or (self.service.resource_kind and not self.rooms):
            return result
        step, duration = self.step, self.duration
        therapist_forbidden = {
            t: self._forbidden(self.busy_therapist[t], self.therapist_pieces)
            for t in self.therapists
        }
        room_forbidden = [self._forbidden(self.busy_room[r], self.room_pieces) for r in self.rooms]
        room_ok: dict[int, bool] = {}
        for day in self.dates:
            if day in self.closed or not self.opening.get(day.weekday()):
                continue
            origin = self._wall(day, time.min)  # the grid is aligned to local midnight
            by_start: dict[int, list[int]] = defaultdict(list)
            for tid, forbidden in therapist_forbidden.items():
                for a, b in self._work_intervals(tid, day):
                    s = origin + -(-(a - origin) // step) * step
                    while s + duration <= b:
                        if _allowed(s, forbidden):
                            ok = room_ok.get(s)
                            if ok is None:
                                ok = not self.rooms or any(_allowed(s, f) for f in room_forbidden)
                                room_ok[s] = ok
                            if ok:
                                by_start[s].append(tid)
                        s += step
            for s in sorted(by_start):
                result.slots.append((_from_epoch_minutes(s), by_start[s]))
        return result

    def why_not_free(self, start: datetime) -> str:
        """Why ``start`` offers no therapist: "closed" (a closed day, or the treatment does
        not fit in the spa's opening hours), "off" (no loaded therapist works through the
        whole treatment), else "taken" (bookings, buffers or rooms)."""
        s = _epoch_minutes(start)
        end = s + self.duration
        day = start.astimezone(self.tz).date()

        def fits(intervals: Iterable[Interval]) -> bool:
            return any(a <= s and end <= b for a, b in intervals)

        opening = [
            (self._wall(day, a), self._wall(day, b)) for a, b in self.opening.get(day.weekday(), ())
        ]
        if day in self.closed or not fits(opening):
            return "closed"
        if not any(fits(self.work_intervals(tid, day)) for tid in self.therapists):
            return "off"
        return "taken"

    def free_rooms(self, start: datetime) -> list[int]:
        """Rooms of the service's kind free for a booking starting at ``start``."""
        s = _epoch_minutes(start)
        return [
            r
            for r in self.rooms
            if _allowed(s, self._forbidden(self.busy_room[r], self.room_pieces))
        ]


def search(
    service: Service,
    date_from: date,
    date_to: date,
    *,
    therapist_id: int | None = None,
    use_cache: bool = True,
) -> SearchResult:
    """Bookable starts (before lead-time / horizon filtering). Cached per version."""
    key = None
    schedule = None
    if use_cache:
        # One round trip: both versions and the schedule (read before the data, see
        # bump_version), then one for the result.
        got = cache.get_many([AVAILABILITY.key, SCHEDULE.key, SCHEDULE_KEY])
        version = got.get(AVAILABILITY.key)
        if version is None:
            version = current_version()
        key = (
            f"booking:availability:{version}:{service.pk}:{service.updated_at.timestamp()}:"
            f"{date_from}:{date_to}:{therapist_id or '-'}:{granularity()}"
        )
        cached = cache.get(key)
        if cached is not None:
            return cached
        schedule = current_schedule(got)
    engine = AvailabilityEngine(
        service,
        date_from,
        date_to,
        therapist_ids=[therapist_id] if therapist_id is not None else None,
        schedule=schedule,
    )
    result = engine.compute()
    if key is not None:
        cache.set(key, result, timeout=settings.BOOKING_AVAILABILITY_CACHE_SECONDS)
    return result


def bookable_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The earliest and latest start a client may book now."""
    now = now or timezone.now()
    return (
        now + timedelta(minutes=settings.BOOKING_MIN_LEAD_MINUTES),
        now + timedelta(days=settings.BOOKING_MAX_HORIZON_DAYS),
    )


def filter_window(
    result: SearchResult, now: datetime | None = None
) -> list[tuple[datetime, list[int]]]:
    earliest, latest = bookable_window(now)
    return [(s, t) for s, t in result.slots if earliest <= s <= latest]
