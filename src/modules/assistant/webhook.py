"""Twilio's signature on inbound webhooks, checked against the public URL Twilio called."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator


def public_urls(request: HttpRequest) -> list[str]:
    """The URLs Twilio may have signed: SITE_URL + path, and the one the proxy forwarded."""
    path = request.get_full_path()
    urls = [f"{settings.SITE_URL}{path}"]
    proto = request.META.get("HTTP_X_FORWARDED_PROTO", "")
    host = request.META.get("HTTP_X_FORWARDED_HOST", "")
    if proto or host:
        scheme = (proto or request.scheme or "https").split(",")[0].strip()
        netloc = (host or request.META.get("HTTP_HOST", "")).split(",")[0].strip()
        if netloc:
            urls.append(f"{scheme}://{netloc}{path}")
    return urls


def signature_valid(request: HttpRequest, params: Mapping[str, str]) -> bool:
    token = settings.ASSISTANT_WEBHOOK_AUTH_TOKEN
    signature = request.META.get("HTTP_X_TWILIO_SIGNATURE", "")
    if not token or not signature:
        return False
    validator = RequestValidator(token)
    return any(validator.validate(url, dict(params), signature) for url in public_urls(request))


def sign(url: str, params: Mapping[str, str]) -> str:
    """The signature Twilio would send (bot_chat and tests play Twilio with it)."""
    return RequestValidator(settings.ASSISTANT_WEBHOOK_AUTH_TOKEN).compute_signature(
        url, dict(params)
    )
