"""Vouchers over HTTP against the real processes (tests/e2e/conftest.py: gunicorn, a Celery
worker consuming every plugin's queue, beat, the Wompi and Twilio fakes):

a client buys a gift card for a friend → pays in the Wompi fake's Web Checkout → the signed
webhook issues it → the worker delivers the code to the friend's WhatsApp at the Twilio fake
→ the friend checks the balance with that code → the code pays a booking's deposit (confirmed
at once, no Wompi) → the client buys a package (seeded `5-masajes`) → pays → its five sessions
are listed → one pays a booking (confirmed at once), four are left.
"""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from tests.e2e.conftest import Stack, eventually
from tests.e2e.test_journey import _first_slot, _pay, _twilio_messages, sign_up

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

CODE = re.compile(r"Tu código es ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})")


def buy_and_deliver_gift_card(stack: Stack, token: str) -> str:
    friend = f"+57301{random.randint(0, 9_999_999):07d}"
    with stack.client(token) as http:
        options = http.get("/api/vouchers/gift-cards/options/").json()
        amount = options["denominations_cents"][1]
        response = http.post(
            "/api/vouchers/gift-cards/",
            json={
                "amount_cents": amount,
                "recipient_name": "Laura",
                "recipient_phone": friend,
                "channel": "whatsapp",
                "message": "¡Feliz cumpleaños!",
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["gift_card"]["status"] == "pending_payment"
        _pay(stack, body["payment"]["checkout_url"])

        def issued() -> dict[str, Any] | None:
            cards = http.get("/api/vouchers/gift-cards/").json()["items"]
            card = next(c for c in cards if c["id"] == body["gift_card"]["id"])
            return card if card["status"] == "active" and card["delivered_at"] else None

        card = eventually(issued, what="gift card issued by the signed webhook and delivered")
        assert card["balance_cents"] == amount
    message = eventually(
        lambda: [m for m in _twilio_messages(stack, friend) if CODE.search(m["form"]["Body"])],
        what="gift card code at the friend's WhatsApp (Twilio fake)",
    )[0]
    code = CODE.search(message["form"]["Body"]).group(1)
    assert card["card"] == f"····{code[-4:]}"
    # The friend (no account) checks the balance with the code.
    with stack.client() as http:
        balance = http.post("/api/vouchers/gift-cards/balance/", json={"code": code})
        assert balance.status_code == 200, balance.text
        assert balance.json()["balance_cents"] == amount and balance.json()["usable"] is True
    return code


def buy_package(stack: Stack, token: str) -> dict[str, Any]:
    with stack.client(token) as http:
        on_sale = http.get("/api/vouchers/packages/").json()["items"]
        package = next(p for p in on_sale if p["code"] == "5-masajes")
        response = http.post(f"/api/vouchers/packages/{package['code']}/purchase/")
        assert response.status_code == 201, response.text
        _pay(stack, response.json()["payment"]["checkout_url"])

        def credited() -> dict[str, Any] | None:
            mine = http.get("/api/vouchers/my-packages/").json()["items"]
            return next((p for p in mine if p["status"] == "active"), None)

        purchase = eventually(credited, what="package credits granted by the signed webhook")
        assert purchase["credits_left"] == package["sessions"] == 5
    return purchase


def book_with(stack: Stack, token: str, tender: dict[str, str]) -> dict[str, Any]:
    """A booking paid by a tender alone: confirmed in the same request."""
    with stack.client(token) as http:
        slot = _first_slot(http, "MASAJE-RELAX-60")
        response = http.post(
            "/api/booking/appointments",
            json={
                "service": "MASAJE-RELAX-60",
                "start": slot["start"],
                "therapist": slot["therapists"][0],
                "tenders": [tender],
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["checkout"]["settled"] is True and body["checkout"]["checkout_url"] == ""
        confirmed = eventually(
            lambda: (
                http.get(f"/api/booking/appointments/{body['appointment']['id']}").json()["status"]
                == "CONFIRMED"
            ),
            what="appointment paid by the tender confirmed",
        )
        assert confirmed
    return body


def test_vouchers_journey(stack: Stack) -> None:
    _phone, token = sign_up(stack)
    code = buy_and_deliver_gift_card(stack, token)
    booked = book_with(stack, token, {"kind": "gift_card", "code": code})
    with stack.client() as http:
        left = http.post("/api/vouchers/gift-cards/balance/", json={"code": code}).json()
    assert left["balance_cents"] == 10_000_000 - booked["checkout"]["tendered_cents"]
    purchase = buy_package(stack, token)
    book_with(stack, token, {"kind": "package_credit", "code": purchase["id"]})
    with stack.client(token) as http:
        mine = http.get("/api/vouchers/my-packages/").json()["items"]
    assert mine[0]["credits_left"] == 4
