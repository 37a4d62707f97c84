"""The one NinjaAPI, built from the enabled plugins."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja_jwt.authentication import JWTAuth

from platform_core import api_errors
from platform_core.plugins import ModulePlugin, get_plugins, resolve


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


def build_api(plugins: Iterable[ModulePlugin], *, urls_namespace: str = "api") -> NinjaAPI:
    plugins = list(plugins)
    api = NinjaAPI(
        title="StudioZens API",
        version="1.0.0",
        description=(
            "API del spa StudioZens (Bogotá): reservas, tienda, pagos con Wompi, membresía VIP "
            "y asistente de WhatsApp. Autenticación JWT (Bearer) salvo donde se indica."
        ),
        auth=JWTAuth(),
        urls_namespace=urls_namespace,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    api_errors.install(api)
    mounted = [p for p in plugins if p.router]

    @api.get("/", auth=None, response=IndexOut, tags=["core"], summary="Mounted modules")
    def index(request: HttpRequest) -> dict[str, Any]:
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
