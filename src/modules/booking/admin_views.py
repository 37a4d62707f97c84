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

from modules.booking import desk
from modules.booking.availability import local_tz
from platform_core.errors import PermissionDenied


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
        },
    }
    return TemplateResponse(request, "admin/booking/calendar.html", context)
