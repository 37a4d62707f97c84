"""Vouchers' figures for the owner's dashboard: cards and packages sold in the period and what
the spa still owes in them (outstanding balances and sessions: a liability, not revenue)."""

from __future__ import annotations

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.vouchers.models import GiftCard, PackagePurchase
from platform_core.dashboard import Figure, Period, Section
from platform_core.money import format_cop


def section(period: Period) -> Section:
    today = Q(issued_at__gte=period.today_start)
    cards = GiftCard.objects.filter(
        source=GiftCard.Source.ONLINE, issued_at__gte=period.start, issued_at__lt=period.end
    ).aggregate(n=Count("id"), n_today=Count("id", filter=today), value=Sum("amount_cents"))
    bought_today = Q(activated_at__gte=period.today_start)
    packages = PackagePurchase.objects.filter(
        activated_at__gte=period.start, activated_at__lt=period.end
    ).aggregate(n=Count("id"), n_today=Count("id", filter=bought_today), value=Sum("price_cents"))
    live = GiftCard.objects.filter(status=GiftCard.Status.ACTIVE, expires_at__gt=timezone.now())
    owed_cards = live.aggregate(total=Sum("balance_cents"))["total"] or 0
    owed_sessions = PackagePurchase.objects.filter(
        status=PackagePurchase.Status.ACTIVE, expires_at__gt=timezone.now()
    ).aggregate(
        left=Sum("credits_left"),
        value=Sum(F("credits_left") * F("price_cents") / F("sessions")),
    )
    return Section(
        title=_("Tarjetas de regalo y paquetes"),
        order=45,
        figures=(
            Figure(
                _("Tarjetas vendidas"),
                str(cards["n_today"]),
                f"{cards['n']} ({format_cop(cards['value'] or 0)})",
            ),
            Figure(
                _("Paquetes vendidos"),
                str(packages["n_today"]),
                f"{packages['n']} ({format_cop(packages['value'] or 0)})",
            ),
            Figure(
                _("Saldo por redimir en tarjetas"),
                "-",
                format_cop(owed_cards),
                hint=_("tarjetas activas sin vencer"),
            ),
            Figure(
                _("Sesiones por usar"),
                "-",
                f"{owed_sessions['left'] or 0} ({format_cop(owed_sessions['value'] or 0)})",
                hint=_("paquetes activos sin vencer"),
            ),
        ),
    )
