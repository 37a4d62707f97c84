"""Revenue by source from the ledger for the owner's dashboard: the spa's net takings
(charges less refunds) per purpose, named by the plugins that own them (two queries,
whatever the number of days)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from modules.payments.models import CHARGE_KINDS, LedgerEntry
from platform_core.dashboard import Chart, Figure, Period, Section, Series, Table
from platform_core.money import format_cop
from platform_core.plugins import payment_purpose_labels

INCOME = (*CHARGE_KINDS, LedgerEntry.Kind.REFUND)


def section(period: Period) -> Section:
    tz = period.start.tzinfo
    entries = LedgerEntry.objects.filter(
        account=LedgerEntry.Account.MERCHANT,
        kind__in=INCOME,
        created_at__gte=period.start,
        created_at__lt=period.end,
    ).exclude(purpose="")
    labels = payment_purpose_labels()
    per_source: dict[str, int] = defaultdict(int)
    per_source_today: dict[str, int] = defaultdict(int)
    for row in (
        entries.values("purpose")
        .annotate(
            total=Sum("amount_cents"),
            today=Sum("amount_cents", filter=Q(created_at__gte=period.today_start)),
        )
        .order_by()
    ):
        name = labels.get(row["purpose"], _("Otros"))
        per_source[name] += row["total"] or 0
        per_source_today[name] += row["today"] or 0
    per_day: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in (
        entries.annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day", "purpose")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    ):
        per_day[row["day"]][labels.get(row["purpose"], _("Otros"))] += row["total"] or 0
    sources = sorted(per_source, key=lambda s: -per_source[s])
    days = period.day_list()
    total, total_today = sum(per_source.values()), sum(per_source_today.values())
    return Section(
        title=_("Ingresos"),
        order=5,
        figures=(
            Figure(
                _("Ingresos netos"),
                format_cop(total_today),
                format_cop(total),
                hint=_("cobros menos reembolsos, según el libro contable"),
            ),
            *(
                Figure(name, format_cop(per_source_today[name]), format_cop(per_source[name]))
                for name in sources
            ),
        ),
        charts=(
            Chart(
                key="revenue-per-day",
                title=_("Ingresos por día y origen"),
                kind="bar",
                stacked=True,
                money=True,
                labels=period.day_labels(),
                series=[Series(name, [per_day[d][name] / 100 for d in days]) for name in sources],
            ),
            Chart(
                key="revenue-by-source",
                title=_("Ingresos por origen"),
                kind="doughnut",
                money=True,
                labels=sources,
                series=[Series(_("Ingresos"), [per_source[s] / 100 for s in sources])],
            ),
        ),
        tables=(
            Table(
                _("Ingresos por origen"),
                (_("Origen"), _("Hoy"), _("Periodo")),
                [(s, format_cop(per_source_today[s]), format_cop(per_source[s])) for s in sources],
            ),
        ),
    )
