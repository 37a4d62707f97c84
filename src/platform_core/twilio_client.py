"""The official Twilio SDK client, optionally pointed at a local fake.

``TWILIO_API_BASE_URL`` (empty in production) sends every request the SDK builds for
``https://<anything>.twilio.com`` (api, verify, ...) to that base URL instead, path and query
unchanged: ``manage.py twilio_fake`` serves the same paths.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings


def rewrite_url(url: str, base_url: str) -> str:
    """``https://verify.twilio.com/v2/Services/VA1/Verifications`` -> ``<base>/v2/...``."""
    if not base_url:
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host != "twilio.com" and not host.endswith(".twilio.com"):
        return url
    rewritten = base_url.rstrip("/") + (parts.path or "/")
    return f"{rewritten}?{parts.query}" if parts.query else rewritten


def http_client(*, timeout: float | None = None, base_url: str | None = None) -> Any:
    """A ``TwilioHttpClient`` with the timeout; redirected when a base URL is configured."""
    from twilio.http.http_client import TwilioHttpClient

    base = settings.TWILIO_API_BASE_URL if base_url is None else base_url
    timeout = settings.TWILIO_TIMEOUT if timeout is None else timeout

    if not base:
        return TwilioHttpClient(timeout=timeout)

    class RedirectingTwilioHttpClient(TwilioHttpClient):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            return super().request(method, rewrite_url(url, base), *args, **kwargs)

    return RedirectingTwilioHttpClient(timeout=timeout)


def client(*, http: Any = None) -> Any:
    """``twilio.rest.Client`` with the account credentials and :func:`http_client`."""
    from twilio.rest import Client

    return Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=http if http is not None else http_client(),
    )
