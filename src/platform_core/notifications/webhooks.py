"""Twilio webhook signatures, checked against the PUBLIC URL Twilio called."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger("studiozens.notifications")


def public_urls(request: HttpRequest) -> list[str]:
    """Candidate public URLs of ``request``: SITE_URL + path (what we registered with
    Twilio), then the URL rebuilt from the proxy's forwarded scheme/host (Render)."""
    path = request.get_full_path()
    urls = [f"{settings.SITE_URL}{path}"]
    proto = request.META.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip()
    host = request.META.get("HTTP_X_FORWARDED_HOST", "").split(",")[0].strip()
    scheme = proto or request.scheme
    host = host or request.get_host()
    rebuilt = f"{scheme}://{host}{path}"
    if rebuilt not in urls:
        urls.append(rebuilt)
    return urls


def validate_twilio_request(request: HttpRequest) -> bool:
    """True when ``X-Twilio-Signature`` is valid for the request's form parameters.
    A forged host header cannot help an attacker: the HMAC needs the auth token."""
    return twilio_signature_valid(request, request.POST, auth_token=settings.TWILIO_AUTH_TOKEN)


def twilio_signature_valid(request: HttpRequest, params: Any, *, auth_token: str) -> bool:
    """Both of Twilio's schemes: the legacy HMAC-SHA1 signed with the auth token, and the
    HMAC-SHA256 one (``X-Twilio-Webhooks-Signature-Settings``) signed with
    ``TWILIO_WEBHOOK_SHARED_KEY``; checked against every candidate public URL."""
    from twilio.request_validator import HMAC_SHA1, RequestValidator, get_signature_algorithm

    signature = request.headers.get("X-Twilio-Signature", "")
    algorithm = get_signature_algorithm(request.headers.get("X-Twilio-Webhooks-Signature-Settings"))
    token = (
        auth_token if algorithm == HMAC_SHA1 else getattr(settings, "TWILIO_WEBHOOK_SHARED_KEY", "")
    )
    if not token or not signature:
        return False
    validator = RequestValidator(token)
    for url in public_urls(request):
        if validator.validate(url, params, signature, algorithm=algorithm):
            return True
    logger.warning("rejected a Twilio webhook with an invalid signature")
    return False
