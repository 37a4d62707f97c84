"""Vouchers' OpenAPI contract (component names carry the module's prefix: they are unique
across modules)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

from modules.vouchers import codes
from modules.vouchers.models import GiftCard, PackagePurchase
from platform_core.schemas import AwareDateTime, Email, InputSchema, Int, Phone, body_example


class GiftCardOptionsOut(Schema):
    denominations_cents: list[int]
    allow_custom_amount: bool
    min_amount_cents: int
    max_amount_cents: int
    validity_months: int


class GiftCardBuyIn(InputSchema):
    model_config = body_example(
        {
            "amount_cents": 10_000_000,
            "recipient_name": "Laura",
            "recipient_phone": "+573001234567",
            "channel": "whatsapp",
            "message": "¡Feliz cumpleaños! Un día para ti.",
            "deliver_at": "2030-12-24T08:00:00-05:00",
        }
    )

    amount_cents: Int = Field(..., gt=0, le=10_000_000_000, multiple_of=100)
    recipient_name: str = Field(..., min_length=1, max_length=120)
    recipient_phone: str = Phone("")
    recipient_email: str = Email("")
    channel: Literal["whatsapp", "email"]
    message: str = Field("", max_length=300)
    deliver_at: AwareDateTime | None = None


class GiftCardOut(Schema):
    id: UUID = Field(..., alias="public_id")
    card: str
    status: GiftCard.Status
    amount_cents: int
    balance_cents: int
    recipient_name: str
    channel: str
    deliver_at: datetime | None
    delivered_at: datetime | None
    expires_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_card(obj: Any) -> str:
        return codes.masked(obj.code_hint)


class VoucherPaymentOut(Schema):
    reference: str
    amount_in_cents: int
    currency: str
    checkout_url: str
    expiration_time: str | None = None


class GiftCardPurchaseOut(Schema):
    gift_card: GiftCardOut
    payment: VoucherPaymentOut


class GiftCardBalanceIn(InputSchema):
    model_config = body_example({"code": "7Q2K-M9XH-3TBD-PW4J"})

    code: str = Field(..., min_length=1, max_length=40)


class GiftCardBalanceOut(Schema):
    card: str
    status: GiftCard.Status
    balance_cents: int
    expires_at: datetime | None
    usable: bool


class PackageOut(Schema):
    code: str
    name: str
    description: str
    sessions: int
    price_cents: int
    validity_days: int
    service_codes: list[str]


class PackagePurchaseOut(Schema):
    id: UUID = Field(..., alias="public_id")
    package: PackageOut
    status: PackagePurchase.Status
    sessions: int
    credits_left: int
    expires_at: datetime | None
    created_at: datetime


class PackageCheckoutOut(Schema):
    purchase: PackagePurchaseOut
    payment: VoucherPaymentOut


# Descriptions of this module's fields and parameters (platform_core.schemas.document_fields).
FIELD_DOCS: dict[str, str] = {
    "denominations_cents": "Suggested gift-card values, in minor units (COP cents).",
    "allow_custom_amount": "Whether any value between the minimum and the maximum is accepted.",
    "min_amount_cents": "Lowest custom value, in minor units.",
    "max_amount_cents": "Highest custom value, in minor units.",
    "validity_months": "Months a card is valid from its issue (at least 12, SIC rule).",
    "GiftCardBuyIn.amount_cents": "The card's value in minor units (whole pesos): a denomination "
    "or a custom value within the limits of `getGiftCardOptions` (else 409).",
    "GiftCardBuyIn.recipient_name": "Who receives the card (shown in the message).",
    "GiftCardBuyIn.recipient_phone": "Recipient's WhatsApp number (required for channel whatsapp).",
    "GiftCardBuyIn.recipient_email": "Recipient's e-mail (required for channel email).",
    "GiftCardBuyIn.channel": "How the code is delivered: whatsapp or email.",
    "GiftCardBuyIn.message": "A personal message delivered with the card.",
    "GiftCardBuyIn.deliver_at": "When to deliver (with offset); empty: as soon as it is paid. "
    "At most a year ahead (else 409).",
    "GiftCardOut.card": "The card, masked (its last four symbols): the full code is only ever "
    "sent to the recipient.",
    "GiftCardOut.status": "pending_payment, active, cancelled (never paid) or voided.",
    "GiftCardOut.amount_cents": "Initial value, in minor units.",
    "GiftCardOut.balance_cents": "What is left, in minor units.",
    "GiftCardOut.recipient_name": "Who receives the card.",
    "GiftCardOut.channel": "whatsapp, email, or empty (handed over at the spa).",
    "GiftCardOut.deliver_at": "When the code is (or was) due to be sent.",
    "GiftCardOut.delivered_at": "When the code was sent, or null.",
    "GiftCardOut.expires_at": "When the balance expires (null until paid).",
    "GiftCardOut.created_at": "When the card was bought or issued.",
    "reference": "Payment reference at payments (Wompi's reference).",
    "amount_in_cents": "What Wompi charges, in minor units.",
    "currency": "ISO currency (COP).",
    "checkout_url": "Wompi Web Checkout URL to pay.",
    "expiration_time": "When the checkout expires (ISO 8601), if it does.",
    "gift_card": "The card bought (pending until paid).",
    "payment": "The checkout to pay it.",
    "GiftCardBalanceIn.code": "The gift-card code as printed (dashes and spaces are ignored).",
    "GiftCardBalanceOut.card": "The card, masked.",
    "GiftCardBalanceOut.status": "active or voided.",
    "GiftCardBalanceOut.balance_cents": "What is left, in minor units.",
    "GiftCardBalanceOut.expires_at": "When the balance expires.",
    "GiftCardBalanceOut.usable": "True when the card can pay now (active, unexpired, balance).",
    "PackageOut.code": "The package's code (used to buy it).",
    "PackageOut.name": "The package's name.",
    "PackageOut.description": "What the package includes.",
    "PackageOut.sessions": "How many sessions (credits) it gives.",
    "PackageOut.price_cents": "Price in minor units.",
    "PackageOut.validity_days": "Days the sessions can be used, from the purchase.",
    "service_codes": "Services (booking's codes) a session can pay for.",
    "PackagePurchaseOut.id": "The purchase's id: offer it as the code of a `package_credit` "
    "tender when booking.",
    "PackagePurchaseOut.package": "The package bought.",
    "PackagePurchaseOut.status": "pending_payment, active, cancelled (never paid) or refunded.",
    "PackagePurchaseOut.sessions": "Sessions bought.",
    "credits_left": "Sessions still available (held ones excluded).",
    "PackagePurchaseOut.expires_at": "When unused sessions expire (null until paid).",
    "PackagePurchaseOut.created_at": "When it was bought.",
    "purchase": "The package purchase (pending until paid).",
    "GiftCardOut.id": "The card's id.",
    "path.package_code": "The package's code.",
}
