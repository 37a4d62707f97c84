"""Checkout: open a payment attempt (an unguessable reference) and the data a frontend
needs to pay it through Wompi's Web Checkout or widget."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from modules.payments import errors, outbox, tenders
from modules.payments.dtos import CheckoutDTO, Customer, TenderLine, TenderOffer
from modules.payments.ledger import record_charge
from modules.payments.models import TENDER_METHOD, Outcome, Payment, PaymentStatus
from modules.payments.wompi.signatures import format_expiration, integrity_signature
from platform_core.request_context import rebase_site_url

PURPOSE_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


def new_reference(prefix: str = "SZ") -> str:
    """96 random bits, Wompi-safe characters."""
    return f"{prefix}-{secrets.token_hex(12).upper()}"


def _customer_fields(customer: Customer | None) -> tuple[int | None, str, str, str]:
    if customer is None:
        return None, "", "", ""
    name = f"{customer.first_name} {customer.last_name}".strip()
    return customer.id, customer.email or "", name, customer.phone_number or ""


def checkout_base_url() -> str:
    if settings.WOMPI_ADAPTER == "sandbox":
        return rebase_site_url(settings.WOMPI_SANDBOX_CHECKOUT_URL)
    return settings.WOMPI_CHECKOUT_URL


def card_tokens_url() -> str:
    """Wompi's card tokenization endpoint as the browser must call it."""
    if settings.WOMPI_ADAPTER == "sandbox":
        return rebase_site_url(f"{settings.SITE_URL}/api/finances/sandbox/v1/tokens/cards")
    return f"{settings.WOMPI_BASE_URL}/tokens/cards"


def redirect_url() -> str:
    """Where Wompi sends the browser after paying (follows the dev server's host/port)."""
    return rebase_site_url(settings.WOMPI_REDIRECT_URL)


def checkout_for(payment: Payment, *, full_name: str = "", phone: str = "") -> CheckoutDTO:
    applied = tenders.applied(payment) if payment.tendered_cents else ()
    if payment.gateway_cents == 0:
        # The tenders paid it all: nothing to take to Wompi.
        return CheckoutDTO(
            reference=payment.reference,
            amount_in_cents=0,
            currency=payment.currency,
            public_key=settings.WOMPI_PUBLIC_KEY,
            signature_integrity="",
            redirect_url="",
            expiration_time=None,
            checkout_url="",
            status=payment.status,
            total_cents=payment.amount_cents,
            tendered_cents=payment.tendered_cents,
            tenders=applied,
            settled=payment.status == PaymentStatus.APPROVED,
        )
    expiration = format_expiration(payment.expires_at) if payment.expires_at else None
    signature = integrity_signature(
        payment.reference,
        payment.gateway_cents,
        payment.currency,
        settings.WOMPI_INTEGRITY_SECRET,
        expiration,
    )
    redirect = redirect_url()
    params: dict[str, Any] = {
        "public-key": settings.WOMPI_PUBLIC_KEY,
        "currency": payment.currency,
        "amount-in-cents": payment.gateway_cents,
        "reference": payment.reference,
        "signature:integrity": signature,
        "redirect-url": redirect,
    }
    if expiration:
        params["expiration-time"] = expiration
    if payment.customer_email:
        params["customer-data:email"] = payment.customer_email
    if full_name:
        params["customer-data:full-name"] = full_name
    if phone.startswith("+57"):
        params["customer-data:phone-number"] = phone[3:]
        params["customer-data:phone-number-prefix"] = "+57"
    return CheckoutDTO(
        reference=payment.reference,
        amount_in_cents=payment.gateway_cents,
        currency=payment.currency,
        public_key=settings.WOMPI_PUBLIC_KEY,
        signature_integrity=signature,
        redirect_url=redirect,
        expiration_time=expiration,
        checkout_url=f"{checkout_base_url()}?{urlencode(params)}",
        status=payment.status,
        total_cents=payment.amount_cents,
        tendered_cents=payment.tendered_cents,
        tenders=applied,
        settled=payment.status == PaymentStatus.APPROVED,
    )


def validate_request(purpose: str, ref: str, amount_cents: Any) -> None:
    if not isinstance(purpose, str) or not PURPOSE_RE.match(purpose) or len(purpose) > 64:
        raise errors.InvalidPurpose()
    if not ref or len(str(ref)) > 128:
        raise errors.InvalidPurpose(details={"ref": "required"})
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise errors.InvalidAmount()


def create_checkout(
    *,
    purpose: str,
    ref: str,
    amount_cents: int,
    customer: Customer | None,
    expires_at: datetime | None = None,
    description: str = "",
    tender_offers: Sequence[TenderOffer] = (),
    lines: Sequence[TenderLine] = (),
) -> CheckoutDTO:
    """Open an attempt for ``amount_cents``; the offered tenders are held first (in order,
    until nothing is due) and Wompi is asked for the rest. Tenders covering everything
    settle the attempt at once (captured, ledger, PaymentSettled through the outbox).
    A refused tender raises and nothing of the attempt remains."""
    validate_request(purpose, ref, amount_cents)
    offers = tenders.validate_offers(tender_offers)
    if expires_at is None:
        expires_at = timezone.now() + timedelta(minutes=settings.PAYMENT_CHECKOUT_EXPIRY_MINUTES)
    # Wompi signs the expiration with millisecond precision: store exactly that value.
    expires_at = expires_at.replace(microsecond=expires_at.microsecond // 1000 * 1000)
    user_id, email, full_name, phone = _customer_fields(customer)
    # With tenders the attempt is several writes, all or nothing (a savepoint inside the
    # caller's transaction); without, it is one INSERT, atomic by itself.
    with transaction.atomic() if offers else nullcontext():
        payment = Payment.objects.create(
            reference=new_reference(),
            purpose=purpose,
            purpose_ref=str(ref),
            user_id=user_id,
            amount_cents=amount_cents,
            currency=settings.CURRENCY,
            description=description[:255],
            customer_email=email,
            expires_at=expires_at,
        )
        if offers:
            tenders.apply_offers(payment, offers, customer=customer, lines=lines)
            if payment.gateway_cents == 0:
                _settle_by_tenders(payment)
    return checkout_for(payment, full_name=full_name, phone=phone)


def _settle_by_tenders(payment: Payment) -> None:
    """Approve an attempt the tenders covered entirely, as a Wompi approval would be."""
    payment.status = PaymentStatus.APPROVED
    payment.method = TENDER_METHOD
    payment.finalized_at = timezone.now()
    payment.save(update_fields=["status", "method", "finalized_at", "updated_at"])
    tenders.capture_all(payment)
    record_charge(payment)
    outbox.record(payment, Outcome.Kind.SETTLED)
