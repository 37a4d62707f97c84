"""Admin pages of the front desk: the calendar (reception, therapists, admin).

The page is a shell; its data and actions come from /api/booking/desk/ (the admin
session authenticates those calls, with Django's CSRF token)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.booking import desk
from modules.booking.availability import local_tz
from platform_core.errors import PermissionDenied


def desk_text() -> dict[str, str]:
    """Staff-facing strings desk.js builds at run time (Django i18n; ``{amount}`` is
    filled in by the page)."""
    return {
        "waive": _("Condonar"),
        "refund": _("Reembolsar"),
        "waive_title": _("Condonar el cargo de {amount} (no se le cobrará al cliente)"),
        "refund_title": _("Reembolsar el cargo de {amount} al cliente"),
        "waive_confirm": _("Confirmar condonación"),
        "refund_confirm": _("Confirmar reembolso"),
        "reason_required": _("Escribe el motivo."),
        "waived": _("Cargo condonado."),
        "refunded": _("Cargo reembolsado; le avisamos al cliente por WhatsApp."),
        "fee_reason": _("Motivo: {reason}"),
        "fee_next_try": _("Próximo intento de cobro: {when}"),
        "failed": _("No se pudo completar la acción."),
    }


def calendar_view(request: HttpRequest) -> HttpResponse:
    try:
        me = desk.require_calendar_access(request.user)
    except PermissionDenied:
        from django.core.exceptions import PermissionDenied as DjangoDenied

        raise DjangoDenied from None
    today = timezone.now().astimezone(local_tz()).date().isoformat()
    is_desk = me is None
    zero = "00000000-0000-0000-0000-000000000000"
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": "Calendario",
        "today": today,
        "desk": is_desk,
        "filters": desk.filters(),
        "config": {
            "api": "/api/booking/desk/",
            "csrf": get_token(request),
            "today": today,
            "desk": is_desk,
            "open": str(request.GET.get("cita", ""))[:36],
            "admin_change": reverse("admin:booking_appointment_changelist") + f"?q={zero}",
            "text": desk_text(),
        },
    }
    return TemplateResponse(request, "admin/booking/calendar.html", context)
