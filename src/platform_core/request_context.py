"""The current request id and client IP, readable anywhere (logs, audit, Sentry, Celery
headers) without passing the request down through every service call."""

from __future__ import annotations

import contextvars
import ipaddress
import uuid

from django.conf import settings
from django.http import HttpRequest

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_client_ip: contextvars.ContextVar[str] = contextvars.ContextVar("client_ip", default="")


def get_request_id() -> str:
    return _request_id.get()


def set_request_id(value: str | None = None) -> contextvars.Token[str]:
    return _request_id.set(value or uuid.uuid4().hex)


def reset_request_id(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)


def get_client_ip() -> str:
    """The current request's client IP ("" outside a request)."""
    return _client_ip.get()


def set_client_ip(value: str) -> contextvars.Token[str]:
    return _client_ip.set(value)


def reset_client_ip(token: contextvars.Token[str]) -> None:
    _client_ip.reset(token)


_origin: contextvars.ContextVar[str] = contextvars.ContextVar("origin", default="")


def set_origin(value: str) -> contextvars.Token[str]:
    return _origin.set(value)


def reset_origin(token: contextvars.Token[str]) -> None:
    _origin.reset(token)


def site_url() -> str:
    """Our public base URL: ``SITE_URL``, or in development without ``SITE_URL`` the
    scheme and host the current request came in on (any port the developer chose)."""
    from django.conf import settings

    origin = _origin.get()
    if origin and getattr(settings, "SITE_URL_FROM_REQUEST", False):
        return origin
    return str(settings.SITE_URL)


def rebase_site_url(url: str) -> str:
    """``url`` with the configured ``SITE_URL`` prefix replaced by :func:`site_url`
    (a URL on another host is returned unchanged)."""
    from django.conf import settings

    base = str(settings.SITE_URL)
    current = site_url()
    if current != base and (url == base or url.startswith(base + "/")):
        return current + url[len(base) :]
    return url


def client_ip(request: HttpRequest) -> str:
    """The client's address: the one function rate limits, audit entries and the reCAPTCHA
    check use ("" when there is none).

    With ``TRUSTED_PROXY_COUNT`` = N > 0 (Render: 1), N proxies in front of the app each
    appended the address they received the request from to ``X-Forwarded-For``; the client's
    is the N-th entry from the right. Everything left of it is whatever the client sent, so
    it is never read. With 0 (the default) the header is ignored and the socket's peer
    (``REMOTE_ADDR``) is the client. The server must not rewrite ``REMOTE_ADDR`` from the
    header itself (gunicorn.conf.py: uvicorn's proxy headers are off)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    candidate = remote
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            # Fewer entries than proxies: every entry was appended by a proxy.
            candidate = hops[-min(proxies, len(hops))]
    for value in (candidate, remote):
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            continue
    return ""
