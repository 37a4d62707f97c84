"""payments's public face: the only thing other modules import from payments.

Booking, shop (and any plugin) ask for money with ``create_checkout`` and learn the
outcome through the handler their plugin declares for their purpose
(``ModulePlugin.payment_handlers``): it receives a frozen ``PaymentSettled``,
``PaymentFailed`` or ``PaymentRefunded`` after the settling transaction committed
(``modules.payments.outbox``). Delivery is at least once, so handlers must be idempotent;
a handler that cannot fulfil (slot or stock gone) calls ``request_refund`` naming the
payment.

Tenders (gift cards, package credits, ...) are value some plugin holds for a checkout
besides Wompi: a plugin declares ``ModulePlugin.tenders`` (kind -> a ``TenderProvider``),
a purpose passes the client's ``TenderOffer``s (and ``TenderLine``s: what is being paid) to
``create_checkout``; payments holds, captures, releases and refunds them (docs/payments.md,
"Tenders and split payments").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from modules.payments.dtos import (
    PURPOSE_BOOKING,
    PURPOSE_SHOP,
    AppliedTender,
    CardAcceptanceDTO,
    CheckoutDTO,
    Customer,
    DeskPaymentDTO,
    PaymentFailed,
    PaymentOutcome,
    PaymentRefunded,
    PaymentSettled,
    PaymentSourceDTO,
    SavedCardDTO,
    SourceChargeDTO,
    SourceChargeSent,
    TenderContext,
    TenderHold,
    TenderLine,
    TenderOffer,
    TenderProvider,
)
from modules.payments.errors import (
    CardRejected,
    GatewayUnavailable,
    TenderNotAccepted,
    TenderRefused,
)
from modules.payments.schemas import AppliedTenderOut, TenderIn
from platform_core.accounts import UserRef

__all__ = [
    "PURPOSE_BOOKING",
    "PURPOSE_SHOP",
    "AppliedTender",
    "AppliedTenderOut",
    "CardAcceptanceDTO",
    "CardRejected",
    "CheckoutDTO",
    "Customer",
    "DeskPaymentDTO",
    "GatewayUnavailable",
    "PaymentFailed",
    "PaymentOutcome",
    "PaymentRefunded",
    "PaymentSettled",
    "PaymentSourceDTO",
    "SavedCardDTO",
    "SourceChargeDTO",
    "SourceChargeSent",
    "TenderContext",
    "TenderHold",
    "TenderIn",
    "TenderLine",
    "TenderNotAccepted",
    "TenderOffer",
    "TenderProvider",
    "TenderRefused",
    "attempt_statuses",
    "card_acceptance",
    "create_checkout",
    "create_payment_source",
    "fail_attempt",
    "open_checkout",
    "open_source_charge",
    "paid_by_ref",
    "payer_email",
    "payment_status",
    "record_desk_payment",
    "request_refund",
    "sandbox_settles",
    "saved_card_of",
    "saved_card_source",
    "send_source_charge",
    "settle_in_sandbox",
    "tender_offers",
    "tenders_prepay",
]


def create_checkout(
    *,
    purpose: str,
    ref: str,
    amount_cents: int,
    customer: Customer | None,
    expires_at: datetime | None = None,
    description: str = "",
    tenders: Sequence[TenderOffer] = (),
    lines: Sequence[TenderLine] = (),
) -> CheckoutDTO:
    """Open a new payment attempt (unguessable reference) for ``amount_cents`` and return
    its checkout data.

    ``customer`` is the paying user (model instance or identity ``UserDTO``) or None.
    ``tenders`` (at most 3) are held in order, in this transaction, until nothing is due;
    Wompi's checkout is for the rest (``CheckoutDTO.amount_in_cents``). When they cover
    everything the attempt is approved at once (``settled=True``, no checkout URL) and the
    purpose's ``PaymentSettled`` follows through the outbox as for a Wompi payment.
    ``lines`` tell the providers what is paid. Raises ``ValidationFailed`` for a
    non-positive amount or a malformed purpose, ``TenderNotAccepted`` (422) for a kind no
    plugin declares, the provider's ``TenderRefused``; then nothing of the attempt remains.
    """
    from modules.payments import checkout

    return checkout.create_checkout(
        purpose=purpose,
        ref=ref,
        amount_cents=amount_cents,
        customer=customer,
        expires_at=expires_at,
        description=description,
        tender_offers=tenders,
        lines=lines,
    )


def tenders_prepay(offers: Sequence[TenderOffer]) -> bool:
    """True when one of ``offers`` pays whole items rather than money (its provider sets
    ``prepays_items``, e.g. a package credit): the purpose then asks for the item's full
    price instead of a deposit, so the item is paid in full. Unknown kinds count as False
    (``create_checkout`` refuses them)."""
    from modules.payments import tenders

    return tenders.prepay(offers)


def tender_offers(items: Sequence[TenderIn] | None) -> list[TenderOffer]:
    """A request body's ``tenders`` (``TenderIn``, the schema booking and shop share) as
    the offers ``create_checkout`` takes."""
    return [TenderOffer(kind=item.kind, code=item.code) for item in items or ()]


def request_refund(
    *,
    purpose: str,
    ref: str,
    reason: str,
    amount_cents: int | None = None,
    payment_reference: str = "",
) -> None:
    """Refund the approved payment of (purpose, ref) — exactly the attempt named by
    ``payment_reference`` when given (a duplicate or late attempt; receivers get it in
    its ``PaymentSettled``): value goes back to the payment's tenders first (at once),
    the rest is voided at Wompi after commit where allowed, otherwise (or when Wompi
    refuses) queued as a manual refund for staff. Idempotent per payment."""
    from modules.payments import refunds

    refunds.request_refund(
        purpose=purpose,
        ref=ref,
        reason=reason,
        amount_cents=amount_cents,
        payment_reference=payment_reference,
    )


def fail_attempt(*, payment_reference: str, message: str) -> bool:
    """End a PENDING attempt that the purpose could not take to the provider (a definite
    rejection when starting it) as ERROR; the purpose gets its ``PaymentFailed``. Returns
    False when the attempt was no longer pending (nothing changed)."""
    from modules.payments import settlement

    return settlement.fail_attempt(payment_reference=payment_reference, message=message)


def open_checkout(*, purpose: str, ref: str) -> CheckoutDTO | None:
    """The checkout of the latest attempt for (purpose, ref) while it is still PENDING
    and unexpired (a purpose's "pay again" returns it instead of opening another)."""
    from modules.payments import selectors

    return selectors.open_checkout(purpose=purpose, ref=ref)


def payment_status(*, purpose: str, ref: str) -> str | None:
    """Status of the latest attempt for (purpose, ref), or None if there is none."""
    from modules.payments import selectors

    return selectors.latest_status(purpose=purpose, ref=ref)


def record_desk_payment(
    *,
    purpose: str,
    ref: str,
    amount_cents: int,
    method: str,
    taken_by: UserRef,
    customer: Customer | None = None,
    description: str = "",
) -> DeskPaymentDTO:
    """Record money taken in person by the staff member ``taken_by`` (``method``: cash,
    card_terminal or transfer): an approved payment and a ``desk_charge`` ledger entry,
    audited. No outcome is delivered: the caller is the purpose and applies it itself."""
    from modules.payments import desk

    return desk.record_desk_payment(
        purpose=purpose,
        ref=ref,
        amount_cents=amount_cents,
        method=method,
        taken_by=taken_by,
        customer=customer,
        description=description,
    )


def paid_by_ref(*, purposes: tuple[str, ...], refs: list[str]) -> dict[str, int]:
    """Net money received per purpose reference (online and desk, less refunds), from
    the ledger, in one query."""
    from modules.payments import desk

    return desk.paid_by_ref(purposes=purposes, refs=refs)


# --- card on file (payment sources) -----------------------------------------------------------
def payer_email(*, public_id: object, email: str = "") -> str:
    """The e-mail to give Wompi for a client's card: theirs, else a per-client placeholder."""
    from modules.payments import card_on_file

    return card_on_file.payer_email(public_id=public_id, email=email)


def card_acceptance() -> CardAcceptanceDTO:
    """Wompi's current acceptance documents. Raises ``GatewayUnavailable``."""
    from modules.payments import card_on_file

    return card_on_file.card_acceptance()


def create_payment_source(
    *, card_token: str, customer_email: str, acceptance_token: str, personal_data_token: str
) -> PaymentSourceDTO:
    """Store a tokenized card (``tok_…``) at Wompi with the user's acceptance tokens (a
    provider call: never under a row lock). Raises ``CardRejected`` (the card or the
    tokens were refused) or ``GatewayUnavailable`` (retry later)."""
    from modules.payments import card_on_file

    return card_on_file.create_payment_source(
        card_token=card_token,
        customer_email=customer_email,
        acceptance_token=acceptance_token,
        personal_data_token=personal_data_token,
    )


def open_source_charge(
    *,
    purpose: str,
    ref: str,
    amount_cents: int,
    currency: str,
    user_id: int | None,
    customer_email: str,
    description: str,
    reference_prefix: str = "SZ",
    reference: str = "",
    penalty: bool = False,
) -> SourceChargeDTO:
    """Open a card-on-file attempt for (purpose, ref): a PENDING payment in the caller's
    transaction, nothing sent. Call ``send_source_charge`` after commit. Reconciliation
    expires it if Wompi never learns of it.

    ``reference``: a reference derived from the purpose's own idempotency key (unguessable,
    Wompi-safe, at most 64 characters); opening it again returns the same attempt.
    ``penalty``: the ledger records its settlement as a ``penalty`` (a no-show or
    late-cancellation fee), not as a ``charge``."""
    from modules.payments import card_on_file
    from modules.payments.models import ChargeKind

    return card_on_file.open_source_charge(
        purpose=purpose,
        ref=ref,
        amount_cents=amount_cents,
        currency=currency,
        user_id=user_id,
        customer_email=customer_email,
        description=description,
        reference_prefix=reference_prefix,
        reference=reference,
        charge_kind=ChargeKind.PENALTY if penalty else ChargeKind.CHARGE,
    )


def send_source_charge(*, reference: str, payment_source_id: str) -> SourceChargeSent:
    """Ask Wompi to charge an opened attempt to the stored card ``payment_source_id``.
    Call outside any transaction; the transaction id is recorded in a second, short one.
    Idempotent: an attempt already sent or settled is not sent again."""
    from modules.payments import card_on_file

    return card_on_file.send_source_charge(reference=reference, payment_source_id=payment_source_id)


def saved_card_source(*, user_id: int) -> str | None:
    """The Wompi payment-source id of the client's saved card (``/api/finances/cards/``),
    to charge with ``open_source_charge`` / ``send_source_charge``; None without one."""
    from modules.payments import saved_cards

    return saved_cards.source_for_user(user_id)


def saved_card_of(*, user_id: int) -> SavedCardDTO | None:
    """The client's saved card, masked (brand, last four, its public id), or None."""
    from modules.payments import saved_cards

    return saved_cards.card_of(user_id)


def attempt_statuses(*, references: list[str]) -> dict[str, str]:
    """Status (PENDING, APPROVED, …) of each named payment, by reference."""
    from modules.payments import card_on_file

    return card_on_file.attempt_statuses(references=references)


# --- demo data (outside production) -----------------------------------------------------------
def sandbox_settles() -> bool:
    """True where the in-process Wompi sandbox stands in for Wompi (development, tests;
    never production): ``settle_in_sandbox`` can pay demo checkouts."""
    from modules.payments.sandbox import settle

    return settle.available()


def settle_in_sandbox(*, payment_reference: str) -> str:
    """Demo data only: pay the open attempt ``payment_reference`` as a client would in the
    sandbox's checkout (approved card) and apply the sandbox's signed webhook through the
    real path — stored event, settlement, ledger entries — then deliver its outcome to the
    purpose's handler at once, inside the caller's transaction. Returns how the webhook
    applied it ("applied"). Raises ``RuntimeError`` where ``sandbox_settles()`` is False."""
    from modules.payments.sandbox import settle

    return settle.settle(payment_reference)
