"""Request id propagation and the one error shape for responses Django itself makes."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from platform_core.api_errors import (
    GENERIC_ERRORS,
    generic_error,
    max_body_bytes,
    payload_too_large,
    unreadable_body,
)
from platform_core.request_context import (
    client_ip,
    get_request_id,
    reset_client_ip,
    reset_origin,
    reset_request_id,
    set_client_ip,
    set_origin,
    set_request_id,
)

_VALID_ID = re.compile(r"^[A-Za-z0-9\-_.]{8,128}$")


class RequestIdMiddleware:
    """Takes X-Request-ID from the proxy (Render sends one) or makes one; echoes it back.
    Also keeps the client IP for the audit log of services that never see the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        token = set_request_id(incoming if _VALID_ID.match(incoming) else None)
        ip_token = set_client_ip(client_ip(request))
        origin_token = set_origin(_request_origin(request))
        try:
            request.request_id = get_request_id()  # type: ignore[attr-defined]
            response = self.get_response(request)
            response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
            return response
        finally:
            reset_origin(origin_token)
            reset_client_ip(ip_token)
            reset_request_id(token)


def _request_origin(request: HttpRequest) -> str:
    """scheme://host of the request, only where links may follow it (development without
    SITE_URL); an unknown host (DisallowedHost) is never used."""
    if not getattr(settings, "SITE_URL_FROM_REQUEST", False):
        return ""
    try:
        return f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:
        return ""


class ApiBodyLimitMiddleware:
    """Refuse an /api/ request whose declared body is over the one limit
    (``DATA_UPLOAD_MAX_MEMORY_SIZE``) with 413 before any view runs: also on operations that
    never read their body, and on webhooks that check a signature first. A body without a
    Content-Length (chunked) is checked when it is read (RequestDataTooBig -> 413)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            declared = request.META.get("CONTENT_LENGTH") or "0"
            try:
                length = int(declared)
            except ValueError:
                return unreadable_body()
            if length < 0:
                return unreadable_body()
            if length > max_body_bytes():
                return payload_too_large()
        return self.get_response(request)


class ApiPathSpellingMiddleware:
    """Every API route is spelled with a trailing slash (``/api/users/register/``); the other
    spelling answers the same resource. When an ``/api/`` path does not resolve but its
    other spelling (slash added or removed) does, the request is routed there in place: no
    redirect (a 301/308 would make clients resend, and a POST body would be lost behind
    Django's APPEND_SLASH), no HTML, the same answer for every method. Paths that resolve as
    they are, and paths neither spelling resolves (404 in the error shape), are untouched.
    Must run before CommonMiddleware, which would otherwise redirect."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path == "/api" or path.startswith("/api/"):
            urlconf = getattr(request, "urlconf", None)
            if not _resolves(path, urlconf):
                other = path[:-1] if path.endswith("/") else f"{path}/"
                if _resolves(other, urlconf):
                    script_prefix = request.path[: len(request.path) - len(path)]
                    request.path_info = other
                    request.path = f"{script_prefix}{other}"
                    request.META["PATH_INFO"] = other
        return self.get_response(request)


def _resolves(path: str, urlconf: str | None) -> bool:
    # Keyed by the URLconf module's name too (a test may switch ROOT_URLCONF).
    return _resolves_in(path, urlconf or settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=4096)
def _resolves_in(path: str, urlconf: str) -> bool:
    """Whether a path resolves, remembered per process: every /api/ request asks before
    Django resolves it again (the liveness probe, catalogs and lists are the same few
    paths; the URLconf does not change while a process runs). Bounded, so paths with ids
    or a scan of random paths only cycle the oldest answers out."""
    try:
        resolve(path, urlconf)
    except Resolver404:
        return False
    return True


def _forget_resolutions(*, setting: str, **kwargs: object) -> None:
    if setting == "ROOT_URLCONF":
        _resolves_in.cache_clear()


setting_changed.connect(_forget_resolutions, dispatch_uid="platform_core.path_spelling")


class ApiErrorShapeMiddleware:
    """Django answers unknown paths (404), wrong methods (405), refusals (403) and requests it
    cannot read (400, 413) with HTML or plain text; under /api/ clients get the error shape
    instead. Errors raised before this middleware runs: platform_core.error_views."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code in GENERIC_ERRORS
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            shaped = generic_error(response.status_code)
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response
