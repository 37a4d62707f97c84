"""Request-body base class and typed fields shared by every module: the OpenAPI schema states
every rule the code enforces on an input (docs/api.md, "The schema is the contract").

Request bodies derive from ``InputSchema``, a plain pydantic model:

- unknown fields are refused (``additionalProperties: false`` in the schema, 422
  ``extra_forbidden`` with the field named);
- a body that is not a JSON object (a string, a list, null) is refused (422
  ``model_type``). ninja's ``Schema`` reads its input through attribute access (it is built
  for ORM objects), so ``"AAA"`` validated as a body whose fields are all optional and
  unknown keys were dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError


class InputSchema(BaseModel):
    """A request body: a JSON object with exactly the declared fields."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def body_example(value: dict[str, Any]) -> ConfigDict:
    """``model_config`` of a request body carrying its example (``examples`` in the schema,
    lifted to the request body's ``example`` by the API): every request body has one, and
    tests/contract/test_schema_docs.py validates each against its schema."""
    return ConfigDict(json_schema_extra={"examples": [value]})


# --- Phone numbers --------------------------------------------------------------------------
# What platform_core.phones.normalize_phone accepts: E.164 (+ and 8-15 digits) or a Colombian
# national number (10 digits), spaces, dots, dashes and parentheses allowed between digits.
# The pattern states the shape; whether the number exists in the numbering plan (libphonenumber)
# is what ``format: phone`` adds (a schema cannot list every operator's ranges).
PHONE_PATTERN = r"^\+?[0-9][0-9 ().-]{6,22}[0-9]$"
PHONE_DESCRIPTION = (
    "Phone number in E.164 (`+573001234567`) or Colombian national form (`3001234567`); "
    "it must be a valid number of its country's numbering plan (libphonenumber)."
)


def Phone(
    default: Any = ...,
    *,
    description: str = PHONE_DESCRIPTION,
) -> Any:
    """A phone-number field; with a default ("") the field may also be empty."""
    optional = default is not ...
    return Field(
        default,
        min_length=0 if optional else 8,
        max_length=32,
        pattern=rf"^$|{PHONE_PATTERN}" if optional else PHONE_PATTERN,
        description=description,
        json_schema_extra={"format": "phone"},
        examples=["+573001234567"],
    )


# --- E-mail addresses -----------------------------------------------------------------------
# Django's EmailValidator (what identity applies) as a pattern: dot-atom local part, host
# labels of letters, digits and inner hyphens, a top-level label of 2 to 63 letters.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^(?:{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}})$"


def Email(default: Any = "", *, description: str = "") -> Any:
    """An e-mail address field; the empty string means none."""
    return Field(
        default,
        max_length=254,
        pattern=rf"^$|{EMAIL_PATTERN}",
        description=description or "E-mail address, or an empty string for none.",
        examples=["ana@example.com"],
    )


# --- One-time codes and passwords -----------------------------------------------------------
OTP_CODE_PATTERN = r"^[0-9]{4,10}$"


def OtpCode(default: Any = ..., *, description: str = "") -> Any:
    return Field(
        default,
        pattern=OTP_CODE_PATTERN if default is ... else rf"^$|{OTP_CODE_PATTERN[1:-1]}$",
        max_length=10,
        description=description
        or "The one-time code sent by SMS or WhatsApp (4 to 10 digits; 6 as sent today).",
        examples=["123456"],
    )


PASSWORD_MIN_LENGTH = 8
PASSWORD_DESCRIPTION = (
    "New password: 8 to 128 characters, not only digits, not a common password and not "
    "similar to the account's name, e-mail or phone (Django's password validators; a refusal "
    "is 422 `weak_password` listing the reasons)."
)


def NewPassword(default: Any = ..., *, description: str = PASSWORD_DESCRIPTION) -> Any:
    """A new password; with a default ("") the field may also be empty (no password)."""
    optional = default is not ...
    return Field(
        default,
        min_length=0 if optional else PASSWORD_MIN_LENGTH,
        max_length=128,
        pattern=rf"^(|[\s\S]{{{PASSWORD_MIN_LENGTH},}})$" if optional else None,
        description=description,
        json_schema_extra={"format": "password"},
        examples=["Zen-Bogota-2030!"],
    )


# --- Dates and times ------------------------------------------------------------------------
# pydantic's lax mode reads a date from a number ("0" -> 1970-01-01) and a datetime from a
# Unix timestamp; the schema says ``format: date`` / ``date-time``, so only ISO 8601 text is
# accepted.
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_ISO_DATETIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")


def _iso_date_text(value: Any) -> Any:
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise PydanticCustomError("date_parsing", "Input should be a valid date (YYYY-MM-DD)")
    if isinstance(value, (int, float)):
        raise PydanticCustomError("date_type", "Input should be a valid date")
    return value


def _iso_datetime_text(value: Any) -> Any:
    if isinstance(value, str) and not _ISO_DATETIME.match(value):
        raise PydanticCustomError("datetime_parsing", "Input should be an ISO 8601 date-time")
    if isinstance(value, (int, float)):
        raise PydanticCustomError("datetime_type", "Input should be a valid datetime")
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError("timezone_aware", "Datetime should have timezone info")
    return value


# The supported range (platform_core.input_bounds refuses anything outside it with a 422 before
# the view runs) is stated in the schema as ``formatMinimum``/``formatMaximum``.
_DATE_RANGE = Field(
    json_schema_extra={"formatMinimum": "1900-01-01", "formatMaximum": "2100-12-31"}
)
_DATETIME_RANGE = Field(
    json_schema_extra={
        "formatMinimum": "1900-01-01T00:00:00Z",
        "formatMaximum": "2100-12-31T23:59:59Z",
    }
)
IsoDate = Annotated[date, BeforeValidator(_iso_date_text), _DATE_RANGE]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime_text), _DATETIME_RANGE]
# A datetime sent by a client must carry its offset (`2030-01-15T10:00:00-05:00`): a naive one
# is ambiguous and refused (422 `timezone_aware`), as the schema's description says.
AwareDateTime = Annotated[
    datetime, BeforeValidator(_iso_datetime_text), AfterValidator(_aware), _DATETIME_RANGE
]


# --- Booleans and integers ------------------------------------------------------------------
# JSON has true/false and integers: pydantic's lax mode would also read 0, "yes" or "3" and
# 3.0, which the schema (``type: boolean`` / ``integer``) calls invalid. Request bodies use
# these strict types.
Flag = StrictBool


def _no_text_or_bool(value: Any) -> Any:
    # JSON Schema's integer includes 17.0 (pydantic reads it as 17, and refuses 17.5); text
    # and booleans are not numbers.
    if isinstance(value, str | bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


Int = Annotated[int, BeforeValidator(_no_text_or_bool)]


def _must_be_true(value: bool) -> bool:
    if value is not True:
        raise PydanticCustomError("literal_error", "Input should be true", {"expected": "true"})
    return value


# A consent that must be given: ``true`` and nothing else (``const: true`` in the schema).
TrueFlag = Annotated[
    StrictBool, AfterValidator(_must_be_true), WithJsonSchema({"type": "boolean", "const": True})
]


# --- Descriptions ---------------------------------------------------------------------------
# Every field and parameter of the schema has a description (tests/contract/test_schema_docs.py).
# Fields that mean the same everywhere are described once here; each module adds its own
# (its plugin's ``schema_docs``). A key is a field name, or "Component.field" where one
# component's field means something narrower; parameters also match "query.name"/"path.name".
FIELD_DOCS: dict[str, str] = {
    "id": "Public identifier (UUID) of the object.",
    "name": "Display name.",
    "description": "Longer description shown to clients.",
    "slug": "URL-safe identifier of the category.",
    "code": "Stable code of the object.",
    "status": "Current status (see the enum or the module's guide).",
    "created_at": "When it was created (ISO 8601 with offset, Bogotá -05:00).",
    "currency": "ISO 4217 currency of the amounts (COP).",
    "notes": "Free-text notes.",
    "items": "The objects of this page.",
    "count": "Number of objects across all pages.",
    "page": "Page number, from 1.",
    "page_size": "Objects per page.",
    "pages": "Number of pages (at least 1).",
    "error": "The error: a stable code, a Spanish message and optional details.",
    "detail": "Spanish text to show the user.",
    "first_name": "First name(s).",
    "last_name": "Last name(s).",
    "email": "E-mail address (empty when none).",
    "phone_number": "Phone number in E.164 (+573001234567).",
    "roles": "Roles: client, therapist, reception, admin.",
    "password": "The account's current password.",
    "channel": "Where to send the one-time code: sms (default) or whatsapp.",
    "reference": "The payment's unique reference (SZ-…), as Wompi knows it.",
    "amount_in_cents": "Amount to pay in minor units (COP cents: 5400000 is $ 54.000).",
    "checkout_url": "Wompi Web Checkout URL, signed by the server: redirect the browser to it.",
    "expiration_time": (
        "When the checkout link expires, or null: Wompi's widget parameter exactly as it was "
        "signed (signature_integrity covers it), so in Wompi's format, ISO 8601 UTC with Z; the "
        "API's one exception to Bogotá time (docs/api.md)."
    ),
    "public_key": "Wompi public key (for the Wompi widget or tokenizing a card).",
    "price_cents": "Price in minor units (COP cents: 18000000 is $ 180.000).",
    "vip_price_cents": "Price for VIP members in minor units, or null when there is none.",
    "start": "Start (ISO 8601 with offset, Bogotá -05:00).",
    "end": "End (ISO 8601 with offset, Bogotá -05:00).",
    "timezone": "The spa's time zone (America/Bogota).",
    "refund_requested": "Whether a refund to the client was requested.",
    "expires_at": "When it expires unless paid (ISO 8601 with offset), or null.",
    "is_vip": "Whether the account has an active VIP membership.",
    "vip_until": "End of the VIP membership (ISO 8601 with offset), or null.",
    "days": "Number of days counted back from today.",
    "q": "Text to search for.",
    "recaptcha_token": "reCAPTCHA v3 token (required when the server has reCAPTCHA on).",
    "refresh": "A refresh token (JWT).",
    "access": "Access token (JWT, 15 minutes): send it as Authorization: Bearer.",
    # Platform's own schemas.
    "IndexOut.version": "API version (semantic; additive changes within a major version).",
    "IndexOut.docs": "Path of the interactive documentation.",
    "IndexOut.schema_url": "Path of this OpenAPI schema.",
    "IndexOut.modules": "The modules mounted under /api/.",
    "ModuleOut.prefix": "URL prefix of the module.",
    "LivenessOut.status": "ok when the process answers.",
    "LivenessOut.timestamp": "Server time (ISO 8601 with offset, Bogotá -05:00).",
    "ReadinessOut.status": "ok, or unavailable when a check failed (then 503).",
    "ReadinessOut.checks": "Each dependency's check by name.",
    "CheckOut.status": "ok or error.",
    "CheckOut.ms": "How long the check took, in milliseconds.",
    "CheckOut.error": "What failed, or null.",
    "OutboxItemOut.channel": "whatsapp, sms or email.",
    "OutboxItemOut.to": "Recipient (phone in E.164 or e-mail).",
    "OutboxItemOut.template": "Template name (otp, reminder, …).",
    "OutboxItemOut.subject": "Subject (e-mail only).",
    "OutboxItemOut.body": "The text sent.",
    "OutboxItemOut.status": "queued, sent, delivered or failed.",
    "OutboxItemOut.sent_via": "The provider that sent it (twilio, console, …).",
    "OutboxItemOut.attempts": "Delivery attempts so far.",
    "OutboxItemOut.error_code": "The provider's error code of the last failure, or empty.",
    "query.to": "Only notifications to this phone number or e-mail address.",
    "query.template": "Only notifications of this template (e.g. otp).",
}


def document_fields(schema: dict[str, Any], docs: Mapping[str, str]) -> list[str]:
    """Fill the descriptions the models leave out from ``docs`` (in place); return what is
    still undescribed ("Component.field", "METHOD /path param")."""
    missing: list[str] = []
    for component, body in schema.get("components", {}).get("schemas", {}).items():
        for name, prop in (body.get("properties") or {}).items():
            if prop.get("description"):
                continue
            text = docs.get(f"{component}.{name}") or docs.get(name)
            if text:
                prop["description"] = text
            else:
                missing.append(f"{component}.{name}")
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            for parameter in operation.get("parameters") or []:
                if parameter.get("description"):
                    continue
                name, where = parameter["name"], parameter["in"]
                text = (
                    (parameter.get("schema") or {}).get("description")
                    or docs.get(f"{where}.{name}")
                    or docs.get(name)
                )
                if text:
                    parameter["description"] = text
                else:
                    missing.append(f"{method.upper()} {path} {name}")
    return missing


def document_request_examples(schema: dict[str, Any]) -> list[str]:
    """Give every request body its example (in place) from the ``examples`` its schema
    declares (``body_example``): ``example`` for one schema, named ``examples`` for a union
    (one per member, e.g. pickup and delivery); return the bodies ("METHOD /path") that still
    have none."""
    components = schema.get("components", {}).get("schemas", {})

    def declared(node: Mapping[str, Any]) -> list[Any]:
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            node = components.get(ref.rsplit("/", 1)[-1], {})
        return list(node.get("examples") or [])

    missing: list[str] = []
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            content = ((operation.get("requestBody") or {}).get("content")) or {}
            for media in content.values():
                if "example" in media or media.get("examples"):
                    continue
                body = media.get("schema") or {}
                # An optional body (``X | None``) is a union with null: only X has examples.
                members = [
                    m
                    for m in body.get("oneOf") or body.get("anyOf") or ()
                    if m.get("type") != "null"
                ]
                if declared(body):
                    media["example"] = declared(body)[0]
                elif len(members) == 1 and declared(members[0]):
                    media["example"] = declared(members[0])[0]
                elif members and all(declared(member) for member in members):
                    media["examples"] = {
                        member.get("$ref", "").rsplit("/", 1)[-1] or f"example{i}": {
                            "value": declared(member)[0]
                        }
                        for i, member in enumerate(members, 1)
                    }
                else:
                    missing.append(f"{method.upper()} {path}")
    return missing
