"""Issue 18's acceptance, over HTTP (booking's, the shop's and vouchers' APIs; Wompi's
in-process sandbox settling through its signed-webhook path), on the demo spa
(``manage.py seed_demo``: services, therapists, hours, products, the `5-masajes` package):

buy a gift card → deliver it → redeem part of it on a booking deposit and the rest plus Wompi
on a shop order → refund the order (value back to the card); buy a package and book three
sessions with its credits. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from modules.vouchers import codes
from modules.vouchers.models import GiftCard, PackagePurchase
from platform_core.models import Notification
from tests.factories import UserFactory
from tests.modules.vouchers.conftest import settle

# Real commits: a checkout the tenders cover settles through payments' outbox after commit.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_spa(settings: Any) -> None:
    settings.SEED_DEMO_ACTIVITY = False
    call_command("seed_demo", stdout=_Quiet())


class _Quiet:
    def write(self, _text: str) -> None:
        return None


def _first_slot(http: Any, service: str) -> dict[str, Any]:
    today = timezone.localdate()
    response = http.get(
        "/api/booking/availability",
        {
            "service": service,
            "date_from": today + timedelta(days=1),
            "date_to": today + timedelta(days=7),
        },
    )
    assert response.status_code == 200, response.content
    slots = response.json()["slots"]
    assert slots, "no availability"
    return slots[0]


def _book(http: Any, tender: dict[str, str]) -> dict[str, Any]:
    slot = _first_slot(http, "MASAJE-RELAX-60")
    response = http.post(
        "/api/booking/appointments",
        {
            "service": "MASAJE-RELAX-60",
            "start": slot["start"],
            "therapist": slot["therapists"][0],
            "tenders": [tender],
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def _balance(api: Any, code: str) -> int:
    return api.post("/api/vouchers/gift-cards/balance/", {"code": code}).json()["balance_cents"]


def test_gift_card_and_package_journey(api, api_as, demo_spa) -> None:
    buyer, friend = UserFactory(), UserFactory()
    reception = UserFactory(is_staff=True, roles=["reception"])

    # 1. Buy a gift card for a friend; Wompi (sandbox) approves; the code is delivered.
    bought = api_as(buyer).post(
        "/api/vouchers/gift-cards/",
        {
            "amount_cents": 10_000_000,
            "recipient_name": friend.first_name,
            "recipient_phone": friend.phone_number,
            "channel": "whatsapp",
        },
    )
    assert bought.status_code == 201, bought.content
    settle(bought.json()["payment"]["reference"])
    delivery = Notification.objects.get(template="vouchers/gift_card_delivery")
    assert delivery.to == friend.phone_number
    code = delivery.body.split("Tu código es ")[1].split(":")[0]
    assert codes.normalise(code) and _balance(api, code) == 10_000_000

    # 2. Part of it pays a booking's deposit (30 % of $ 180.000): confirmed at once.
    friend_http = api_as(friend)
    booked = _book(friend_http, {"kind": "gift_card", "code": code})
    assert booked["appointment"]["status"] == "CONFIRMED"
    assert booked["checkout"]["settled"] is True
    assert booked["checkout"]["tendered_cents"] == 5_400_000
    assert _balance(api, code) == 4_600_000

    # 3. The rest plus Wompi pays a shop order.
    products = friend_http.get("/api/shop/products", {"in_stock": "true"}).json()["items"]
    product = next(p for p in products if p["price_cents"] > 4_600_000)
    added = friend_http.post("/api/shop/cart/items", {"product_id": product["id"], "quantity": 1})
    assert added.status_code in (200, 201), added.content
    ordered = friend_http.post(
        "/api/shop/checkout",
        {"fulfilment": "pickup", "tenders": [{"kind": "gift_card", "code": code}]},
    )
    assert ordered.status_code == 201, ordered.content
    order, payment = ordered.json()["order"], ordered.json()["payment"]
    assert payment["tendered_cents"] == 4_600_000
    assert payment["amount_in_cents"] == order["total_cents"] - 4_600_000
    settle(payment["reference"])
    assert friend_http.get(f"/api/shop/orders/{order['id']}/").json()["status"] == "PAID"
    assert _balance(api, code) == 0

    # 4. The spa refunds the order: the card gets its part back (Wompi refunds the rest).
    cancelled = api_as(reception).post(
        f"/api/shop/orders/{order['id']}/status/", {"status": "CANCELLED", "note": "sin stock"}
    )
    assert cancelled.status_code == 200, cancelled.content
    assert _balance(api, code) == 4_600_000
    card = GiftCard.objects.get()
    assert [e.kind for e in card.entries.all()] == ["issue", "hold", "hold", "refund"]

    # 5. A package (5 sessions of MASAJE-RELAX-60) pays three bookings, one credit each.
    package = friend_http.post("/api/vouchers/packages/5-masajes/purchase/")
    assert package.status_code == 201, package.content
    settle(package.json()["payment"]["reference"])
    purchase_id = package.json()["purchase"]["id"]
    for _ in range(3):
        booked = _book(friend_http, {"kind": "package_credit", "code": purchase_id})
        assert booked["appointment"]["status"] == "CONFIRMED"
        # One credit pays the whole session (prepays_items), not just its deposit.
        assert booked["checkout"]["settled"] is True
        assert booked["checkout"]["tendered_cents"] == 18_000_000
    mine = friend_http.get("/api/vouchers/my-packages/").json()["items"]
    assert mine[0]["credits_left"] == 2
    assert PackagePurchase.objects.get().entries.filter(kind="hold").count() == 3
