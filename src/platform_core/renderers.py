"""The API's JSON renderer: orjson, with one convention for times (Bogotá offset).

orjson serialises dicts, lists, str, int, UUID and enums in C (measured 3-10x faster than
``json.dumps`` with Ninja's encoder on catalog pages; docs/performance.md). Dates, times and
Decimals keep the exact format of Django's encoder (ISO 8601 with milliseconds; Decimal as a
string); non-ASCII text is sent as UTF-8 instead of ``\\uXXXX`` escapes (same JSON value).

Times: every aware datetime goes out in the spa's wall clock with its offset
(``2030-01-15T10:00:00-05:00``, America/Bogota), as clients send them: one convention for the
whole API (docs/api.md "Money, time, identifiers"), never ``Z``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.utils import timezone
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_fallback = NinjaJSONEncoder()


def _default(value: Any) -> Any:
    # Datetimes (passed through), Decimal, lazy translations, pydantic models, URLs, IPs...
    if type(value) is datetime:
        return _datetime_text(value)
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return _fallback.default(value)


def _datetime_text(value: datetime) -> str:
    """DjangoJSONEncoder's datetime format (ISO 8601, milliseconds, ``Z`` for UTC) of the
    value in the spa's time zone. Written out because a list of slots or appointments holds
    hundreds of datetimes: ``timezone.localtime`` reads the active zone through asgiref's
    Local each time (~40 % of a slot page's rendering). No code activates another zone, so
    the default zone is the one ``localtime`` would use (docs/api.md: Bogotá time always)."""
    if value.utcoffset() is not None:
        value = value.astimezone(timezone.get_default_timezone())
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


class LocalTimeJSONEncoder(DjangoJSONEncoder):
    """The same convention for the few views that answer with ``JsonResponse`` (a prebuilt
    feed): aware datetimes in Bogotá time with their offset."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime) and timezone.is_aware(o):
            o = timezone.localtime(o)
        return super().default(o)


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default, option=_OPTIONS)


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return dumps(data)


def api_time(value: datetime | None) -> str | None:
    """An aware datetime as the API writes it (Bogotá time with its offset), for the few
    payloads built as text before rendering (personal-data exports)."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
