"""Card on file: Wompi payment sources and the charges made with them.

A purpose (membership) stores a card once (``create_payment_source``, after the user
accepted Wompi's documents: ``card_acceptance``) and later charges it:
``open_source_charge`` opens the attempt (a PENDING payment, inside the caller's
transaction), ``send_source_charge`` asks Wompi after commit, outside any lock, and
records what it said in a second short transaction. The outcome arrives like any other
payment's (``payment_settled`` / ``payment_failed`` with the purpose and its ref).
Payments keeps no card: the purpose stores the payment-source id (encrypted at rest).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from modules.payments import errors
from modules.payments.checkout import card_tokens_url, new_reference, validate_request
from modules.payments.dtos import (
    CardAcceptanceDTO,
    PaymentSourceDTO,
    SourceChargeDTO,
    SourceChargeSent,
)
from modules.payments.models import ChargeKind, Payment, PaymentKind, PaymentStatus
from modules.payments.wompi.gateway import WompiError, get_gateway
from modules.payments.wompi.signatures import integrity_signature

logger = logging.getLogger(__name__)


def payer_email(*, public_id: object, email: str = "") -> str:
    """The e-mail Wompi requires for a card-on-file source or charge: the client's, else a
    per-client address of the spa's own domain (clients may sign up with a phone only)."""
    return email or f"{public_id}@clientes.studiozens.co"


def card_acceptance() -> CardAcceptanceDTO:
    try:
        acceptance = get_gateway().get_acceptance()
    except WompiError as exc:
        raise errors.GatewayUnavailable() from exc
    return CardAcceptanceDTO(
        acceptance_token=acceptance.acceptance_token,
        acceptance_permalink=acceptance.acceptance_permalink,
        personal_data_token=acceptance.personal_data_token,
        personal_data_permalink=acceptance.personal_data_permalink,
        public_key=settings.WOMPI_PUBLIC_KEY,
        tokens_url=card_tokens_url(),
    )


def create_payment_source(
    *, card_token: str, customer_email: str, acceptance_token: str, personal_data_token: str
) -> PaymentSourceDTO:
    try:
        source = get_gateway().create_payment_source(
            token=card_token,
            customer_email=customer_email,
            acceptance_token=acceptance_token,
            personal_auth_token=personal_data_token,
        )
    except WompiError as exc:
        if exc.retryable:
            raise errors.GatewayUnavailable() from exc
        raise errors.CardRejected() from exc
    public_data = source.get("public_data") or {}
    return PaymentSourceDTO(
        id=str(source["id"]),
        status=str(source.get("status", ""))[:20],
        brand=str(public_data.get("brand", ""))[:20],
        last_four=str(public_data.get("last_four", ""))[:4],
    )


def _charge_dto(payment: Payment) -> SourceChargeDTO:
    return SourceChargeDTO(
        reference=payment.reference,
        amount_cents=payment.amount_cents,
        currency=payment.currency,
        status=payment.status,
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
    charge_kind: str = ChargeKind.CHARGE,
) -> SourceChargeDTO:
    validate_request(purpose, ref, amount_cents)
    if charge_kind not in ChargeKind.values:
        raise errors.InvalidPurpose(details={"charge_kind": list(ChargeKind.values)})
    if reference:
        # The purpose's own idempotency key: opening the same attempt twice gives the one
        # payment (the reference is unique in the database), never a second charge.
        existing = Payment.objects.filter(reference=reference).first()
        if existing is not None:
            if (existing.purpose, existing.purpose_ref) != (purpose, str(ref)):
                raise errors.InvalidPurpose(details={"reference": "taken"})
            return _charge_dto(existing)
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                reference=reference or new_reference(reference_prefix),
                purpose=purpose,
                purpose_ref=str(ref),
                user_id=user_id,
                kind=PaymentKind.PAYMENT_SOURCE,
                charge_kind=charge_kind,
                amount_cents=amount_cents,
                currency=currency,
                description=description,
                customer_email=customer_email,
                # An attempt whose outcome we never learn (timeout before Wompi answered,
                # or the process died before asking) must end: reconciliation looks it up
                # by reference after this and, if Wompi has no transaction for it, expires
                # it (a PaymentFailed).
                expires_at=timezone.now()
                + timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES),
            )
    except IntegrityError:
        if not reference:
            raise
        return _charge_dto(Payment.objects.get(reference=reference))  # opened concurrently
    return _charge_dto(payment)


def send_source_charge(*, reference: str, payment_source_id: str) -> SourceChargeSent:
    payment = Payment.objects.get(reference=reference, kind=PaymentKind.PAYMENT_SOURCE)
    if payment.status != PaymentStatus.PENDING or payment.wompi_transaction_id:
        return SourceChargeSent(reference=reference, sent=True)  # sent before (or settled)
    try:
        tx = get_gateway().create_source_transaction(
            amount_in_cents=payment.amount_cents,
            currency=payment.currency,
            signature=integrity_signature(
                payment.reference,
                payment.amount_cents,
                payment.currency,
                settings.WOMPI_INTEGRITY_SECRET,
            ),
            customer_email=payment.customer_email,
            reference=payment.reference,
            payment_source_id=payment_source_id,
        )
    except WompiError as exc:
        logger.warning("Card-on-file charge %s failed to start: %s", reference, exc)
        return SourceChargeSent(
            reference=reference,
            sent=False,
            maybe_sent=exc.maybe_sent,
            retryable=exc.retryable,
            message=str(exc)[:255],
        )
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if not locked.wompi_transaction_id:  # an event may have recorded it first
            locked.wompi_transaction_id = str(tx.get("id", ""))[:64]
        if not locked.method:
            locked.method = str(tx.get("payment_method_type", "CARD"))[:32]
        locked.save(update_fields=["wompi_transaction_id", "method", "updated_at"])
    return SourceChargeSent(reference=reference, sent=True)


def attempt_statuses(*, references: list[str]) -> dict[str, str]:
    return dict(Payment.objects.filter(reference__in=references).values_list("reference", "status"))
