"""A small NinjaAPI shaped like StudioZens (session flow + a catalog) for the tooling tests."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from ninja import Field, NinjaAPI, Router, Schema
from ninja.pagination import paginate
from ninja_jwt.authentication import JWTAuth

from platform_core.pagination import Pagination


class RegisterIn(Schema):
    phone_number: str = Field(..., examples=["+573001234567"])
    password: str
    accept_terms: bool = False


class DetailOut(Schema):
    detail: str


class VerifyIn(Schema):
    phone_number: str
    code: str


class LoginIn(Schema):
    phone_number: str
    password: str


class RefreshIn(Schema):
    refresh: str


class TokenPairOut(Schema):
    access: str
    refresh: str


class HealthOut(Schema):
    status: str


class OutboxOut(Schema):
    to: str
    body: str


class ProductOut(Schema):
    id: UUID
    name: str
    price_cents: int


class CartAddIn(Schema):
    product_id: UUID
    quantity: int = Field(1, ge=1, le=20)


class CartOut(Schema):
    lines: int


def build_sample_api(*, extra_endpoint: bool = False) -> dict[str, Any]:
    """The OpenAPI schema of the sample API (optionally with one more endpoint)."""
    core = Router(tags=["core"])
    users = Router(tags=["identity"])
    shop = Router(tags=["shop"])

    @core.get("/health/", auth=None, response=HealthOut)
    def health(request: Any) -> dict:
        return {"status": "ok"}

    @core.get("/dev/outbox/", auth=None, response=list[OutboxOut])
    @paginate(Pagination)
    def outbox(request: Any, to: str = "") -> list:
        return []

    @users.post("register/", auth=None, response={202: DetailOut})
    def register(request: Any, payload: RegisterIn) -> tuple[int, dict]:
        return 202, {"detail": "ok"}

    @users.post("verify/", auth=None, response=TokenPairOut)
    def verify(request: Any, payload: VerifyIn) -> dict:
        return {}

    @users.post("token/", auth=None, response=TokenPairOut)
    def token(request: Any, payload: LoginIn) -> dict:
        return {}

    @users.post("token/refresh/", auth=None, response=TokenPairOut)
    def refresh(request: Any, payload: RefreshIn) -> dict:
        return {}

    @users.post("logout/", response={204: None})
    def logout(request: Any, payload: RefreshIn) -> tuple[int, None]:
        return 204, None

    @shop.get("/products/", auth=None, response=list[ProductOut], summary="Browse")
    @paginate(Pagination)
    def products(request: Any, q: str = "") -> list:
        return []

    @shop.get("/products/{product_id}/", auth=None, response=ProductOut, summary="Detail")
    def product(request: Any, product_id: UUID) -> dict:
        return {}

    @shop.post("/cart/items/", response=CartOut, summary="Add to cart")
    def add(request: Any, payload: CartAddIn) -> dict:
        return {}

    if extra_endpoint:

        @shop.get("/wishlist/", response=list[ProductOut], summary="My wishlist")
        @paginate(Pagination)
        def wishlist(request: Any) -> list:
            return []

    api = NinjaAPI(title="Sample", version="1.0.0", auth=JWTAuth(), urls_namespace="sample")
    api.add_router("core/", core)
    api.add_router("users/", users)
    api.add_router("shop/", shop)
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/")))
