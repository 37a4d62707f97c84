"""``OutputSchema``: a response schema that validates a plain dict as a mapping.

ninja's ``Schema`` reads every input through a ``DjangoGetter`` (built for ORM objects): one
Python ``__getattr__`` per field, which looks for a resolver, reads the key and passes the
value through ``_convert_result`` (call a callable, list a manager or queryset, a file's
URL). For a view that already answers with plain dicts (booking's ``shapes.py``, the
availability search) that was ~20 % of a cached availability answer's CPU (issue 21).

``OutputSchema`` hands such a dict to pydantic directly when nothing the getter would do
applies — the class has no ``resolve_*`` resolver and no value is callable, a manager, a
queryset or a file — so the result is the same model, field for field (a missing key is
missing either way; aliases are read the same). Anything else (an ORM object, a dict
holding one of those values, a schema with resolvers) takes ninja's path unchanged.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Manager, QuerySet
from django.db.models.fields.files import FieldFile
from ninja import Schema
from pydantic import ModelWrapValidatorHandler, ValidationInfo, model_validator

__all__ = ["OutputSchema"]

# What DjangoGetter._convert_result transforms besides callables.
_CONVERTED = (Manager, QuerySet, FieldFile)


def _plain(values: dict[str, Any]) -> bool:
    return not any(callable(v) or isinstance(v, _CONVERTED) for v in values.values())


class OutputSchema(Schema):
    """A response schema; plain dict inputs skip ninja's attribute getter (same result)."""

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        if (
            type(values) is dict
            and not cls._ninja_resolvers  # type: ignore[attr-defined]
            and cls.model_config.get("extra") != "forbid"
            and not cls.model_config.get("validate_assignment", False)
            and _plain(values)
        ):
            return handler(values)
        return Schema._run_root_validator.__func__(cls, values, handler, info)  # type: ignore[attr-defined]
