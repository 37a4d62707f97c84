"""Shared set-up for the card-guarantee tests: a card-guarantee service and a client with a
card saved through payments' real path (the in-process Wompi sandbox)."""

from __future__ import annotations

from typing import Any

from modules.booking.models import Guarantee, Service
from modules.payments import saved_cards
from modules.payments.sandbox.inprocess import get_sandbox
from modules.payments.wompi.gateway import get_gateway
from tests.factories import UserFactory

APPROVED_CARD, DECLINED_CARD = "4242424242424242", "4111111111111111"


def card_service(spa: Any) -> Service:
    """60 min, $ 200.000; no-show 50 % ($ 100.000), late cancellation $ 40.000 inside 24 h."""
    service = Service.objects.create(
        code="MASAJE-GARANTIA",
        name="Masaje con tarjeta en garantía",
        category=spa.category,
        duration_minutes=60,
        price_cents=20_000_000,
        guarantee=Guarantee.CARD,
        no_show_fee_percent=50,
        late_cancel_fee_cents=4_000_000,
        late_cancel_hours=24,
    )
    service.therapists.add(spa.ana, spa.beto)
    return service


def save_card(user: Any, number: str = APPROVED_CARD) -> None:
    gateway = get_gateway()
    acceptance = gateway.get_acceptance()
    saved_cards.save_card(
        user=user,
        customer_email=f"{user.public_id}@example.com",
        card_token=gateway.tokenize_card(
            number=number, cvc="123", exp_month="08", exp_year="30", card_holder="Ana"
        ),
        acceptance_token=acceptance.acceptance_token,
        personal_data_token=acceptance.personal_data_token,
    )


def client_with_card(number: str = APPROVED_CARD) -> Any:
    user = UserFactory(roles=["client"], email="")
    save_card(user, number)
    return user


def fee_transactions() -> list[dict[str, Any]]:
    """What the Wompi fake was asked to charge for fees (references SZF-…)."""
    return [
        t for t in get_sandbox().state.transactions.values() if t["reference"].startswith("SZF-")
    ]
