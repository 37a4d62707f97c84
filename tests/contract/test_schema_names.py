"""OpenAPI component names are unique across modules.

django-ninja names a component after its pydantic class; two modules each declaring, say,
``CategoryOut`` silently share one component, so /api/openapi.json (and the TypeScript types)
describe one module's responses with the other's shape. This test finds such collisions.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from studiozens.api import api


def _models(annotation: Any, seen: set[type]) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models(field.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        yield from _models(arg, seen)


def component_classes() -> dict[str, set[str]]:
    """Component name -> the classes (module.qualname) that claim it."""
    seen: set[type] = set()
    names: dict[str, set[str]] = {}
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for operation in path_view.operations:
                roots = [*operation.response_models.values(), *(operation.models or [])]
                for root in roots:
                    for model in _models(root, seen):
                        if model.__module__.startswith(("ninja.", "pydantic.")):
                            continue  # generated wrappers (params, pagination) are per-operation
                        names.setdefault(model.__name__, set()).add(
                            f"{model.__module__}.{model.__qualname__}"
                        )
    return names


def test_component_names_are_unique_across_modules() -> None:
    names = component_classes()
    text = json.dumps(api.get_openapi_schema(path_prefix="/api/"))
    assert "TokenPairOut" in names  # the walk reaches the modules' schemas
    collisions = {
        name: sorted(classes)
        for name, classes in names.items()
        if len(classes) > 1
        and f'"#/components/schemas/{name}"' in text  # pagination inputs are inlined
    }
    assert not collisions, (
        "Two classes share one OpenAPI component name; rename one (e.g. prefix it with its "
        f"module): {collisions}"
    )
