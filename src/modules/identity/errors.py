"""identity's domain errors (rendered in the one error shape by platform_core.api_errors)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from platform_core.errors import (
    Conflict,
    NotAuthenticated,
    PermissionDenied,
    RateLimited,
    ServiceUnavailable,
    ValidationFailed,
)


class InvalidCode(PermissionDenied):
    # 403, not 422: the code is well-formed (the schema states its shape) but does not prove
    # control of the number, like a failed re-authentication.
    code = "invalid_code"
    default_message = _("El código no es válido o ya venció. Solicita uno nuevo.")


class InvalidPhoneForVerification(ValidationFailed):
    code = "invalid_phone"
    default_message = _("No podemos enviar un código a este número. Verifica que sea un celular.")


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    default_message = _("El número o la contraseña no son correctos.")


class AccountNotVerified(NotAuthenticated):
    code = "account_not_verified"
    default_message = _("Tu cuenta aún no está verificada. Ingresa el código que te enviamos.")


class TokenInvalid(NotAuthenticated):
    code = "token_invalid"
    default_message = _("La sesión no es válida o ya expiró. Inicia sesión de nuevo.")


class ReauthenticationFailed(PermissionDenied):
    code = "reauthentication_failed"
    default_message = _("No pudimos confirmar tu identidad. Revisa la contraseña o el código.")


class PhoneTaken(Conflict):
    code = "phone_taken"
    default_message = _("Este número ya está asociado a otra cuenta.")


class RecaptchaFailed(ValidationFailed):
    code = "recaptcha_failed"
    default_message = _("No pudimos verificar que no eres un robot. Intenta de nuevo.")


class VerificationUnavailable(ServiceUnavailable):
    code = "verification_unavailable"
    default_message = _(
        "No pudimos enviar ni verificar el código en este momento. Intenta más tarde."
    )


def too_many_checks() -> RateLimited:
    """Twilio 60202 / our own lock: too many wrong codes for this verification."""
    return RateLimited(
        settings.OTP_CODE_TTL_SECONDS,
        _("Demasiados intentos con códigos incorrectos. Solicita un código nuevo más tarde."),
        code="verification_locked",
    )


def too_many_sends(retry_after: int | None = None) -> RateLimited:
    """Twilio 60203 / our own limiter: too many codes sent to this number."""
    return RateLimited(
        retry_after or settings.OTP_CODE_TTL_SECONDS,
        _("Enviamos demasiados códigos a este número. Intenta de nuevo más tarde."),
        code="verification_max_sends",
    )
