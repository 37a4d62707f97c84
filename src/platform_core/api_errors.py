"""The one error shape: {"error": {"code", "message", "details"}} with the right status."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DataError
from django.http import Http404, HttpRequest, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import (
    AuthenticationError,
    AuthorizationError,
    HttpError,
    Throttled,
    ValidationError,
)
from ninja.parser import Parser
from ninja_extra.exceptions import APIException

from platform_core.errors import DomainError, RateLimited
from platform_core.request_context import get_request_id
from platform_core.validation_messages import spanish_message

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


class ErrorDetail(Schema):
    code: str = Field(
        description="Stable, machine-readable snake_case code (not_found, slot_taken, ...): "
        "branch on it."
    )
    message: str = Field(description="Spanish (es-CO) text, safe to show to the end user.")
    details: Any = Field(
        description="null, or structured data: for validation_error a list of "
        "{field, message, type}; for 429 {retry_after}; for 500 {request_id}; "
        "module-specific objects for other codes."
    )


class ErrorResponse(Schema):
    """The one error shape, whatever the status."""

    error: ErrorDetail


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(status: int, code: str, message: str, details: Any = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, details), status=status)


# The answers for statuses Django itself produces under /api/, outside the API's views (the
# error-shape middleware, Django's handler400/403/404/500 in platform_core.error_views).
GENERIC_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "No pudimos leer la solicitud: revisa su formato."),
    403: ("permission_denied", "No tienes permiso para hacer esto."),
    404: ("not_found", "No encontramos lo que buscas."),
    405: ("method_not_allowed", "Método no permitido para este recurso."),
    413: ("payload_too_large", "La solicitud es demasiado grande."),
}


def generic_error(status: int) -> JsonResponse:
    code, message = GENERIC_ERRORS[status]
    return error_response(status, code, message)


def internal_error() -> JsonResponse:
    """A 500: a bug, never bad input. Its request_id is what the client quotes to support."""
    return error_response(
        500,
        "internal_error",
        "Ocurrió un error inesperado. Ya fuimos notificados.",
        {"request_id": get_request_id()},
    )


def _validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    details = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "payload")]
        details.append(
            {"field": ".".join(loc), "message": spanish_message(err), "type": err.get("type", "")}
        )
    return details


class UnsupportedMediaType(Exception):
    """A JSON operation received a body of another media type."""


_JSON_TYPES = frozenset({"application/json", ""})


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's json accepts NaN and Infinity


class JsonBodyParser(Parser):
    """JSON bodies only: ``application/json`` (or ``application/*+json``, or no type at
    all); NaN/Infinity literals refused. Ninja wraps any failure here in a 400 whose cause
    the ``HttpError`` handler below turns into the one shape (415 or a Spanish 400)."""

    def parse_body(self, request: HttpRequest) -> Any:
        meta = getattr(request, "META", None) or {}
        media_type = str(meta.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()
        if media_type not in _JSON_TYPES and not (
            media_type.startswith("application/") and media_type.endswith("+json")
        ):
            raise UnsupportedMediaType(media_type)
        return json.loads(request.body, parse_constant=_reject_constant)


def max_body_bytes() -> int:
    """The one request-body limit (``DATA_UPLOAD_MAX_MEMORY_SIZE``), webhooks included."""
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)


def payload_too_large() -> JsonResponse:
    limit = max_body_bytes()
    return error_response(
        413,
        "payload_too_large",
        _("La solicitud es demasiado grande (máximo %(kib)s KiB).") % {"kib": limit // 1024},
        {"max_bytes": limit},
    )


def unreadable_body() -> JsonResponse:
    return error_response(
        400, "bad_request", _("No pudimos leer el cuerpo de la solicitud: revisa su formato.")
    )


def unsupported_media_type() -> JsonResponse:
    return error_response(
        415,
        "unsupported_media_type",
        _("Tipo de contenido no admitido: envía el cuerpo como application/json."),
    )


def install(api: NinjaAPI) -> None:
    """Register the exception handlers that give every failure the one shape."""
    api.parser = JsonBodyParser()

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> JsonResponse:
        return payload_too_large()

    @api.exception_handler(MultiPartParserError)
    def bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> JsonResponse:
        return unreadable_body()

    @api.exception_handler(UnreadablePostError)
    def unreadable(request: HttpRequest, exc: UnreadablePostError) -> JsonResponse:
        return unreadable_body()

    @api.exception_handler(TooManyFieldsSent)
    def too_many_fields(request: HttpRequest, exc: TooManyFieldsSent) -> JsonResponse:
        return payload_too_large()

    @api.exception_handler(TooManyFilesSent)
    def too_many_files(request: HttpRequest, exc: TooManyFilesSent) -> JsonResponse:
        return payload_too_large()

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> JsonResponse:
        logger.warning("Suspicious request on %s %s: %s", request.method, request.path, exc)
        return unreadable_body()

    @api.exception_handler(BadRequest)
    def bad_request(request: HttpRequest, exc: BadRequest) -> JsonResponse:
        return unreadable_body()

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
        return generic_error(403)

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
        cause = exc.__cause__
        if isinstance(cause, UnsupportedMediaType):
            return unsupported_media_type()
        if isinstance(cause, RequestDataTooBig):
            return payload_too_large()
        if exc.status_code == 400 and cause is not None:
            # Ninja's "Cannot parse request body (<parser text>)": never show Python's text.
            return error_response(
                400, "bad_request", _("El cuerpo de la solicitud no es JSON válido.")
            )
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
        return generic_error(404)

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
        return generic_error(403)

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> JsonResponse:
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        try:
            import sentry_sdk

            sentry_sdk.capture_exception(exc)
        except Exception:  # noqa: BLE001, S110 - reporting must never mask the response
            pass
        return internal_error()


# --- The error responses in the OpenAPI schema --------------------------------------------------
# Every operation documents the errors it can answer with, all in the one shape (ErrorResponse),
# as reusable responses under components.responses. Generic rules cover what the schema itself
# shows (authentication, path identifiers, inputs, writes); what they cannot see (a public
# login answering 401, rate-limited OTP endpoints, a provider being down, signed webhooks) is
# declared by the API builder. Schemathesis checks the result (status_code_conformance).

ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: (
        "BadRequest",
        "Malformed request (`bad_request`): the body is not valid JSON or cannot be read.",
    ),
    401: (
        "NotAuthenticated",
        "Not authenticated (`not_authenticated`): missing, invalid or expired token, or wrong "
        "credentials (`invalid_credentials`); on a webhook, a bad signature.",
    ),
    403: (
        "PermissionDenied",
        "Not allowed (`permission_denied`): the role does not allow it; a one-time code that "
        "does not match (`invalid_code`); on a webhook, a missing or invalid signature "
        "(`invalid_signature`).",
    ),
    404: ("NotFound", "Unknown object, or someone else's (`not_found` or a specific code)."),
    409: (
        "Conflict",
        "The request is well-formed but the current state does not allow it (`conflict` or a "
        "specific code: `slot_taken`, `outside_booking_window`, `out_of_stock`, `cart_empty`, "
        "`invalid_status_transition`, `idempotency_key_reused`, ...).",
    ),
    422: (
        "ValidationError",
        "The input breaks the schema: `validation_error` (details lists the fields), or a rule "
        "the schema names by format (`invalid_phone` for `format: phone`, `weak_password` for "
        "`format: password`, an e-mail address for `format: email`).",
    ),
    413: (
        "PayloadTooLarge",
        "The body is over the one request-body limit (`payload_too_large`, `details.max_bytes`).",
    ),
    415: (
        "UnsupportedMediaType",
        "A JSON body sent with another Content-Type (`unsupported_media_type`).",
    ),
    429: (
        "RateLimited",
        "Too many requests (`rate_limited` or a specific code such as `otp_cooldown`); wait "
        "`Retry-After` seconds.",
    ),
    503: (
        "ServiceUnavailable",
        "A provider (Wompi, Twilio) is unavailable (`service_unavailable`, "
        "`payment_gateway_unavailable`); retry later.",
    ),
}
_UNSAFE_METHODS = frozenset({"post", "put", "patch", "delete"})
_METHODS = frozenset({"get", "head", "options", *_UNSAFE_METHODS})


def generic_error_statuses(method: str, operation: Mapping[str, Any]) -> set[int]:
    """The errors any operation of this form can answer with, whatever its handler does:

    - authenticated (``security``): 401 (token) and 403 (role, or someone else's action);
    - a path parameter: 404 (unknown or someone else's object);
    - parameters or a body: 422 (schema validation, or input the database refuses);
    - a body: 400 (unparsable), 413 (over the size limit); a JSON body also 415 (another
      media type);
    - a write: 409 (the state of the object does not allow it).
    """
    statuses: set[int] = set()
    parameters = operation.get("parameters") or []
    if operation.get("security"):
        statuses |= {401, 403}
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if parameters or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses |= {400, 413}
        if "application/json" in (operation["requestBody"].get("content") or {}):
            statuses.add(415)
    if method in _UNSAFE_METHODS:
        statuses.add(409)
    return statuses


def _error_response_components() -> tuple[dict[str, Any], dict[str, Any]]:
    """(schemas, responses) to merge into the schema's components."""
    json_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = {**json_schema.pop("$defs", {}), "ErrorResponse": json_schema}
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
    responses: dict[str, Any] = {}
    for status, (name, description) in ERROR_RESPONSES.items():
        response: dict[str, Any] = {
            "description": f"{HTTPStatus(status).phrase}. {description}",
            "content": content,
        }
        if status == 429:
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before trying again.",
                    "schema": {"type": "integer"},
                }
            }
        responses[name] = response
    return schemas, responses


def _declares_own_schema(response: Mapping[str, Any]) -> bool:
    """A handler's own error response with a named schema (readiness's 503 ReadinessOut)."""
    for media in (response.get("content") or {}).values():
        if "$ref" in (media.get("schema") or {}):
            return True
    return False


def document_error_responses(
    schema: dict[str, Any], *, extra: Mapping[str, Iterable[int]] | None = None
) -> dict[str, Any]:
    """Add the error responses to every operation of an OpenAPI schema (in place).

    ``extra`` maps ``"METHOD /path"`` (as in the schema) to statuses the generic rules cannot
    see. A key that names no operation is logged (and fails tests/contract), so a renamed
    route cannot silently lose its errors.
    """
    extra = {key: set(statuses) for key, statuses in (extra or {}).items()}
    schemas, responses = _error_response_components()
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {}).update(schemas)
    components.setdefault("responses", {}).update(responses)
    for key, method, operation in operations(schema):
        statuses = generic_error_statuses(method, operation) | extra.get(key, set())
        # ninja keys the handler's own responses by int; the schema's JSON keys are strings.
        declared = {str(code): value for code, value in operation.get("responses", {}).items()}
        for status in sorted(statuses):
            current = declared.get(str(status))
            if current is not None and _declares_own_schema(current):
                continue
            declared[str(status)] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}
        operation["responses"] = dict(sorted(declared.items()))
    unknown = unknown_operations(schema, extra)
    if unknown:
        logger.warning("error statuses declared for unknown operations: %s", unknown)
    return schema


def operations(schema: Mapping[str, Any]) -> Iterable[tuple[str, str, dict[str, Any]]]:
    for path, path_item in schema.get("paths", {}).items():
        for method, operation in path_item.items():
            if method in _METHODS:
                yield f"{method.upper()} {path}", method, operation


def unknown_operations(schema: Mapping[str, Any], declared: Iterable[str]) -> list[str]:
    """Keys of an ``extra`` declaration that name no operation of the schema."""
    known = {key for key, _method, _operation in operations(schema)}
    return sorted(set(declared) - known)
