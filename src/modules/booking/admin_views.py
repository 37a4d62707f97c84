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
    """Staff-facing strings the desk's scripts (desk.js, desk-appointment.js) build at run
    time, through Django i18n. ``{name}`` placeholders are filled in by the page; the
    scripts hold no user-facing literal of their own (tests/modules/booking/test_desk_text.py)."""
    return {
        # the calendar
        "due": _("Pendiente {amount}"),
        "paid_full": _("Pagada"),
        "paid_part": _("Pagó {amount}"),
        "no_payment": _("Sin pago"),
        "processing": _("Reposo: terapeuta libre"),
        "week_of": _("Semana del {date}"),
        "closed": _("Spa cerrado"),
        "nobody_works": _("Nadie trabaja este día"),
        "off_shift": _("Fuera de turno"),
        "waitlist": _("Lista de espera ({count})"),
        "with_therapist": _("con {name}"),
        "offer": _("oferta abierta: {start} (hasta las {until})"),
        "date_range": _("{start} a {end}"),
        # booking
        "no_results": _("Sin resultados. Usa «Cliente nuevo»."),
        "no_slots": _("No hay horarios libres ese día."),
        "booked": _("Cita reservada."),
        "booked_invited": _("Cita reservada; le enviamos la invitación al cliente."),
        # one appointment
        "check_in": _("Llegó"),
        "complete": _("Completada"),
        "no_show": _("No asistió"),
        "move": _("Mover"),
        "cancel": _("Cancelar"),
        "pay": _("Registrar pago"),
        "payment_link": _("Enviar enlace de pago"),
        "notes": _("Notas"),
        "vip_price": _("{price} (precio VIP)"),
        "no_deposit": _("Sin anticipo"),
        "checked_in": _("Llegada registrada."),
        "completed": _("Cita completada."),
        "no_show_confirm": _("¿Marcar que el cliente no asistió?"),
        "marked_no_show": _("Marcada como no asistió."),
        "link_sent": _("Enlace de pago por {amount} enviado por WhatsApp."),
        "amount_required": _("Escribe el monto en pesos."),
        "when_required": _("Elige la fecha y la hora."),
        "paid": _("Pago registrado."),
        "moved": _("Cita movida."),
        "cancelled": _("Cita cancelada."),
        "notes_saved": _("Notas guardadas."),
        # fees
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
        "title": _("Calendario"),
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
