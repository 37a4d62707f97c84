"""Checkout: open a payment attempt (an unguessable reference) and the data a frontend
needs to pay it through Wompi's Web Checkout or widget."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone

from modules.payments import errors
from modules.payments.dtos import CheckoutDTO, Customer
from modules.payments.models import Payment
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
    expiration = format_expiration(payment.expires_at) if payment.expires_at else None
    signature = integrity_signature(
        payment.reference,
        payment.amount_cents,
        payment.currency,
        settings.WOMPI_INTEGRITY_SECRET,
        expiration,
    )
    redirect = redirect_url()
    params: dict[str, Any] = {
        "public-key": settings.WOMPI_PUBLIC_KEY,
        "currency": payment.currency,
        "amount-in-cents": payment.amount_cents,
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
        amount_in_cents=payment.amount_cents,
        currency=payment.currency,
        public_key=settings.WOMPI_PUBLIC_KEY,
        signature_integrity=signature,
        redirect_url=redirect,
        expiration_time=expiration,
        checkout_url=f"{checkout_base_url()}?{urlencode(params)}",
        status=payment.status,
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
) -> CheckoutDTO:
    validate_request(purpose, ref, amount_cents)
    if expires_at is None:
        expires_at = timezone.now() + timedelta(minutes=settings.PAYMENT_CHECKOUT_EXPIRY_MINUTES)
    # Wompi signs the expiration with millisecond precision: store exactly that value.
    expires_at = expires_at.replace(microsecond=expires_at.microsecond // 1000 * 1000)
    user_id, email, full_name, phone = _customer_fields(customer)
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
    return checkout_for(payment, full_name=full_name, phone=phone)
