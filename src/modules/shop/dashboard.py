"""The shop's figures for the owner's dashboard and its card on the admin index
(a fixed number of queries whatever the number of days)."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from modules.shop.models import Order, OrderLine, OrderStatus
from platform_core.dashboard import Chart, Figure, IndexCard, Period, Section, Series, Table
from platform_core.money import format_cop

S = OrderStatus
# Orders the client paid for (refunded ones are not sales).
SOLD = (S.PAID, S.PREPARING, S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY, S.COMPLETED)
TO_PREPARE = (S.PAID, S.PREPARING)


def section(period: Period) -> Section:
    paid = Order.objects.filter(status__in=SOLD, paid_at__gte=period.start, paid_at__lt=period.end)
    today = Q(paid_at__gte=period.today_start)
    totals = paid.aggregate(
        orders=Count("id"),
        orders_today=Count("id", filter=today),
        sales=Sum("total_cents"),
        sales_today=Sum("total_cents", filter=today),
    )
    pending = Order.objects.filter(
        status=S.PENDING_PAYMENT, created_at__gte=period.start, created_at__lt=period.end
    ).count()
    top = list(
        OrderLine.objects.filter(order__in=paid)
        .values("name")
        .annotate(units=Sum("quantity"), value=Sum("line_total_cents"))
        .order_by("-units", "name")[:5]
    )
    return Section(
        title=_("Tienda"),
        order=30,
        figures=(
            Figure(_("Pedidos pagados"), str(totals["orders_today"]), str(totals["orders"])),
            Figure(
                _("Ventas de la tienda"),
                format_cop(totals["sales_today"] or 0),
                format_cop(totals["sales"] or 0),
            ),
            Figure(_("Pedidos sin pagar"), "-", str(pending), hint=_("creados en el periodo")),
        ),
        charts=(
            Chart(
                key="shop-top-products",
                title=_("Productos más vendidos (unidades)"),
                kind="bar",
                horizontal=True,
                labels=[r["name"] for r in top],
                series=[Series(_("Unidades"), [r["units"] for r in top])],
            ),
        ),
        tables=(
            Table(
                _("Productos más vendidos"),
                (_("Producto"), _("Unidades"), _("Valor")),
                [(r["name"], str(r["units"]), format_cop(r["value"])) for r in top],
            ),
        ),
    )


def index_cards(request: HttpRequest) -> list[IndexCard]:
    if not request.user.has_perm("shop.view_order"):
        return []
    waiting = Order.objects.filter(status__in=TO_PREPARE).count()
    return [
        IndexCard(
            title=_("Pedidos por preparar"),
            value=str(waiting),
            url=reverse("admin:shop_order_changelist") + "?status__in=PAID,PREPARING",
            note=_("pagados o en preparación"),
            order=30,
        )
    ]
