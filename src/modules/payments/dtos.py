"""payments' value types: purposes, typed outcomes, checkout and desk DTOs, and the shape
of a person payments is handed. A leaf module (imports nothing of payments):
``public`` re-exports it, and payments' internals import it instead of ``public``, so
no import inside payments goes in a circle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class Customer(Protocol):
    """Who pays: identity's user model instance or its ``UserDTO`` (both have these)."""

    @property
    def id(self) -> int: ...

    @property
    def email(self) -> str: ...

    @property
    def first_name(self) -> str: ...

    @property
    def last_name(self) -> str: ...

    @property
    def phone_number(self) -> str: ...


class StaffMember(Protocol):
    """Who took money at the desk, or acted in the back office (a user or ``UserDTO``)."""

    @property
    def id(self) -> int: ...


PURPOSE_BOOKING = "booking.appointment"
PURPOSE_SHOP = "shop.order"
PURPOSE_VIP = "payments.vip"


@dataclass(frozen=True)
class PaymentSettled:
    """The money of one attempt arrived. ``late``: it arrived after the attempt expired;
    the purpose honours or refunds it."""

    purpose: str
    ref: str
    payment_reference: str
    amount_cents: int
    user_id: int | None
    late: bool = False


@dataclass(frozen=True)
class PaymentFailed:
    """An attempt ended without money: DECLINED, ERROR, EXPIRED, or VOIDED before
    approval. The purpose may open a new attempt."""

    purpose: str
    ref: str
    payment_reference: str
    status: str


@dataclass(frozen=True)
class PaymentRefunded:
    """Settled money went back to the client (voided at Wompi, or refunded by staff):
    ``amount_cents`` of the attempt ``payment_reference``."""

    purpose: str
    ref: str
    payment_reference: str
    amount_cents: int


PaymentOutcome = PaymentSettled | PaymentFailed | PaymentRefunded


@dataclass(frozen=True)
class CheckoutDTO:
    """What a frontend needs for Wompi's Web Checkout (``checkout_url``) or widget."""

    reference: str
    amount_in_cents: int
    currency: str
    public_key: str
    signature_integrity: str
    redirect_url: str
    expiration_time: str | None
    checkout_url: str  # full Web Checkout URL with the query string (or the local sandbox's)
    status: str  # PENDING...


@dataclass(frozen=True)
class DeskPaymentDTO:
    reference: str
    amount_cents: int
    method: str  # cash, card_terminal or transfer
    method_label: str
    taken_by_id: int
    created_at: datetime
