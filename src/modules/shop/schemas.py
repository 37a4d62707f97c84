"""The shop's OpenAPI contract."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

from modules.shop.models import OrderStatus

Availability = Literal["in_stock", "low", "out"]
SortKey = Literal["name", "-name", "price", "-price", "newest"]


class CategoryRef(Schema):
    slug: str
    name: str
    parent: str | None = Field(None, description="Slug of the top-level category, if any")

    @staticmethod
    def resolve_parent(obj: Any) -> str | None:
        return obj.parent.slug if obj.parent_id else None


class SubcategoryOut(Schema):
    slug: str
    name: str


# OpenAPI component names are class names and must be unique across modules (booking and
# payments have their own CategoryOut/CheckoutOut/PaymentOut): the classes carry the module's
# prefix, the short aliases keep this module's imports readable.
class ProductCategoryOut(Schema):
    slug: str
    name: str
    children: list[SubcategoryOut]

    @staticmethod
    def resolve_children(obj: Any) -> list[Any]:
        return list(getattr(obj, "subs", []))


CategoryOut = ProductCategoryOut


class ImageOut(Schema):
    src: str
    alt: str


class ProductOut(Schema):
    id: UUID = Field(..., alias="public_id")
    sku: str
    name: str
    description: str
    price_cents: int
    vip_price_cents: int | None
    currency: str
    availability: Availability
    category: CategoryRef | None
    tags: list[str]
    images: list[ImageOut]

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return [tag.slug for tag in obj.tags.all()]

    @staticmethod
    def resolve_images(obj: Any) -> list[dict[str, str]]:
        return [{"src": image.src, "alt": image.alt} for image in obj.images.all()]


class ProductFilters(Schema):
    q: str = Field("", max_length=100, description="Text in name, description, SKU or tags")
    category: str = Field("", max_length=120, description="Category slug (includes children)")
    tag: str = Field("", max_length=60)
    min_price: int | None = Field(None, ge=0, description="Minimum price in cents")
    max_price: int | None = Field(None, ge=0, description="Maximum price in cents")
    in_stock: bool | None = None
    sort: SortKey = "name"


class CartAddIn(Schema):
    product_id: UUID
    quantity: int = Field(1, ge=1)


class CartQuantityIn(Schema):
    quantity: int = Field(..., ge=0, description="0 removes the line")


class CartLineOut(Schema):
    product: ProductOut
    quantity: int
    unit_price_cents: int
    line_total_cents: int


class CartOut(Schema):
    items: list[CartLineOut]
    subtotal_cents: int
    currency: str
    vip_pricing: bool


class AddressIn(Schema):
    recipient_name: str = Field(..., min_length=2, max_length=150)
    recipient_phone: str = Field(..., max_length=20)
    address_line: str = Field(..., min_length=5, max_length=255)
    address_details: str = Field("", max_length=255)
    neighborhood: str = Field("", max_length=120)
    notes: str = Field("", max_length=255)


class CheckoutIn(Schema):
    fulfilment: Literal["pickup", "delivery"]
    address: AddressIn | None = None


class OrderLineOut(Schema):
    sku: str
    name: str
    unit_price_cents: int
    quantity: int
    line_total_cents: int


class AddressOut(Schema):
    recipient_name: str
    recipient_phone: str
    address_line: str
    address_details: str
    neighborhood: str
    city: str
    notes: str = Field(..., alias="delivery_notes")


class OrderOut(Schema):
    id: UUID = Field(..., alias="public_id")
    code: str
    status: OrderStatus
    fulfilment: Literal["pickup", "delivery"]
    address: AddressOut | None
    vip_pricing: bool
    subtotal_cents: int
    delivery_fee_cents: int
    total_cents: int
    currency: str
    lines: list[OrderLineOut]
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None
    refund_requested: bool
    checkout_url: str

    @staticmethod
    def resolve_address(obj: Any) -> Any:
        return obj if obj.fulfilment == "delivery" else None

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())


class OrderPaymentOut(Schema):
    reference: str
    amount_in_cents: int
    currency: str
    checkout_url: str
    expiration_time: str | None = None


class OrderCheckoutOut(Schema):
    order: OrderOut
    payment: OrderPaymentOut


PaymentOut = OrderPaymentOut
CheckoutOut = OrderCheckoutOut


class StatusChangeIn(Schema):
    status: OrderStatus
    note: str = Field("", max_length=255)
