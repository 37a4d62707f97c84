"""The in-process sandbox's checkout page, served by Django in development only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse

from modules.payments.sandbox.inprocess import get_sandbox
from modules.payments.sandbox.server import render_form, submit_checkout


def checkout_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return HttpResponse(render_form(request.GET.dict(), request.path))
    status, payload, location, page = submit_checkout(get_sandbox(), request.POST.dict())
    if status >= 400:
        return JsonResponse(payload, status=status)
    if location:
        return HttpResponseRedirect(location)
    return HttpResponse(page)
