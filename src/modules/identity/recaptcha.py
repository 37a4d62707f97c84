"""Optional reCAPTCHA (v2 or v3) on register and password reset.

Active only when RECAPTCHA_SECRET_KEY is set; the token is checked against Google's
siteverify endpoint with httpx (short timeout, no retries: the user can simply retry).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
from django.conf import settings

from modules.identity.errors import RecaptchaFailed
from platform_core import geoip

logger = logging.getLogger(__name__)


def _default_client() -> httpx.Client:
    return httpx.Client(timeout=settings.RECAPTCHA_TIMEOUT)


# Tests swap this for a client on httpx.MockTransport.
client_factory: Callable[[], httpx.Client] = _default_client


def enabled() -> bool:
    return bool(settings.RECAPTCHA_SECRET_KEY)


def required_for_signup(ip: str | None) -> bool:
    """reCAPTCHA on sign-up only for clients outside RECAPTCHA_EXEMPT_COUNTRIES (Colombia),
    by GeoIP. Without GeoIP, or for an address it does not know, it is always required."""
    if not enabled():
        return False
    exempt = {c.upper() for c in settings.RECAPTCHA_EXEMPT_COUNTRIES}
    if not exempt or not geoip.enabled():
        return True
    return geoip.country_of(ip) not in exempt


def verify(token: str, *, remote_ip: str | None = None) -> None:
    """Raise RecaptchaFailed unless reCAPTCHA is off or Google accepts ``token``."""
    if not enabled():
        return
    if not token:
        raise RecaptchaFailed()
    data = {"secret": settings.RECAPTCHA_SECRET_KEY, "response": token}
    if remote_ip:
        data["remoteip"] = remote_ip
    try:
        with client_factory() as client:
            response = client.post(settings.RECAPTCHA_VERIFY_URL, data=data)
            response.raise_for_status()
            body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        # Fail closed: an unverifiable token is treated as a failed challenge.
        logger.warning("reCAPTCHA verification unavailable: %s", type(exc).__name__)
        raise RecaptchaFailed() from exc
    if not body.get("success"):
        raise RecaptchaFailed(details={"errors": body.get("error-codes", [])})
    score = body.get("score")
    if score is not None and float(score) < settings.RECAPTCHA_MIN_SCORE:
        raise RecaptchaFailed()
