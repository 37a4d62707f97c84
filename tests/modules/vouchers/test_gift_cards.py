"""Gift cards bought online: checkout, issue on settlement (once), delivery on the chosen
date with the code (then forgotten), failures, validation in Spanish."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from modules.payments.public import PaymentFailed, PaymentRefunded
from modules.vouchers import codes, delivery, payment_handlers
from modules.vouchers.models import GiftCard, GiftCardEntry
from platform_core.models import Notification
from tests.modules.vouchers.conftest import buy_card, settle

pytestmark = pytest.mark.django_db

BUY = {
    "amount_cents": 10_000_000,
    "recipient_name": "Laura",
    "recipient_phone": "3001112233",
    "channel": "whatsapp",
    "message": "¡Feliz cumpleaños!",
}


def _sent(template: str) -> list[Notification]:
    return list(Notification.objects.filter(template=template).order_by("id"))


def test_buy_over_http_then_pay_issues_and_delivers_once(api_as, user) -> None:
    response = api_as(user).post("/api/vouchers/gift-cards/", BUY)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["gift_card"]["status"] == "pending_payment"
    assert body["gift_card"]["balance_cents"] == 0
    assert body["payment"]["amount_in_cents"] == 10_000_000
    assert body["payment"]["checkout_url"].startswith("http")
    card = GiftCard.objects.get(public_id=body["gift_card"]["id"])
    assert card.purchaser_id == user.id and card.recipient_phone == "+573001112233"

    settle(body["payment"]["reference"])
    payment_handlers.handle(  # a second delivery of the same outcome changes nothing
        _settled(card)
    )
    card.refresh_from_db()
    assert card.status == GiftCard.Status.ACTIVE
    assert card.balance_cents == 10_000_000
    assert list(card.entries.values_list("kind", "amount_cents", "balance_after_cents")) == [
        ("issue", 10_000_000, 10_000_000)
    ]
    assert card.expires_at - card.issued_at >= timedelta(days=365)
    # Delivered at once (no date chosen): the code went to the recipient and was forgotten.
    assert card.delivered_at is not None and card.code_pending_delivery == ""
    [delivered] = _sent("vouchers/gift_card_delivery")
    assert delivered.to == "+573001112233" and delivered.channel == "whatsapp"
    code = codes.normalise(delivered.body.split("Tu código es ")[1].split(":")[0])
    assert code is not None and codes.digest(code) == card.code_digest
    assert "¡Feliz cumpleaños!" in delivered.body and "$ 100.000" in delivered.body
    [confirmation] = _sent("vouchers/gift_card_purchased")
    assert confirmation.user_id == user.id and code not in confirmation.body
    # The buyer's list shows the card masked.
    listed = api_as(user).get("/api/vouchers/gift-cards/").json()["items"]
    assert listed[0]["card"] == f"····{code[-4:]}" and listed[0]["balance_cents"] == 10_000_000


def _settled(card: GiftCard):
    from modules.payments.public import PaymentSettled

    return PaymentSettled(
        purpose="vouchers.gift_card",
        ref=str(card.public_id),
        payment_reference=card.payment_reference,
        amount_cents=card.amount_cents,
        user_id=card.purchaser_id,
    )


def test_delivery_waits_for_the_chosen_date(user) -> None:
    when = timezone.now() + timedelta(days=10)
    bought = buy_card(user, deliver_at=when, email="laura@example.com", channel="email")
    settle(bought.checkout.reference)
    card = GiftCard.objects.get(pk=bought.card.pk)
    assert card.status == GiftCard.Status.ACTIVE and card.delivered_at is None
    assert card.code_pending_delivery  # kept, encrypted, until the day
    assert delivery.deliver_due() == 0
    with time_machine.travel(when + timedelta(minutes=1)):
        assert delivery.deliver_due() == 1
        assert delivery.deliver_due() == 0  # the beat running again sends nothing more
    card.refresh_from_db()
    assert card.delivered_at is not None and card.code_pending_delivery == ""
    [mail] = _sent("vouchers/gift_card_delivery")
    assert mail.channel == "email" and mail.to == "laura@example.com"
    assert mail.subject == "Tienes una tarjeta de regalo de StudioZens"


def test_failed_payment_cancels_and_a_late_payment_still_issues(user) -> None:
    bought = buy_card(user)
    ref = str(bought.card.public_id)
    payment_handlers.handle(
        PaymentFailed(
            purpose="vouchers.gift_card",
            ref=ref,
            payment_reference=bought.checkout.reference,
            status="EXPIRED",
        )
    )
    card = GiftCard.objects.get(pk=bought.card.pk)
    assert card.status == GiftCard.Status.CANCELLED and card.balance_cents == 0
    payment_handlers.handle(_settled(card))  # the money came after all: honoured
    card.refresh_from_db()
    assert card.status == GiftCard.Status.ACTIVE and card.balance_cents == 10_000_000


def test_refunded_purchase_voids_what_is_left(user) -> None:
    bought = buy_card(user)
    settle(bought.checkout.reference)
    payment_handlers.handle(
        PaymentRefunded(
            purpose="vouchers.gift_card",
            ref=str(bought.card.public_id),
            payment_reference=bought.checkout.reference,
            amount_cents=10_000_000,
        )
    )
    card = GiftCard.objects.get(pk=bought.card.pk)
    assert card.status == GiftCard.Status.VOIDED and card.balance_cents == 0
    assert card.entries.last().kind == GiftCardEntry.Kind.VOID


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount_cents": 1_000_000}, "El valor debe estar entre $ 20.000 y $ 2.000.000."),
        ({"recipient_phone": ""}, "Indica el número de WhatsApp de quien recibe la tarjeta."),
        (
            {"deliver_at": "2020-01-01T08:00:00-05:00"},
            "La fecha de entrega ya pasó.",
        ),
        (
            {"channel": "email"},
            "Indica el correo de quien recibe la tarjeta.",
        ),
    ],
)
def test_refusals_are_spanish_409_and_write_nothing(api_as, user, change, message) -> None:
    response = api_as(user).post("/api/vouchers/gift-cards/", {**BUY, **change})
    assert response.status_code == 409, response.content
    assert response.json()["error"]["message"] == message
    assert not GiftCard.objects.exists()


def test_schema_refusals_are_422(api_as, user) -> None:
    client = api_as(user)
    whole_pesos = client.post("/api/vouchers/gift-cards/", {**BUY, "amount_cents": 2_000_050})
    assert whole_pesos.status_code == 422
    phone = client.post("/api/vouchers/gift-cards/", {**BUY, "recipient_phone": "3001"})
    assert phone.status_code == 422
    assert not GiftCard.objects.exists()


def test_buying_needs_an_account(api) -> None:
    assert api.post("/api/vouchers/gift-cards/", BUY).status_code == 401


def test_options_are_public(api) -> None:
    body = api.get("/api/vouchers/gift-cards/options/").json()
    assert body["validity_months"] >= 12 and body["allow_custom_amount"] is True


def test_balance_by_code(api, user) -> None:
    bought = buy_card(user)
    settle(bought.checkout.reference)
    code = codes.normalise(
        _sent("vouchers/gift_card_delivery")[0].body.split("Tu código es ")[1].split(":")[0]
    )
    ok = api.post("/api/vouchers/gift-cards/balance/", {"code": codes.display(code).lower()})
    assert ok.status_code == 200
    assert ok.json() | {"expires_at": None} == {
        "card": f"····{code[-4:]}",
        "status": "active",
        "balance_cents": 10_000_000,
        "expires_at": None,
        "usable": True,
    }
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    bad = api.post("/api/vouchers/gift-cards/balance/", {"code": typo})
    assert bad.status_code == 404 and bad.json()["error"]["code"] == "gift_card_code_invalid"
    unknown = "1" * 15
    unknown += codes._check_symbol(unknown)
    missing = api.post("/api/vouchers/gift-cards/balance/", {"code": unknown})
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == (
        "No encontramos una tarjeta de regalo con ese código."
    )


def test_balance_lookups_are_rate_limited(api) -> None:
    for _ in range(10):
        api.post("/api/vouchers/gift-cards/balance/", {"code": "X"})
    response = api.post("/api/vouchers/gift-cards/balance/", {"code": "X"})
    assert response.status_code == 429
    assert "retry-after" in {k.lower() for k in response.headers}
