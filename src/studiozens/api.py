"""The one NinjaAPI, built from the enabled plugins."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.openapi.schema import OpenAPISchema
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


# Error statuses the generic rules (platform_core.api_errors.generic_error_statuses: 401/403
# when authenticated, 404 with a path id, 422 with inputs, 400 with a body, 409 on writes)
# cannot see, because services raise them: logins and signed webhooks answering 401/403,
# rate-limited OTP endpoints (429), calls to Wompi or Twilio Verify made during the request
# (503), singletons that may not exist yet (404). Keys are "METHOD /path" as in the schema;
# tests/contract/test_error_responses.py fails on a key that names no operation.
ERROR_STATUSES: Mapping[str, tuple[int, ...]] = {
    # identity: OTP sends and checks are rate limited; checks and some sends ask Twilio Verify.
    "POST /api/users/register/": (429,),
    "POST /api/users/verify/": (429, 503),
    "POST /api/users/verify/resend/": (429,),
    "POST /api/users/token/": (401, 429),
    "POST /api/users/token/refresh/": (401,),
    "POST /api/users/password/reset/": (429,),
    "POST /api/users/password/reset/confirm/": (429, 503),
    "POST /api/users/me/reauth-code/": (429, 503),
    "POST /api/users/me/phone/": (429, 503),
    "POST /api/users/me/phone/confirm/": (429, 503),
    "DELETE /api/users/me": (429, 503),
    # An identifier in the query or body that names no object (service, therapist, product,
    # plan; a cart product withdrawn before checkout): 404, as for a path identifier.
    "GET /api/booking/availability": (404,),
    "POST /api/shop/cart/items": (404,),
    # Payments through Wompi during the request.
    "POST /api/booking/appointments": (404, 503),
    "POST /api/booking/appointments/{appointment_id}/checkout": (503,),
    "POST /api/shop/checkout": (404, 503),
    "GET /api/finances/vip/acceptance/": (503,),
    "GET /api/finances/vip/subscription/": (404,),
    "POST /api/finances/vip/subscription/": (404, 503),
    "POST /api/finances/vip/subscription/cancel/": (404,),
    # Provider callbacks: malformed or unsigned events.
    "POST /api/finances/webhooks/wompi/": (400, 401),
    "POST /api/assistant/webhooks/whatsapp/": (403,),
    "POST /api/core/webhooks/twilio/status/": (403,),
    # Development only: the outbox does not exist with DEBUG off.
    "GET /api/core/dev/outbox": (404,),
}


class StudioZensAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI schema documents every operation's error responses in the one
    error shape (see platform_core.api_errors.document_error_responses)."""

    error_statuses: Mapping[str, Iterable[int]] = ERROR_STATUSES

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        api_errors.document_error_responses(schema, extra=self.error_statuses)
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
