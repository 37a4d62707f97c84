"""The owner's dashboard and the admin index's cards, contributed by the plugins.

A plugin names ``dashboard`` (``callable(period) -> Section | list[Section]``) and/or
``admin_index`` (``callable(request) -> list[IndexCard]``). The core only lays them out:
it never knows what a booking or an order is.

Contract for ``dashboard`` callables: the number of queries does not depend on the
number of days (group by day in SQL, never one query per day); the test walks every
plugin with 7 and 90 days and compares the counts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Period:
    """``days`` local days ending today (inclusive), as aware datetimes [start, end)."""

    today: date
    days: int

    @property
    def first_day(self) -> date:
        return self.today - timedelta(days=self.days - 1)

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day)

    @property
    def end(self) -> datetime:
        return local_midnight(self.today + timedelta(days=1))

    @property
    def today_start(self) -> datetime:
        return local_midnight(self.today)

    def day_list(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.days)]

    def day_labels(self) -> list[str]:
        return [d.strftime("%d/%m") for d in self.day_list()]


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


@dataclass(frozen=True)
class Figure:
    """A headline number: today's value and the period's (display strings)."""

    label: str
    today: str
    period: str
    hint: str = ""


@dataclass(frozen=True)
class Series:
    label: str
    data: list[float]


@dataclass(frozen=True)
class Chart:
    key: str  # unique in the page (the canvas id)
    title: str
    kind: str  # "bar" | "line" | "doughnut"
    labels: list[str]
    series: list[Series]
    money: bool = False  # values are pesos (axis and tooltips as $ 62.000)
    stacked: bool = False
    horizontal: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "labels": self.labels,
            "series": [{"label": s.label, "data": s.data} for s in self.series],
            "money": self.money,
            "stacked": self.stacked,
            "horizontal": self.horizontal,
        }


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]


@dataclass(frozen=True)
class Section:
    title: str
    figures: tuple[Figure, ...] = ()
    charts: tuple[Chart, ...] = ()
    tables: tuple[Table, ...] = ()
    order: int = 100


@dataclass(frozen=True)
class IndexCard:
    """One tile of the admin index: "Citas de hoy 18", "Conversaciones esperando 2"."""

    title: str
    value: str = ""
    url: str = ""
    note: str = ""
    order: int = 100
    urgent: bool = False


@dataclass
class Dashboard:
    period: Period
    sections: list[Section] = field(default_factory=list)

    def charts_json(self) -> list[dict[str, Any]]:
        return [c.as_json() for s in self.sections for c in s.charts]


def percent(part: int, whole: int) -> str:
    return f"{(100 * part / whole):.1f} %".replace(".", ",") if whole else "-"


def build_dashboard(*, days: int = 30, today: date | None = None) -> Dashboard:
    from platform_core.plugins import get_plugins, resolve

    period = Period(today=today or timezone.localdate(), days=days)
    board = Dashboard(period=period)
    for plugin in get_plugins():
        if not plugin.dashboard:
            continue
        produced = resolve(plugin.dashboard)(period)
        board.sections.extend(produced if isinstance(produced, list) else [produced])
    board.sections.sort(key=lambda s: s.order)
    return board


def index_cards(request: HttpRequest) -> list[IndexCard]:
    """Cards for the admin index; a failing contributor is logged, never a broken index."""
    from platform_core.plugins import get_plugins, resolve

    cards: list[IndexCard] = []
    for plugin in get_plugins():
        if not plugin.admin_index:
            continue
        try:
            cards.extend(resolve(plugin.admin_index)(request))
        except Exception:
            logger.exception("admin index: the %s plugin's cards failed", plugin.name)
    return sorted(cards, key=lambda c: c.order)
