"""Django's error handlers (handler400/403/404/500) for errors raised outside the API's views.

A middleware that raises (DisallowedHost for a Host outside ALLOWED_HOSTS, a Http404 or
PermissionDenied, a bug) never reaches NinjaAPI's exception handlers nor
``ApiErrorShapeMiddleware`` (the innermost middleware): Django turns the exception into a
response with these views. Under /api/ they answer in the one error shape; elsewhere (the
admin, a browser) Django's own pages stay. (With DEBUG on, Django shows its debug page
instead of calling them.)
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from platform_core.api_errors import generic_error, internal_error


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return generic_error(400) if _api(request) else defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return generic_error(403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return generic_error(404) if _api(request) else defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    return internal_error() if _api(request) else defaults.server_error(request)
