"""The shop's OpenAPI contract."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from django.conf import settings
from ninja import Field, Schema

from modules.payments.public import AppliedTenderOut, TenderIn
from modules.shop.models import OrderStatus
from platform_core.output_schema import OutputSchema
from platform_core.schemas import InputSchema, Int, Phone, body_example

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


# The most units of one product in a cart line (settings.SHOP_MAX_LINE_QUANTITY, 20).
MAX_LINE_QUANTITY = settings.SHOP_MAX_LINE_QUANTITY


class CartAddIn(InputSchema):
    model_config = body_example(
        {"product_id": "8e4a5b77-3f1c-4d2a-9b6e-1c2d3e4f5a6b", "quantity": 2}
    )

    product_id: UUID
    quantity: Int = Field(
        1,
        ge=1,
        le=MAX_LINE_QUANTITY,
        description=f"Units to add (the line holds at most {MAX_LINE_QUANTITY})",
    )


class CartQuantityIn(InputSchema):
    model_config = body_example({"quantity": 3})

    quantity: Int = Field(
        ...,
        ge=0,
        le=MAX_LINE_QUANTITY,
        description=f"The line's new quantity, at most {MAX_LINE_QUANTITY}; 0 removes the line",
    )


class CartLineOut(OutputSchema):
    product: ProductOut
    quantity: int
    unit_price_cents: int
    line_total_cents: int


class CartOut(OutputSchema):
    items: list[CartLineOut]
    subtotal_cents: int
    currency: str
    vip_pricing: bool


# Text that must say something: at least one character that is not a space.
NOT_BLANK = r"\S"


class AddressIn(InputSchema):
    model_config = body_example(
        {
            "recipient_name": "Ana Gómez",
            "recipient_phone": "+573001234567",
            "address_line": "Calle 93 # 11-27",
            "address_details": "Apto 502",
            "neighborhood": "Chicó",
            "notes": "Portería 24 horas",
        }
    )

    recipient_name: str = Field(..., min_length=2, max_length=150, pattern=NOT_BLANK)
    recipient_phone: str = Phone()
    address_line: str = Field(..., min_length=5, max_length=255, pattern=NOT_BLANK)
    address_details: str = Field("", max_length=255)
    neighborhood: str = Field("", max_length=120)
    notes: str = Field("", max_length=255)


TENDERS_DOC = (
    "Gift cards or other tenders paying before Wompi (at most 3, applied in order); "
    "covering the total, the order is paid at once."
)


class PaysWithTenders(InputSchema):
    tenders: list[TenderIn] = Field(default_factory=list, max_length=3, description=TENDERS_DOC)


class PickupCheckoutIn(PaysWithTenders):
    model_config = body_example({"fulfilment": "pickup"})

    fulfilment: Literal["pickup"]
    address: AddressIn | None = Field(None, description="Not used for pickup")


class OrderPayAgainIn(PaysWithTenders):
    model_config = body_example({"tenders": [{"kind": "gift_card", "code": "7Q2K-M9XH-3TBD-PW4J"}]})


class DeliveryCheckoutIn(PaysWithTenders):
    model_config = body_example(
        {
            "fulfilment": "delivery",
            "address": {
                "recipient_name": "Ana Gómez",
                "recipient_phone": "+573001234567",
                "address_line": "Calle 93 # 11-27",
                "neighborhood": "Chicó",
            },
        }
    )

    fulfilment: Literal["delivery"]
    address: AddressIn = Field(..., description="Where to deliver (Bogotá)")


# The address is required exactly for delivery: a union on ``fulfilment`` says so.
CheckoutIn = Annotated[PickupCheckoutIn | DeliveryCheckoutIn, Field(discriminator="fulfilment")]


class OrderLineOut(OutputSchema):
    sku: str
    name: str
    unit_price_cents: int
    quantity: int
    line_total_cents: int


class AddressOut(OutputSchema):
    recipient_name: str
    recipient_phone: str
    address_line: str
    address_details: str
    neighborhood: str
    city: str
    notes: str = Field(..., alias="delivery_notes")


# Given as a dict built by shapes.order_out / shapes.order_row_out (a comment, not a docstring:
# a docstring would become the schema's public description in the contract).
class OrderOut(OutputSchema):
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


class OrderPaymentOut(OutputSchema):
    reference: str
    amount_in_cents: int
    currency: str
    checkout_url: str
    expiration_time: str | None = None
    total_cents: int = 0
    tendered_cents: int = 0
    tenders: list[AppliedTenderOut] = []
    settled: bool = False


class OrderCheckoutOut(OutputSchema):
    order: OrderOut
    payment: OrderPaymentOut


PaymentOut = OrderPaymentOut
CheckoutOut = OrderCheckoutOut


class StatusChangeIn(InputSchema):
    model_config = body_example(
        {"status": "OUT_FOR_DELIVERY", "note": "Sale con el mensajero de la tarde"}
    )

    status: OrderStatus
    note: str = Field("", max_length=255)


# Descriptions of this module's fields and parameters (platform_core.schemas.document_fields).
FIELD_DOCS: dict[str, str] = {
    "ProductCategoryOut.slug": "URL-safe identifier: pass it as `category` to the product list.",
    "SubcategoryOut.slug": "URL-safe identifier of the subcategory.",
    "CategoryRef.slug": "URL-safe identifier of the product's category.",
    "children": "Subcategories.",
    "src": "Image URL.",
    "alt": "Alternative text of the image.",
    "sku": "Stock-keeping unit (the spa's product code).",
    "availability": "in_stock, low (few left) or out.",
    "ProductOut.category": "The product's category, or null.",
    "tags": "Tag slugs of the product.",
    "images": "Product images, the first is the main one.",
    "product": "The product.",
    "product_id": "The product's id (UUID).",
    "quantity": "Units.",
    "unit_price_cents": "Price of one unit in minor units (VIP price when it applies).",
    "line_total_cents": "unit_price_cents × quantity.",
    "subtotal_cents": "Sum of the lines, in minor units.",
    "vip_pricing": "Whether VIP prices apply.",
    "recipient_name": "Who receives the delivery.",
    "recipient_phone": "Phone number of the recipient.",
    "address_line": "Street address in Bogotá.",
    "address_details": "Apartment, tower, building (optional).",
    "neighborhood": "Neighborhood (barrio).",
    "city": "City (Bogotá).",
    "AddressIn.notes": "Notes for the courier.",
    "AddressOut.notes": "Notes for the courier.",
    "fulfilment": "pickup at the spa, or delivery (then address is required).",
    "OrderOut.code": "The order's human-readable code.",
    "OrderOut.status": "The order's status.",
    "address": "Delivery address (null for pickup).",
    "delivery_fee_cents": "Delivery fee in minor units (0 for pickup).",
    "total_cents": "subtotal_cents + delivery_fee_cents.",
    "lines": "What was ordered, at the prices charged.",
    "paid_at": "When the payment was approved, or null.",
    "OrderOut.checkout_url": "Wompi checkout to pay a pending order (empty once paid).",
    "order": "The order.",
    "payment": "The checkout to pay it.",
    "StatusChangeIn.status": "The order's new status.",
    "note": "Why (kept in the order's history).",
    "ProductFilters.tag": "Only products with this tag (slug).",
    "ProductFilters.in_stock": "true: only products in stock.",
    "ProductFilters.sort": "name, -name, price, -price or newest.",
    "query.all": "Staff only: true lists every client's orders.",
    "path.product_id": "The product's id (UUID).",
    "path.order_id": "The order's id (UUID).",
}
