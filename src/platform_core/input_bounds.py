"""The supported range of every date, datetime, integer and float an API request carries.

Pydantic accepts ``0001-01-01``, ``9999-12-31``, integers of any size and (from JSON's
``NaN``/``Infinity`` literals) non-finite floats; arithmetic on them then overflows into a
500 (``date_from=9999-12-31`` on the public availability endpoint did). Two layers:

* ``BoundedDate``, ``BoundedDateTime`` and ``BoundedInt`` (Annotated types) state the range
  in a schema, so it shows in OpenAPI; modules use them for their inputs.
* ``install(api)`` checks the validated values of EVERY operation (query, path, body, nested
  schemas, lists) before the view runs, so a field declared with a plain ``date`` or ``int``
  is covered too. Out of range → 422 ``validation_error`` naming the field, in the one shape.

Range: dates and datetimes from 1900-01-01 to 2100-12-31 (whatever the time zone); integers
within ±(2^53 − 1), the integers a JavaScript client represents exactly; floats finite; text
without U+0000 (PostgreSQL cannot store or compare it: a NUL in ``?q=`` or a path was a
DataError, a 422 that named no field; SQLite stored it).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError
from pydantic import AfterValidator, BaseModel, Field

DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2100, 12, 31)
INT_MAX = 2**53 - 1
INT_MIN = -INT_MAX

_DATE_SCHEMA = {"formatMinimum": DATE_MIN.isoformat(), "formatMaximum": DATE_MAX.isoformat()}

BoundedDate = Annotated[
    date,
    Field(
        ge=DATE_MIN,
        le=DATE_MAX,
        json_schema_extra=_DATE_SCHEMA,
        description=f"Fecha entre {DATE_MIN.isoformat()} y {DATE_MAX.isoformat()}.",
    ),
]
BoundedInt = Annotated[int, Field(ge=INT_MIN, le=INT_MAX)]


def _datetime_in_range(value: datetime) -> datetime:
    if not DATE_MIN <= value.date() <= DATE_MAX:
        raise ValueError(_out_of_range_message())
    return value


def _out_of_range_message() -> str:
    return _("La fecha debe estar entre %(min)s y %(max)s.") % {
        "min": DATE_MIN.isoformat(),
        "max": DATE_MAX.isoformat(),
    }


BoundedDateTime = Annotated[
    datetime,
    AfterValidator(_datetime_in_range),
    Field(
        json_schema_extra={
            "formatMinimum": f"{DATE_MIN.isoformat()}T00:00:00Z",
            "formatMaximum": f"{DATE_MAX.isoformat()}T23:59:59Z",
        }
    ),
]


def out_of_range(value: Any) -> str | None:
    """The error type when ``value`` is a scalar outside the supported range, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return None if DATE_MIN <= value.date() <= DATE_MAX else "date_out_of_range"
    if isinstance(value, date):
        return None if DATE_MIN <= value <= DATE_MAX else "date_out_of_range"
    if isinstance(value, int):
        return None if INT_MIN <= value <= INT_MAX else "int_out_of_range"
    if isinstance(value, float):
        return None if math.isfinite(value) else "float_not_finite"
    if isinstance(value, str):
        return "string_contains_nul" if "\x00" in value else None
    return None


def _walk(
    value: Any, loc: tuple[Any, ...], depth: int = 0
) -> Iterator[tuple[tuple[Any, ...], str]]:
    if depth > 32:  # far deeper than any schema here; bodies are size-limited anyway
        return
    kind = out_of_range(value)
    if kind is not None:
        yield loc, kind
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name, None), (*loc, name), depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*loc, key), depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from _walk(item, (*loc, index), depth + 1)


_CONTEXT = {
    "date_out_of_range": {"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()},
    "int_out_of_range": {"min": INT_MIN, "max": INT_MAX},
    "float_not_finite": {},
    "string_contains_nul": {},
}


def check(values: dict[str, Any]) -> None:
    """Raise Ninja's ValidationError (422, the one shape, Spanish messages from
    platform_core.validation_messages) for every out-of-range value."""
    errors = [
        {"loc": loc, "type": kind, "msg": kind, "ctx": _CONTEXT[kind]}
        for name, value in values.items()
        for loc, kind in _walk(value, (name,))
    ]
    if errors:
        raise ValidationError(errors)


def _bounded(view_func: Callable[..., Any]) -> Callable[..., Any]:
    """Ninja "operation" decorator: runs after validation, before the view (and before
    any decorator of the view's own, such as pagination or idempotency keys)."""

    @functools.wraps(view_func)
    def view_with_bounded_inputs(request: HttpRequest, *args: Any, **values: Any) -> Any:
        check(values)
        return view_func(request, *args, **values)

    return view_with_bounded_inputs


def install(api: NinjaAPI) -> None:
    """Check the inputs of every operation of ``api`` (before ``api.urls`` is built)."""
    api.add_decorator(_bounded, mode="operation")
