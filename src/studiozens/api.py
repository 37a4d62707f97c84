"""The one NinjaAPI, built from the enabled plugins."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import cached_property
from ninja import NinjaAPI, Schema
from ninja.openapi.schema import OpenAPISchema

from platform_core import api_errors, input_bounds
from platform_core.authentication import JWTAuth
from platform_core.plugins import ModulePlugin, get_plugins, resolve
from platform_core.renderers import ORJSONRenderer
from platform_core.schemas import FIELD_DOCS, document_fields, document_request_examples


class ModuleOut(Schema):
    name: str
    prefix: str
    description: str


class IndexOut(Schema):
    name: str
    version: str
    docs: str
    schema_url: str
    modules: list[ModuleOut]


def declared_error_statuses(plugins: Iterable[ModulePlugin]) -> dict[str, tuple[int, ...]]:
    """The plugins' ``error_statuses`` keyed as in the schema ("METHOD /api/<prefix><path>"):
    statuses the generic rules (platform_core.api_errors.generic_error_statuses) cannot see.
    tests/contract/test_error_responses.py fails on a key that names no operation."""
    declared: dict[str, tuple[int, ...]] = {}
    for plugin in plugins:
        for key, statuses in plugin.error_statuses.items():
            method, _, path = key.partition(" ")
            full = f"/api/{plugin.prefix.strip('/')}/{path.lstrip('/')}"
            declared[f"{method} {full}"] = tuple(statuses)
    return declared


class StudioZensAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI schema documents every operation's error responses in the one
    error shape (see platform_core.api_errors.document_error_responses)."""

    error_statuses: Mapping[str, Iterable[int]] = {}
    field_docs: Mapping[str, str] = {}
    tag_descriptions: Mapping[str, str] = {}

    def get_openapi_operation_id(self, operation: Any) -> str:
        """Fallback for a route without ``operation_id=``: camelCase of the view's name.
        Every route of the project names its id explicitly (``bookAppointment``: a verb and
        what it acts on), which generators turn into functions and hooks;
        tests/contract/test_schema_docs.py fails on an id that is not camelCase, not unique
        or too generic (a view name such as ``book`` or ``detail``)."""
        head, *rest = operation.view_func.__name__.strip("_").split("_")
        return head + "".join(part.title() for part in rest)

    def create_temporal_response(self, request: HttpRequest) -> HttpResponse:
        # Ninja's builds HttpResponse("", content_type=f"..."): a str body is encoded with
        # the charset read from the settings, on every request; bytes are taken as they are.
        return HttpResponse(b"", content_type=self._content_type)

    @cached_property
    def _content_type(self) -> str:
        return self.get_content_type()

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        api_errors.document_error_responses(schema, extra=self.error_statuses)
        document_fields(schema, self.field_docs)
        document_request_examples(schema)
        schema["tags"] = [
            {"name": name, "description": description}
            for name, description in self.tag_descriptions.items()
        ]
        return schema


def build_api(plugins: Iterable[ModulePlugin], *, urls_namespace: str = "api") -> NinjaAPI:
    plugins = list(plugins)
    api = StudioZensAPI(
        title="StudioZens API",
        version="1.0.0",
        description=(
            "API del spa StudioZens (Bogotá): reservas, tienda, pagos con Wompi, membresía VIP "
            "y asistente de WhatsApp. Autenticación JWT (Bearer) salvo donde se indica."
        ),
        auth=JWTAuth(),
        renderer=ORJSONRenderer(),
        urls_namespace=urls_namespace,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    api_errors.install(api)
    input_bounds.install(api)  # every date/int/float input within the supported range
    mounted = [p for p in plugins if p.router]
    api.error_statuses = declared_error_statuses(mounted)
    api.field_docs = {**FIELD_DOCS}
    for plugin in mounted:
        if plugin.schema_docs:
            api.field_docs = {**api.field_docs, **resolve(plugin.schema_docs)}
    api.tag_descriptions = {
        "core": "Health probes, provider callbacks and the development outbox.",
        **{p.name: p.description or p.name for p in mounted},
    }

    @api.get(
        "/",
        operation_id="getApiIndex",
        auth=None,
        response=IndexOut,
        tags=["core"],
        summary="Mounted modules",
    )
    def index(request: HttpRequest) -> dict[str, Any]:
        """The API's name and version, where its documentation is, and the modules mounted."""
        return {
            "name": "StudioZens API",
            "version": api.version,
            "docs": "/api/docs",
            "schema_url": "/api/openapi.json",
            "modules": [
                {"name": p.name, "prefix": f"/api/{p.prefix}", "description": p.description}
                for p in mounted
            ],
        }

    for plugin in mounted:
        api.add_router(plugin.prefix, resolve(plugin.router), tags=[plugin.name])
    return api


api = build_api(get_plugins())
ERROR_STATUSES = api.error_statuses
