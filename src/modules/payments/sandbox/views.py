"""The in-process sandbox's checkout page, served by Django in development only."""

from __future__ import annotations

import json

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


def api_call(request: HttpRequest, rest: str) -> JsonResponse:
    """One Wompi API request (``/v1/<rest>``) answered by the in-process sandbox core."""
    body = None
    if request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            return JsonResponse({"error": {"type": "INVALID_JSON"}}, status=400)
    status, payload = get_sandbox().handle(
        request.method or "GET",
        "/v1/" + rest,
        dict(request.headers),
        body,
        request.GET.dict(),
    )
    return JsonResponse(payload, status=status)
