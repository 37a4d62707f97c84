"""identity's guards: rate limits on code sends, lockouts on failed codes and passwords,
one password-hasher round on every path, proof of presence, and input checks.

Anti-enumeration: the public flows (register, resend, password reset) answer the same
whether or not a phone has an account; they run the same rate limits and the same
number of password-hasher rounds on every path (:func:`password_matches`), and send codes
from a Celery task after commit so the provider's round trip is never part of the answer's
timing (``accounts.enqueue_verification``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache as django_cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from modules.identity import errors
from modules.identity.gateways import CHANNELS, get_gateway
from platform_core import audit
from platform_core.errors import RateLimited, ValidationFailed
from platform_core.phones import mask_phone
from platform_core.ratelimit import LOCAL, OPEN, hit


def user_model() -> Any:
    return get_user_model()


def _ident(value: str) -> str:
    """A keyed digest so rate-limit keys in Redis never hold a phone number."""
    return salted_hmac("identity.ratelimit", value).hexdigest()[:32]


def guard_otp_send(phone: str, ip: str | None) -> None:
    """Resend cooldown, then hourly sends per phone and per IP (429 when exceeded).

    With Redis down these count per process (LOCAL): each code costs an SMS, so a bound
    must survive the outage, and a per-process bound never refuses a first request."""
    pid = _ident(phone)
    cooldown = settings.OTP_RESEND_COOLDOWN_SECONDS
    if cooldown > 0:
        result = hit(
            f"identity:otp-cooldown:{pid}", limit=1, window_seconds=cooldown, on_outage=LOCAL
        )
        if not result.allowed:
            raise RateLimited(
                result.retry_after,
                _("Espera un momento antes de pedir otro código."),
                code="otp_cooldown",
            )
    result = hit(
        f"identity:otp-send:phone:{pid}",
        limit=settings.OTP_SENDS_PER_PHONE_PER_HOUR,
        window_seconds=3600,
        on_outage=LOCAL,
    )
    if not result.allowed:
        raise errors.too_many_sends(result.retry_after)
    if ip:
        result = hit(
            f"identity:otp-send:ip:{_ident(ip)}",
            limit=settings.OTP_SENDS_PER_IP_PER_HOUR,
            window_seconds=3600,
            on_outage=LOCAL,
        )
        if not result.allowed:
            raise errors.too_many_sends(result.retry_after)


class _Lockout:
    """Counts failures; after ``limit`` of them within ``window`` the key is locked.

    ``on_outage`` is the limiter's policy while Redis is down (platform_core.ratelimit):
    OPEN never locks (a wrong password stays a 401), LOCAL counts in this process."""

    def __init__(self, scope: str, *, limit: int, window: int, on_outage: str = OPEN) -> None:
        self.scope, self.limit, self.window = scope, limit, window
        self.on_outage = on_outage

    def _keys(self, ident: str) -> tuple[str, str]:
        base = f"identity:{self.scope}:{_ident(ident)}"
        return base, f"{base}:locked"

    def locked_for(self, ident: str) -> int:
        """Seconds left on the lock (0 when not locked)."""
        _, lock_key = self._keys(ident)
        until = django_cache.get(lock_key)
        if not until:
            return 0
        return max(1, int(until - timezone.now().timestamp()))

    def fail(self, ident: str) -> int:
        """Record a failure; returns the lock's seconds when this failure locks the key."""
        key, lock_key = self._keys(ident)
        result = hit(key, limit=self.limit, window_seconds=self.window, on_outage=self.on_outage)
        if result.allowed and (
            result.remaining > 0 or (self.on_outage == OPEN and result.degraded)
        ):
            return 0
        retry = self.window if result.allowed else result.retry_after
        django_cache.set(lock_key, timezone.now().timestamp() + retry, timeout=retry)
        return retry


def _otp_lockout() -> _Lockout:
    # LOCAL: a six-digit code must not become guessable while Redis is down.
    return _Lockout(
        "otp-fail",
        limit=settings.OTP_MAX_CHECKS,
        window=settings.OTP_CODE_TTL_SECONDS,
        on_outage=LOCAL,
    )


def login_lockouts() -> tuple[_Lockout, _Lockout]:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    return (
        _Lockout("login-fail:phone", limit=settings.LOGIN_FAILURES_PER_PHONE, window=window),
        _Lockout("login-fail:ip", limit=settings.LOGIN_FAILURES_PER_IP, window=window),
    )


@cache
def _dummy_hash() -> str:
    return make_password("studiozens-timing-equaliser")


def password_matches(user: Any, password: str) -> bool:
    """Always one full hasher round, also for unknown phones and unusable passwords.
    ``user.check_password`` re-hashes a correct password whose stored hash uses an older
    hasher or other parameters (PBKDF2 -> Argon2id) and saves it."""
    if user is not None and user.has_usable_password():
        return user.check_password(password)
    check_password(password, _dummy_hash())
    return False


def validate_password(password: str, user: Any) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            _("La contraseña no es suficientemente segura."),
            code="weak_password",
            details=[{"field": "password", "message": str(m)} for m in exc.messages],
        ) from None


def validate_channel(channel: str | None) -> str:
    channel = channel or settings.OTP_DEFAULT_CHANNEL
    if channel not in CHANNELS:
        raise ValidationFailed(
            _("El canal debe ser sms o whatsapp."),
            details=[{"field": "channel", "message": _("Usa sms o whatsapp.")}],
        )
    return channel


def clean_email(email: str) -> str:
    email = (email or "").strip()
    if not email:
        return ""
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed(
            _("El correo no es válido."),
            details=[{"field": "email", "message": _("Revisa el correo.")}],
        ) from None
    return user_model().objects.normalize_email(email)


def check_code(phone: str, code: str) -> bool:
    """Ask the gateway, locking the phone's verification after OTP_MAX_CHECKS failures."""
    lockout = _otp_lockout()
    if lockout.locked_for(phone):
        raise errors.too_many_checks()
    code = (code or "").strip()
    approved = code.isdigit() and 4 <= len(code) <= 10 and get_gateway().check(phone, code)
    if not approved and lockout.fail(phone):
        audit.record("otp.locked", target=f"phone:{mask_phone(phone)}")
        raise errors.too_many_checks()
    return bool(approved)


def reauthenticate(user: Any, *, password: str = "", code: str = "") -> None:
    """Proof of presence for sensitive changes: the password, or a fresh OTP."""
    if password:
        lockout = _Lockout("reauth", limit=settings.LOGIN_FAILURES_PER_PHONE, window=900)
        if lockout.locked_for(str(user.pk)):
            raise RateLimited(lockout.locked_for(str(user.pk)))
        if user.has_usable_password() and user.check_password(password):
            return
        if lockout.fail(str(user.pk)):
            raise RateLimited(lockout.window)
    elif code and check_code(user.phone_number, code):
        return
    raise errors.ReauthenticationFailed()
