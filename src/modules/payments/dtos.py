"""payments' value types: purposes, typed outcomes, checkout and desk DTOs, and the shape
of a person payments is handed (``Customer``; staff are a plain ``UserRef``). A leaf
module (imports nothing of payments): ``public`` re-exports it, and payments' internals
import it instead of ``public``, so no import inside payments goes in a circle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from platform_core.accounts import UserRef


class Customer(UserRef, Protocol):
    """Who pays: identity's user model instance or its ``UserDTO`` (both have these): the
    account reference (``platform_core.accounts.UserRef``) and what checkout pre-fills."""

    @property
    def email(self) -> str: ...

    @property
    def first_name(self) -> str: ...

    @property
    def last_name(self) -> str: ...

    @property
    def phone_number(self) -> str: ...


PURPOSE_BOOKING = "booking.appointment"
PURPOSE_SHOP = "shop.order"


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


# --- tenders (gift cards, package credits: anything a plugin accepts besides Wompi) ------------
@dataclass(frozen=True)
class TenderOffer:
    """A tender a client offers at checkout, as booking/shop received it."""

    kind: str  # a kind some plugin declares in ModulePlugin.tenders, e.g. "gift_card"
    code: str  # the secret or identifier the provider understands


@dataclass(frozen=True)
class TenderLine:
    """One thing being paid, so a provider can decide what it covers (a package credit
    covers one service, a gift card anything)."""

    kind: str  # "service" | "product" | "deposit" | purpose-defined
    code: str  # service code / product id
    amount_cents: int


@dataclass(frozen=True)
class TenderContext:
    """The checkout a tender is being applied to."""

    purpose: str
    ref: str
    payment_reference: str
    amount_cents: int  # still due when this tender is applied (> 0)
    customer: UserRef | None
    lines: tuple[TenderLine, ...]


@dataclass(frozen=True)
class TenderHold:
    """Value a provider set aside for one checkout (``provider.hold``)."""

    hold_id: str  # the provider's id, unique per provider (at most 64 characters)
    amount_cents: int  # 0 < amount <= context.amount_cents
    label: str  # Spanish, masked, for receipts: "Tarjeta de regalo ····7Q2K"


class TenderProvider(Protocol):
    """What a plugin's tender kind implements (``ModulePlugin.tenders``). Every method runs
    inside payments' database transaction: database work only (no network call), locking
    its own rows (``select_for_update``), idempotent per ``hold_id`` (capture twice = once,
    release after capture = no-op), and a balance never below zero (a CheckConstraint plus
    the row lock). ``hold`` raises ``TenderRefused`` with a Spanish message.

    ``prepays_items`` (optional class attribute, default False): the tender pays whole
    items, not money (a package credit pays one session), so a purpose asks for the item's
    full price instead of a deposit when one is offered (``payments.public.tenders_prepay``)."""

    def hold(self, offer: TenderOffer, context: TenderContext) -> TenderHold: ...

    def capture(self, hold_id: str) -> None: ...  # the payment settled

    def release(self, hold_id: str) -> None: ...  # failed, expired or abandoned

    def refund(self, hold_id: str, amount_cents: int) -> None: ...  # value back


@dataclass(frozen=True)
class AppliedTender:
    """A tender applied to a checkout, as a receipt shows it."""

    kind: str
    label: str
    amount_cents: int


@dataclass(frozen=True)
class CheckoutDTO:
    """What a frontend needs for Wompi's Web Checkout (``checkout_url``) or widget.

    ``amount_in_cents`` is what Wompi charges: the total less the tenders applied
    (``tenders``, ``tendered_cents``). ``settled``: tenders covered everything, the payment
    is approved already and there is nothing to pay at Wompi (``checkout_url`` empty)."""

    reference: str
    amount_in_cents: int
    currency: str
    public_key: str
    signature_integrity: str
    redirect_url: str
    expiration_time: str | None
    checkout_url: str  # full Web Checkout URL with the query string (or the local sandbox's)
    status: str  # PENDING...
    total_cents: int = 0  # the whole amount (Wompi's part plus the tenders')
    tendered_cents: int = 0
    tenders: tuple[AppliedTender, ...] = ()
    settled: bool = False


@dataclass(frozen=True)
class DeskPaymentDTO:
    reference: str
    amount_cents: int
    method: str  # cash, card_terminal or transfer
    method_label: str
    taken_by_id: int
    created_at: datetime


# --- card on file (payment sources) ---------------------------------------------------------
@dataclass(frozen=True)
class CardAcceptanceDTO:
    """Wompi's documents a user accepts before a card is stored, and where the browser
    tokenizes the card (``tokens_url``, with ``public_key`` as Bearer)."""

    acceptance_token: str
    acceptance_permalink: str
    personal_data_token: str
    personal_data_permalink: str
    public_key: str
    tokens_url: str


@dataclass(frozen=True)
class PaymentSourceDTO:
    """A stored card at Wompi. ``id`` is a reusable credential: store it encrypted."""

    id: str
    status: str
    brand: str
    last_four: str


@dataclass(frozen=True)
class SavedCardDTO:
    """A client's card on file as it may be shown: masked, never its source id."""

    id: UUID
    brand: str
    last_four: str
    status: str
    accepted_at: datetime
    acceptance_permalink: str
    personal_data_permalink: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SourceChargeDTO:
    """An opened card-on-file attempt (a PENDING payment)."""

    reference: str
    amount_cents: int
    currency: str
    status: str


@dataclass(frozen=True)
class SourceChargeSent:
    """What asking Wompi to charge a stored card gave. ``sent``: Wompi has it (or had it
    already). Otherwise ``maybe_sent`` says whether the request may have reached Wompi
    (a timeout: the outcome arrives later, or reconciliation expires the attempt) and
    ``retryable`` whether the failure was ours or the network's (not the card's)."""

    reference: str
    sent: bool
    maybe_sent: bool = False
    retryable: bool = False
    message: str = ""
