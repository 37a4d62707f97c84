"""Vouchers fixtures: real payments (the in-process Wompi sandbox, settled through its signed
webhook path by ``payments.public.settle_in_sandbox``) and real notifications (the outbox
and the in-memory adapter)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from modules.payments import public as payments
from modules.vouchers import gift_cards
from modules.vouchers.models import GiftCard, Package, PackageService
from platform_core import ratelimit
from platform_core.notifications import clear_sent_messages


@pytest.fixture(autouse=True)
def _sandbox(settings: Any) -> Any:
    settings.WOMPI_ADAPTER = "sandbox"
    settings.WOMPI_ENVIRONMENT = "test"
    settings.WOMPI_EVENT_SECRET = "test_events_vouchers"
    settings.WOMPI_INTEGRITY_SECRET = "test_integrity_vouchers"
    settings.WOMPI_PUBLIC_KEY = "pub_test_vouchers"
    settings.WOMPI_PRIVATE_KEY = "prv_test_vouchers"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clear_sent_messages()
    # The balance look-up is rate limited per IP: one test's look-ups must not count in the
    # next one's (the limiter's local fallback lives in the process).
    ratelimit.reset_local()
    return settings


def settle(reference: str) -> None:
    """Pay a checkout as a client would in Wompi's sandbox (real webhook path)."""
    assert payments.settle_in_sandbox(payment_reference=reference) == "applied"


def buy_card(buyer: Any, amount_cents: int = 10_000_000, **recipient: Any) -> Any:
    details = {"name": "Laura", "phone": "+573001112233", "channel": "whatsapp", **recipient}
    return gift_cards.purchase(
        buyer=buyer, amount_cents=amount_cents, recipient=gift_cards.Recipient(**details)
    )


def active_card(
    user: Any, amount_cents: int = 10_000_000, **recipient: Any
) -> tuple[GiftCard, str]:
    """A card issued by staff (its full code returned once)."""
    issued = gift_cards.issue(
        actor=user,
        amount_cents=amount_cents,
        recipient=gift_cards.Recipient(**{"name": "Ana", **recipient}),
    )
    return issued.card, issued.code


@pytest.fixture
def package(db: Any) -> Package:
    pkg = Package.objects.create(
        code="5-masajes", name="5 masajes", sessions=5, price_cents=40_000_000, validity_days=365
    )
    PackageService.objects.create(package=pkg, service_code="MASAJE-RELAX-60")
    return pkg


def now() -> Any:
    return timezone.now()
