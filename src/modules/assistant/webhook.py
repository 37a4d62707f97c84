"""Twilio's signature on inbound webhooks, checked against the public URL Twilio called.

The token is ASSISTANT_WEBHOOK_AUTH_TOKEN: TWILIO_AUTH_TOKEN, or outside production a local
dev token, so the check runs in development too (bot_chat signs with the same token).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator

from platform_core.notifications.webhooks import twilio_signature_valid


def signature_valid(request: HttpRequest, params: Mapping[str, str]) -> bool:
    """Either of Twilio's signature schemes (HMAC-SHA1 with the token, or HMAC-SHA256 with
    TWILIO_WEBHOOK_SHARED_KEY), as platform_core checks its own Twilio callbacks."""
    return twilio_signature_valid(
        request, dict(params), auth_token=settings.ASSISTANT_WEBHOOK_AUTH_TOKEN
    )


def sign(url: str, params: Mapping[str, str]) -> str:
    """The signature Twilio would send (bot_chat and tests play Twilio with it)."""
    return RequestValidator(settings.ASSISTANT_WEBHOOK_AUTH_TOKEN).compute_signature(
        url, dict(params)
    )
