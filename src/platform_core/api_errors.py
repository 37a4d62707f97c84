"""The one error shape: {"error": {"code", "message", "details"}} with the right status."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DataError
from django.http import Http404, HttpRequest, JsonResponse
from ninja import NinjaAPI
from ninja.errors import (
    AuthenticationError,
    AuthorizationError,
    HttpError,
    Throttled,
    ValidationError,
)
from ninja_extra.exceptions import APIException

from platform_core.errors import DomainError, RateLimited
from platform_core.request_context import get_request_id

logger = logging.getLogger("studiozens.api")

_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(status: int, code: str, message: str, details: Any = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, details), status=status)


def _validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    details = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "payload")]
        details.append(
            {"field": ".".join(loc), "message": err.get("msg", ""), "type": err.get("type", "")}
        )
    return details


def install(api: NinjaAPI) -> None:
    """Register the exception handlers that give every failure the one shape."""

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> JsonResponse:
        response = error_response(exc.status_code, exc.code, exc.message, exc.details)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> JsonResponse:
        return error_response(
            422,
            "validation_error",
            "Los datos enviados no son válidos.",
            _validation_details(exc.errors),
        )

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> JsonResponse:
        return error_response(401, "not_authenticated", "Debes iniciar sesión con un token válido.")

    @api.exception_handler(AuthorizationError)
    def authorization_error(request: HttpRequest, exc: AuthorizationError) -> JsonResponse:
        return error_response(403, "permission_denied", "No tienes permiso para hacer esto.")

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> JsonResponse:
        wait = int(exc.wait or 1)
        response = error_response(
            429,
            "rate_limited",
            "Demasiadas solicitudes. Intenta de nuevo más tarde.",
            {"retry_after": wait},
        )
        response["Retry-After"] = str(wait)
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> JsonResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(getattr(exc, "message", exc)))

    @api.exception_handler(APIException)
    def extra_api_error(request: HttpRequest, exc: APIException) -> JsonResponse:
        # ninja-jwt raises these (InvalidToken, AuthenticationFailed) with DRF-style details.
        status = int(exc.status_code)
        if status == 401:
            return error_response(401, "not_authenticated", "El token es inválido o ha expirado.")
        code = _STATUS_CODES.get(status, "error")
        return error_response(status, code, str(getattr(exc, "default_detail", "")) or code)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> JsonResponse:
        return error_response(404, "not_found", "No encontramos lo que buscas.")

    @api.exception_handler(DataError)
    def data_error(request: HttpRequest, exc: DataError) -> JsonResponse:
        # Input the database cannot store (a NUL byte in text, a number out of range) is bad
        # input, not a server failure (found by the schema fuzzer: tests/contract/).
        logger.warning(
            "Database rejected the input of %s %s: %s", request.method, request.path, exc
        )
        return error_response(422, "validation_error", "Los datos enviados no son válidos.")

    @api.exception_handler(DjangoPermissionDenied)
    def forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> JsonResponse:
        return error_response(403, "permission_denied", "No tienes permiso para hacer esto.")

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> JsonResponse:
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        try:
            import sentry_sdk

            sentry_sdk.capture_exception(exc)
        except Exception:  # noqa: BLE001, S110 - reporting must never mask the response
            pass
        request_id = get_request_id()
        return error_response(
            500,
            "internal_error",
            "Ocurrió un error inesperado. Ya fuimos notificados.",
            {"request_id": request_id},
        )
