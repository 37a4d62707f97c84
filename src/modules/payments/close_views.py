"""The day's close (cierre de caja): takings by method and by staff member from the
ledger, for admins only; CSV export (integer cents in a column named so)."""

from __future__ import annotations

import csv
from datetime import date

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from modules.identity import public as identity
from modules.payments.desk import day_close
from platform_core.money import format_cop as pesos


def can_close(user: object) -> bool:
    return identity.has_role(user, identity.ADMIN)


def close_view(request: HttpRequest) -> HttpResponse:
    if not can_close(request.user):
        raise PermissionDenied
    from zoneinfo import ZoneInfo

    from django.conf import settings

    today = timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    try:
        day = date.fromisoformat(request.GET.get("fecha", "") or today.isoformat())
    except ValueError:
        day = today
    close = day_close(day)
    if request.GET.get("formato") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="cierre-{day.isoformat()}.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 with accents
        writer = csv.writer(response)
        writer.writerow(
            ["fecha_hora", "tipo", "referencia", "medio", "registrado_por", "monto_centavos"]
        )
        for e in close.entries:
            writer.writerow(
                [
                    timezone.localtime(e["created_at"]).strftime("%Y-%m-%d %H:%M"),
                    e["kind"],
                    e["reference"],
                    e["method"],
                    e["staff"] or "En línea",
                    e["amount_cents"],
                ]
            )
        writer.writerow(["", "Total", "", "", "", close.total_cents])
        return response
    context = {
        **admin.site.each_context(request),
        "title": "Cierre del día",
        "day": day,
        "close": close,
        "total": pesos(close.total_cents),
        "by_method": [(line, pesos(line.total_cents)) for line in close.by_method],
        "by_staff": [(line, pesos(line.total_cents)) for line in close.by_staff],
        "entries": [{**e, "amount": pesos(e["amount_cents"])} for e in close.entries],
    }
    return TemplateResponse(request, "admin/payments/close.html", context)
