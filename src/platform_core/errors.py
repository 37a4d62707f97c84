"""Domain errors: raised by services, rendered by the API in the one error shape.

Messages are shown to clients, so they are Spanish and marked for translation.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status_code = 400
    code = "bad_request"
    default_message = _("La solicitud no es válida.")

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Any = None,
        status_code: int | None = None,
    ) -> None:
        self.message = str(message if message is not None else self.default_message)
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.details = details
        super().__init__(self.message)


class ValidationFailed(DomainError):
    status_code = 422
    code = "validation_error"
    default_message = _("Los datos enviados no son válidos.")


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    default_message = _("No encontramos lo que buscas.")


class PermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"
    default_message = _("No tienes permiso para hacer esto.")


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"
    default_message = _("Debes iniciar sesión.")


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    default_message = _("La operación entra en conflicto con el estado actual.")


class RateLimited(DomainError):
    status_code = 429
    code = "rate_limited"
    default_message = _("Demasiadas solicitudes. Intenta de nuevo más tarde.")

    def __init__(self, retry_after: int, message: str | None = None, **kwargs: Any) -> None:
        self.retry_after = max(1, int(retry_after))
        kwargs.setdefault("details", {"retry_after": self.retry_after})
        super().__init__(message, **kwargs)


class ServiceUnavailable(DomainError):
    status_code = 503
    code = "service_unavailable"
    default_message = _("El servicio no está disponible en este momento. Intenta más tarde.")
