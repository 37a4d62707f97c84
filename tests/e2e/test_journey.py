"""A client's whole journey over HTTP against the real processes (see conftest.py).

register → OTP (Twilio Verify, started by the worker, read back from the Twilio fake) → tokens
→ an order left unpaid → availability → booking with a deposit → payment in the Wompi
sandbox's Web Checkout (signed webhook) → appointment confirmed (WhatsApp/SMS at the Twilio
fake) → reminder sent by beat → worker → shop checkout (idempotent) → payment → order through
its states (staff), each status message at the Twilio fake → VIP with a renewal → WhatsApp
menu and a Gemini (fake) conversation that book → the unpaid order expired by beat → worker
→ personal-data export → erasure.
"""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.conftest import BEAT_EVERY_SECONDS, WAITLIST_OFFER_CONTENT, Stack, eventually

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

PASSWORD = "Zen-E2E-Clave-2030!"
STAFF_PHONE, STAFF_PASSWORD = "+573000000001", "StudioZens-Staff-2026!"  # seed_demo's admin
APPROVED_CARD = "4242424242424242"  # the sandbox approves this card
BOGOTA = ZoneInfo("America/Bogota")


def _outbox(stack: Stack, phone: str, template: str = "") -> list[dict[str, Any]]:
    with stack.client() as http:
        params = {"to": phone, "page_size": 50}
        if template:
            params["template"] = template
        response = http.get("/api/core/dev/outbox", params=params)
        assert response.status_code == 200, response.text
        return response.json()["items"]


def _delivered(stack: Stack, phone: str, *, contains: str = "") -> dict[str, Any] | None:
    """The newest notification to ``phone`` the worker has delivered (status sent)."""
    for item in _outbox(stack, phone):
        if item["status"] == "sent" and contains in item["template"]:
            return item
    return None


def _verification_code(stack: Stack, phone: str, *, after: int = 0) -> str:
    """The code the Twilio fake generated for the newest Verify request to ``phone``."""

    def started() -> list[dict[str, Any]]:
        return [
            v for v in stack.twilio_received("verification")[after:] if v["form"]["To"] == phone
        ]

    return str(eventually(started, what=f"Verify started for {phone}")[-1]["code"])


def _twilio_messages(stack: Stack, phone: str, *, after: int = 0) -> list[dict[str, Any]]:
    """Messages API requests to ``phone`` (SMS or WhatsApp) the Twilio fake received."""
    return [
        m
        for m in stack.twilio_received("message")[after:]
        if m["form"]["To"].removeprefix("whatsapp:") == phone
    ]


def _code(message: dict[str, Any]) -> str:
    match = re.search(r"\b(\d{6})\b", message["body"])
    assert match, message["body"]
    return match.group(1)


def _login(stack: Stack, phone: str, password: str) -> str:
    with stack.client() as http:
        response = http.post(
            "/api/users/token/", json={"phone_number": phone, "password": password}
        )
        assert response.status_code == 200, response.text
        return response.json()["access"]


def _pay(stack: Stack, checkout_url: str) -> None:
    """What the client's browser does on Wompi's Web Checkout: submit the form with a card."""
    assert checkout_url.startswith(f"{stack.wompi_url}/p/"), checkout_url
    form = dict(parse_qsl(urlsplit(checkout_url).query))
    form.update(type="CARD", number=APPROVED_CARD, cvc="123", card_holder="Ana Pruebas")
    response = httpx.post(f"{stack.wompi_url}/p/", data=form, timeout=30)
    assert response.status_code in (200, 302, 303), response.text


def _sandbox_transaction(stack: Stack, reference: str) -> dict[str, Any]:
    """What the Wompi fake recorded for a reference (its private-key API)."""
    key = stack.env.get("WOMPI_PRIVATE_KEY", "prv_test_local_sandbox")
    response = httpx.get(
        f"{stack.wompi_url}/v1/transactions",
        params={"reference": reference},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert len(data) == 1, data
    return data[0]


def _first_slot(http: httpx.Client, service: str) -> dict[str, Any]:
    """The first free slot from today on (Bogotá's calendar)."""
    start = datetime.now(BOGOTA).date()
    response = http.get(
        "/api/booking/availability",
        params={"service": service, "date_from": start, "date_to": start + timedelta(days=6)},
    )
    assert response.status_code == 200, response.text
    slots = response.json()["slots"]
    assert slots, f"no availability for {service}"
    return dict(slots[0])


def sign_up(stack: Stack) -> tuple[str, str]:
    phone = f"+57300{random.randint(0, 9_999_999):07d}"
    with stack.client() as http:
        response = http.post(
            "/api/users/register/",
            json={
                "phone_number": phone,
                "password": PASSWORD,
                "first_name": "Ana",
                "last_name": "Pruebas",
                "accept_terms": True,
                "accept_data_policy": True,
            },
        )
        assert response.status_code == 202, response.text
        # The worker starts a Twilio Verify verification; the fake "texts" the code.
        code = _verification_code(stack, phone)
        started = [v for v in stack.twilio_received("verification") if v["form"]["To"] == phone]
        assert started[-1]["form"]["Channel"] == "sms"  # OTP_DEFAULT_CHANNEL
        wrong = "000000" if code != "000000" else "111111"
        response = http.post("/api/users/verify/", json={"phone_number": phone, "code": wrong})
        assert response.status_code >= 400, response.text
        response = http.post("/api/users/verify/", json={"phone_number": phone, "code": code})
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"access", "refresh"}
        # Wrong password: 401 in the one error shape.
        response = http.post("/api/users/token/", json={"phone_number": phone, "password": "x"})
        assert response.status_code == 401
        assert response.json()["error"]["code"]
    return phone, _login(stack, phone, PASSWORD)


def book_with_deposit(stack: Stack, phone: str, token: str) -> dict[str, Any]:
    sent_before = len(stack.twilio_received("message"))
    with stack.client(token) as http:
        slot = _first_slot(http, "MASAJE-RELAX-60")
        request = {
            "service": "MASAJE-RELAX-60",
            "start": slot["start"],
            "therapist": slot["therapists"][0],
        }
        response = http.post("/api/booking/appointments", json=request)
        assert response.status_code == 201, response.text
        body = response.json()
        appointment, checkout = body["appointment"], body["checkout"]
        assert appointment["status"] == "PENDING_PAYMENT"
        assert appointment["deposit_cents"] > 0
        assert checkout["amount_in_cents"] == appointment["deposit_cents"]
        # The same therapist at the same time is not bookable twice.
        again = http.post("/api/booking/appointments", json=request)
        assert again.status_code == 409, again.text
        assert again.json()["error"]["code"]

        _pay(stack, checkout["checkout_url"])
        tx = _sandbox_transaction(stack, checkout["reference"])
        assert (tx["status"], tx["amount_in_cents"]) == ("APPROVED", checkout["amount_in_cents"])

        def confirmed() -> dict[str, Any] | None:
            current = http.get(f"/api/booking/appointments/{appointment['id']}").json()
            return current if current["status"] == "CONFIRMED" else None

        current = eventually(confirmed, what="appointment confirmed by the signed webhook")
        assert current["deposit_paid_cents"] == appointment["deposit_cents"]
        payment = http.get(f"/api/finances/payments/{checkout['reference']}")
        assert payment.status_code == 200, payment.text
        assert payment.json()["status"] == "APPROVED"
    # The booking messages reach Twilio (the fake's Messages API) through the worker.
    messages = eventually(
        lambda: [
            m
            for m in _twilio_messages(stack, phone, after=sent_before)
            if "Masaje relajante" in m["form"].get("Body", "")
        ],
        what="booking message at the Twilio fake",
    )
    assert messages[0]["sid"].startswith("SM")
    return current


def _reminders(stack: Stack, phone: str) -> list[dict[str, Any]]:
    return [m for m in _twilio_messages(stack, phone) if "te recordamos" in m["form"]["Body"]]


def reminder_is_delivered(stack: Stack, phone: str, appointment: dict[str, Any]) -> None:
    """The reminder goes out through beat → worker: beat sends booking.send_reminders every
    2 s (conftest.BEAT_EVERY_SECONDS). A reminder whose moment had passed when the booking
    was made is skipped by design, so the booking just made gets none; moved back three days
    ("booked earlier"), the next beat run sends it, once."""
    beat = BEAT_EVERY_SECONDS["booking.send_reminders"]
    time.sleep(2 * beat)  # beat has run since the booking was confirmed...
    assert not _reminders(stack, phone), "...and sent nothing for a booking made just now"
    before = {item["id"] for item in _outbox(stack, phone)}
    stack.book_earlier(appointment["id"], days=3)

    def delivered() -> dict[str, Any] | None:
        for item in _outbox(stack, phone):
            if item["id"] not in before and item["status"] == "sent":
                return item
        return None

    reminder = eventually(delivered, what="reminder sent by beat, delivered by the worker")
    assert "reminder" in reminder["template"], reminder
    assert "Masaje relajante" in reminder["body"], reminder
    at_twilio = eventually(lambda: _reminders(stack, phone), what="reminder at Twilio")
    time.sleep(3 * beat)  # more beat runs: the reminder is claimed once
    assert [m["form"]["Body"] for m in _reminders(stack, phone)] == [reminder["body"]]
    assert [m["form"]["Body"] for m in at_twilio] == [reminder["body"]]
    new = [item for item in _outbox(stack, phone) if item["id"] not in before]
    assert [item["id"] for item in new] == [reminder["id"]], new


def leave_an_order_unpaid(stack: Stack, token: str) -> dict[str, Any]:
    """Check out every unit left of a low-stock product and never pay. The order holds the
    units for ORDER_HOLD_MINUTES (1 in the e2e); `unpaid_order_expires` sees beat expire it."""
    with stack.client(token) as http:
        products = http.get("/api/shop/products", params={"page_size": 50}).json()["items"]
        product = next(p for p in products if p["availability"] == "low")
        for quantity in range(20, 0, -1):  # SHOP_MAX_LINE_QUANTITY down to what is left
            response = http.put(
                f"/api/shop/cart/items/{product['id']}", json={"quantity": quantity}
            )
            if response.status_code == 200:
                break
            assert response.status_code in (409, 422), response.text
            assert response.json()["error"]["code"]
        response = http.post("/api/shop/checkout", json={"fulfilment": "pickup"})
        assert response.status_code == 201, response.text
        order = response.json()["order"]
        assert order["status"] == "PENDING_PAYMENT"
        detail = http.get(f"/api/shop/products/{product['id']}").json()
        assert detail["availability"] == "out", "the order holds every unit left"
    return {"order": order, "product": product}


def unpaid_order_expires(stack: Stack, phone: str, token: str, unpaid: dict[str, Any]) -> None:
    """Beat sends shop.expire_orders every 2 s; the order expires once its hold is over, its
    units are back on sale, and the client is told (Twilio fake)."""
    order, product = unpaid["order"], unpaid["product"]
    expires_at = datetime.fromisoformat(order["expires_at"])
    with stack.client(token) as http:
        left = (expires_at - datetime.now(BOGOTA)).total_seconds()
        if left > 2:  # beat has been running: nothing expires before its time
            current = http.get(f"/api/shop/orders/{order['id']}").json()
            assert current["status"] == "PENDING_PAYMENT", current

        def expired() -> dict[str, Any] | None:
            current = http.get(f"/api/shop/orders/{order['id']}").json()
            return current if current["status"] == "EXPIRED" else None

        eventually(expired, timeout=max(left, 0) + 30, interval=1, what="order expired by beat")
        detail = http.get(f"/api/shop/products/{product['id']}").json()
        assert detail["availability"] != "out", "the held units are released"
    notice = eventually(
        lambda: [
            m
            for m in _twilio_messages(stack, phone)
            if order["code"] in m["form"]["Body"] and "venció" in m["form"]["Body"]
        ],
        what="expiry message at the Twilio fake",
    )
    assert len(notice) == 1, notice


ORDER_MESSAGES = {  # shop/order_status, by status: what the client is told
    "PAID": "confirmamos el pago de tu pedido",
    "PREPARING": "estamos preparando tu pedido",
    "READY_FOR_PICKUP": "está listo",
    "COMPLETED": "fue entregado",
}


def buy_and_fulfil(stack: Stack, phone: str, token: str) -> dict[str, Any]:
    staff = _login(stack, STAFF_PHONE, STAFF_PASSWORD)
    sent_before = len(stack.twilio_received("message"))
    with stack.client(token) as http, stack.client(staff) as staff_http:
        products = http.get("/api/shop/products", params={"page_size": 50}).json()["items"]
        # The low-stock product is held whole by the unpaid order: "out" is not for sale.
        on_sale = [p for p in products if p["availability"] != "out"]
        assert len(on_sale) < len(products), [p["availability"] for p in products]
        product = on_sale[0]
        response = http.post(
            "/api/shop/cart/items", json={"product_id": product["id"], "quantity": 1}
        )
        assert response.status_code == 200, response.text
        key = {"Idempotency-Key": str(uuid.uuid4())}
        response = http.post("/api/shop/checkout", json={"fulfilment": "pickup"}, headers=key)
        assert response.status_code == 201, response.text
        body = response.json()
        # A retried request (lost response) replays the same order, not a second one.
        replay = http.post("/api/shop/checkout", json={"fulfilment": "pickup"}, headers=key)
        assert (replay.status_code, replay.json()) == (201, body)
        order, payment = body["order"], body["payment"]
        assert order["status"] == "PENDING_PAYMENT"
        assert payment["amount_in_cents"] == order["total_cents"]

        _pay(stack, payment["checkout_url"])
        # The sandbox recorded one approved transaction for the order's reference and amount.
        tx = _sandbox_transaction(stack, payment["reference"])
        assert (tx["status"], tx["amount_in_cents"]) == ("APPROVED", order["total_cents"])

        def paid() -> dict[str, Any] | None:
            current = http.get(f"/api/shop/orders/{order['id']}").json()
            return current if current["status"] == "PAID" else None

        eventually(paid, what="order paid by the signed webhook")
        settled = http.get(f"/api/finances/payments/{payment['reference']}")
        assert settled.status_code == 200, settled.text
        assert settled.json()["status"] == "APPROVED"
        # A client cannot move an order; staff walk it through fulfilment.
        denied = http.post(f"/api/shop/orders/{order['id']}/status", json={"status": "PREPARING"})
        assert denied.status_code in (403, 404)
        for status in ("PREPARING", "READY_FOR_PICKUP", "COMPLETED"):
            moved = staff_http.post(
                f"/api/shop/orders/{order['id']}/status", json={"status": status}
            )
            assert moved.status_code == 200, moved.text
            assert moved.json()["status"] == status
        wrong = staff_http.post(f"/api/shop/orders/{order['id']}/status", json={"status": "PAID"})
        assert wrong.status_code in (409, 422), wrong.text
        final = http.get(f"/api/shop/orders/{order['id']}").json()
        assert final["status"] == "COMPLETED"

    # Each status reached the client through the worker (the Twilio fake), once. Not
    # necessarily in order: the worker sends with several threads, and the statuses above
    # change within milliseconds (at a real desk they are minutes apart).
    def told() -> list[str] | None:
        bodies = [
            m["form"]["Body"]
            for m in _twilio_messages(stack, phone, after=sent_before)
            if order["code"] in m["form"].get("Body", "")
        ]
        return bodies if len(bodies) >= len(ORDER_MESSAGES) else None

    bodies = eventually(told, what="order status messages at the Twilio fake")
    assert len(bodies) == len(ORDER_MESSAGES), bodies
    for status, text in ORDER_MESSAGES.items():
        assert sum(text in body for body in bodies) == 1, (status, bodies)
    return final


RENEW_WITH_TIME_ADVANCED = """
import json, sys
from datetime import timedelta
import django
django.setup()
import time_machine
from django.utils.dateparse import parse_datetime
from modules.membership.services import run_renewals
period_end = parse_datetime(sys.argv[1])
with time_machine.travel(period_end + timedelta(hours=1), tick=True):
    print(json.dumps(run_renewals()))
"""


def _vip_payments(http: httpx.Client) -> list[dict[str, Any]]:
    items = http.get("/api/finances/payments/", params={"page_size": 50}).json()["items"]
    return [p for p in items if p["purpose"] == "payments.vip"]


def _card_token(stack: Stack) -> str:
    """What the client's browser does first: tokenize the card at Wompi (the fake)."""
    public_key = stack.env.get("WOMPI_PUBLIC_KEY", "pub_test_local_sandbox")
    card = httpx.post(
        f"{stack.wompi_url}/v1/tokens/cards",
        json={
            "number": APPROVED_CARD,
            "cvc": "123",
            "exp_month": "12",
            "exp_year": "30",
            "card_holder": "Ana Pruebas",
        },
        headers={"Authorization": f"Bearer {public_key}"},
        timeout=10,
    )
    assert card.status_code in (200, 201), card.text
    return str(card.json()["data"]["id"])


def subscribe_and_renew_vip(stack: Stack, token: str) -> None:
    """VIP: card tokenized in the sandbox, first month charged to the saved payment source,
    then the renewal charge when the period ends (the beat task's body, run with the clock
    advanced past the period end); both settle through signed webhooks."""
    card_token = _card_token(stack)
    with stack.client(token) as http:
        acceptance = http.get("/api/finances/vip/acceptance/").json()
        plan = http.get("/api/finances/vip/plans/").json()["items"][0]
        response = http.post(
            "/api/finances/vip/subscription/",
            json={
                "plan_code": plan["code"],
                "card_token": card_token,
                "acceptance_token": acceptance["acceptance_token"],
                "personal_data_token": acceptance["personal_data_token"],
                "accept_terms": True,
                "accept_personal_data": True,
            },
        )
        assert response.status_code == 201, response.text
        assert response.json()["card_last_four"] == APPROVED_CARD[-4:]
        eventually(lambda: http.get("/api/users/me").json()["is_vip"], what="VIP active")
        first = eventually(
            lambda: [p for p in _vip_payments(http) if p["status"] == "APPROVED"],
            what="first VIP charge approved",
        )
        assert first[0]["amount_cents"] == plan["price_cents"]
        subscription = http.get("/api/finances/vip/subscription/").json()

        output = stack.run_python(RENEW_WITH_TIME_ADVANCED, subscription["current_period_end"])
        assert json.loads(output.strip().splitlines()[-1])["charged"] == 1, output

        def renewed() -> list[dict[str, Any]] | None:
            approved = [p for p in _vip_payments(http) if p["status"] == "APPROVED"]
            return approved if len(approved) == 2 else None

        payments = eventually(renewed, what="renewal charge approved by the signed webhook")
        for payment in payments:
            assert _sandbox_transaction(stack, payment["reference"])["status"] == "APPROVED"
        later = http.get("/api/finances/vip/subscription/").json()
        assert later["current_period_end"] > subscription["current_period_end"]


def _whatsapp(stack: Stack, phone: str, text: str) -> str:
    """Play Twilio: POST a signed inbound WhatsApp message; return the assistant's reply as
    delivered by the worker (whatsapp channel of the outbox)."""
    from twilio.request_validator import RequestValidator

    before = len(stack.twilio_received("message"))
    url = f"{stack.base_url}/api/assistant/webhooks/whatsapp/"
    params = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": "AC" + "0" * 32,
        "From": f"whatsapp:{phone}",
        "To": "whatsapp:+14155238886",
        "Body": text,
        "NumMedia": "0",
        "ProfileName": "Ana",
        "WaId": phone.lstrip("+"),
    }
    signature = RequestValidator(stack.env["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    unsigned = httpx.post(url, data=params, timeout=10)
    assert unsigned.status_code == 403, "an unsigned webhook is refused"
    response = httpx.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)
    assert response.status_code == 200, response.text

    def replies() -> list[dict[str, Any]]:
        # Within the 24-hour window (the client just wrote): free-form WhatsApp.
        return [
            m
            for m in _twilio_messages(stack, phone, after=before)
            if m["form"]["To"] == f"whatsapp:{phone}"
        ]

    eventually(replies, what=f"assistant reply to {text!r} at the Twilio fake")
    time.sleep(0.5)  # a turn may send more than one message
    return "\n".join(m["form"].get("Body", "") for m in replies())


def _option(menu: str, label: str) -> str:
    for line in menu.splitlines():
        match = re.match(r"\W*(\d+)\W", line)
        if match and label.lower() in line.lower():
            return match.group(1)
    raise AssertionError(f"no option {label!r} in:\n{menu}")


def book_over_whatsapp_menu(stack: Stack, phone: str, token: str) -> None:
    """The assistant's menu ("menu") books through the same tools and confirmation."""
    menu = _whatsapp(stack, phone, "menu")
    services = _whatsapp(stack, phone, _option(menu, "reservar"))
    # Service → day → (part of the day) → time: the first option each time.
    steps = [_whatsapp(stack, phone, _option(services, "Facial hidratante"))]
    while "¿Confirmas?" not in steps[-1] and len(steps) < 4:
        steps.append(_whatsapp(stack, phone, "1"))
    proposal = steps[-1]
    assert "¿Confirmas?" in proposal, "\n---\n".join(steps)
    with stack.client(token) as http:
        mine = http.get("/api/booking/appointments/mine").json()["items"]
        assert not [a for a in mine if a["service"] == "FACIAL-HIDRATANTE"], "nothing before sí"
        done = _whatsapp(stack, phone, "sí")
        booked = [
            a
            for a in http.get("/api/booking/appointments/mine").json()["items"]
            if a["service"] == "FACIAL-HIDRATANTE"
        ]
        assert len(booked) == 1, done
        assert booked[0]["status"] in ("CONFIRMED", "PENDING_PAYMENT")


def book_over_whatsapp_gemini(stack: Stack, phone: str, token: str) -> None:
    """A question to the model (the Gemini fake, through the real SDK): list_services →
    find_slots → book_appointment becomes a proposal; "sí" books exactly one appointment."""

    def massages(http: httpx.Client) -> list[dict[str, Any]]:
        items = http.get("/api/booking/appointments/mine").json()["items"]
        return [a for a in items if a["service"] == "MASAJE-RELAX-60"]

    asked = len(stack.gemini_received())
    with stack.client(token) as http:
        before = {a["id"] for a in massages(http)}
        proposal = _whatsapp(stack, phone, "¿tienen masaje relajante el sábado en la tarde?")
        assert "¿Confirmas" in proposal and "Masaje relajante" in proposal, proposal
        calls = [
            r["answer"].get("functionCall", {}).get("name") for r in stack.gemini_received()[asked:]
        ]
        assert calls == ["list_services", "find_slots", "book_appointment"], calls
        assert {a["id"] for a in massages(http)} == before, "nothing booked before sí"
        done = _whatsapp(stack, phone, "sí")
        new = [a for a in massages(http) if a["id"] not in before]
        assert len(new) == 1, done
        assert new[0]["status"] in ("CONFIRMED", "PENDING_PAYMENT")
        assert "sábado" in proposal.lower() or "sabado" in proposal.lower(), proposal


def export_and_erase(stack: Stack, phone: str, token: str, appointment: dict, order: dict) -> None:
    with stack.client(token) as http:
        response = http.get("/api/users/me/export")
        assert response.status_code == 200, response.text
        export = response.text
        assert phone in export
        assert appointment["id"] in export, "booking's exporter contributes"
        assert order["code"] in export or order["id"] in export, "shop's exporter contributes"

        started = len(stack.twilio_received("verification"))
        response = http.post("/api/users/me/reauth-code/", json={})
        assert response.status_code == 202, response.text
        code = _verification_code(stack, phone, after=started)
        response = http.request(
            "DELETE", "/api/users/me", json={"password": PASSWORD, "code": code}
        )
        assert response.status_code == 204, response.text
        # The account is gone: the token and the password no longer work.
        assert http.get("/api/users/me").status_code == 401
    with stack.client() as http:
        response = http.post(
            "/api/users/token/", json={"phone_number": phone, "password": PASSWORD}
        )
        assert response.status_code == 401


def test_client_journey(stack: Stack) -> None:
    try:
        phone, token = sign_up(stack)
        unpaid = leave_an_order_unpaid(stack, token)  # its hold ends during the journey
        appointment = book_with_deposit(stack, phone, token)
        reminder_is_delivered(stack, phone, appointment)
        order = buy_and_fulfil(stack, phone, token)
        subscribe_and_renew_vip(stack, token)
        book_over_whatsapp_menu(stack, phone, token)
        book_over_whatsapp_gemini(stack, phone, token)
        unpaid_order_expires(stack, phone, token, unpaid)
        export_and_erase(stack, phone, token, appointment, order)
    except AssertionError as exc:
        exc.add_note(stack.logs())
        raise


# --- The waitlist over WhatsApp (issue 17) ----------------------------------------------------
def _slot_ahead(http: httpx.Client, service: str, *, hours: int) -> dict[str, Any]:
    """A free slot at least ``hours`` from now: an offer is only made for a start still
    BOOKING_MIN_LEAD_MINUTES ahead when the cascade reaches it, a minute or two later."""
    start = datetime.now(BOGOTA).date()
    response = http.get(
        "/api/booking/availability",
        params={"service": service, "date_from": start, "date_to": start + timedelta(days=6)},
    )
    assert response.status_code == 200, response.text
    soon = datetime.now(BOGOTA) + timedelta(hours=hours)
    return next(s for s in response.json()["slots"] if datetime.fromisoformat(s["start"]) >= soon)


def _offer_messages(stack: Stack, phone: str) -> list[dict[str, Any]]:
    """WhatsApp Content-template messages (the waitlist offer) the Twilio fake got."""
    return [
        m
        for m in _twilio_messages(stack, phone)
        if m["form"]["To"] == f"whatsapp:{phone}"
        and m["form"].get("ContentSid") == WAITLIST_OFFER_CONTENT["sid"]
    ]


def _run_out(stack: Stack, offer_id: str) -> None:
    """End the current client's time on an offer now instead of in WAITLIST_OFFER_MINUTES
    (the one write behind the API here, like Stack.book_earlier: the offer minutes are
    whole minutes). Beat's booking.waitlist_cascade and the worker do the rest."""
    import psycopg

    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as conn:
        updated = conn.execute(
            "UPDATE booking_waitlistoffer SET expires_at = now() - interval '1 second'"
            " WHERE public_id = %s AND status = 'OPEN'",
            (uuid.UUID(offer_id),),
        ).rowcount
    assert updated == 1, offer_id


def test_a_freed_slot_is_offered_and_taken_over_whatsapp(stack: Stack) -> None:
    """Another client cancels → the first client on the waitlist is offered the slot by
    WhatsApp (an approved Content template: they never wrote to the spa) → their time runs
    out → beat's waitlist cascade, through the worker, offers it to the second → the second
    replies "Sí, lo quiero" through the signed Twilio webhook → booked through the normal
    path (30 % deposit: the reply carries the payment link, paid in the Wompi sandbox,
    confirmed by the signed webhook) → the first one's late "sí" is told someone else took
    it. No model involved in the answers (they never reach Gemini)."""
    service = "MASAJE-RELAX-60"
    try:
        canceller, first, second = (sign_up(stack) for _ in range(3))
        with stack.client(canceller[1]) as http:
            slot = _slot_ahead(http, service, hours=2)
            response = http.post(
                "/api/booking/appointments",
                json={
                    "service": service,
                    "start": slot["start"],
                    "therapist": slot["therapists"][0],
                },
            )
            assert response.status_code == 201, response.text
            cancelled = response.json()["appointment"]
        start = datetime.fromisoformat(slot["start"]).astimezone(BOGOTA)
        for _phone, token in (first, second):  # in this order: the order of offers
            with stack.client(token) as http:
                response = http.post(
                    "/api/booking/waitlist/",
                    json={
                        "service": service,
                        "date_from": start.date().isoformat(),
                        "date_to": start.date().isoformat(),
                        "therapist": slot["therapists"][0],
                        "time_from": f"{start:%H:%M}",
                        "time_to": f"{start + timedelta(minutes=5):%H:%M}",
                    },
                )
                assert response.status_code == 201, response.text
        asked = len(stack.gemini_received())

        with stack.client(canceller[1]) as http:
            response = http.post(
                f"/api/booking/appointments/{cancelled['id']}/cancel", json={"reason": "viaje"}
            )
            assert response.status_code == 200, response.text
        # The worker offers the freed slot to the first in line, by WhatsApp template.
        [offer_message] = eventually(
            lambda: _offer_messages(stack, first[0]), what="waitlist offer to the first client"
        )
        variables = json.loads(offer_message["form"]["ContentVariables"])
        assert variables["1"] == "Masaje relajante 60 min", variables
        assert f"{start:%H:%M}" in variables["2"], variables
        with stack.client(first[1]) as http:
            [entry] = http.get("/api/booking/waitlist/").json()["items"]
            offer = entry["offer"]
            assert offer and offer["start"] == slot["start"], entry
        assert _offer_messages(stack, second[0]) == []

        # The first lets the time run out: beat → worker → the offer goes to the second.
        _run_out(stack, offer["id"])
        eventually(
            lambda: _offer_messages(stack, second[0]),
            timeout=30,
            what="the cascade (beat → worker) offering the slot to the second client",
        )

        reply = _whatsapp(stack, second[0], "Sí, lo quiero")
        assert "¡Listo! Quedó agendado" in reply, reply
        link = re.search(r"(http\S+/api/assistant/l/\w+)", reply)
        assert link and "anticipo" in reply, reply
        with stack.client(second[1]) as http:
            [booked] = [
                a
                for a in http.get("/api/booking/appointments/mine").json()["items"]
                if a["service"] == service
            ]
            assert (booked["start"], booked["status"]) == (slot["start"], "PENDING_PAYMENT")
            redirect = http.get(link.group(1), follow_redirects=False)
            assert redirect.status_code == 302, redirect.text
            _pay(stack, redirect.headers["location"])

            def confirmed() -> dict[str, Any] | None:
                current = http.get(f"/api/booking/appointments/{booked['id']}").json()
                return current if current["status"] == "CONFIRMED" else None

            eventually(confirmed, what="the waitlist booking confirmed by the signed webhook")
            [entry] = http.get("/api/booking/waitlist/").json()["items"]
            assert (entry["status"], entry["appointment"]) == ("BOOKED", booked["id"])

        late = _whatsapp(stack, first[0], "sí")
        assert "Otra persona de la lista de espera ya tomó este horario" in late, late
        with stack.client(first[1]) as http:
            assert http.get("/api/booking/appointments/mine").json()["items"] == []
            [entry] = http.get("/api/booking/waitlist/").json()["items"]
            assert entry["status"] == "WAITING"
        assert len(stack.gemini_received()) == asked, "the answers never reached the model"
    except AssertionError as exc:
        exc.add_note(stack.logs())
        raise


# --- card guarantee: a no-show charged once (issue 17 item 3) ------------------------------------
GUARANTEED = "MASAJE-DEPORTIVO-60"  # seed_demo: card guarantee, no-show fee 50 % of the price

LEDGER_OF = """
import json, sys
import django
django.setup()
from modules.payments.models import LedgerEntry
rows = LedgerEntry.objects.filter(payment__reference=sys.argv[1]).order_by("pk")
print(json.dumps([[r.kind, r.account, r.amount_cents, r.purpose] for r in rows]))
"""


def _save_card(stack: Stack, token: str) -> None:
    """The client saves a card: tokenized at the Wompi fake, Wompi's documents accepted."""
    card_token = _card_token(stack)
    with stack.client(token) as http:
        acceptance = http.get("/api/finances/cards/acceptance/").json()
        response = http.put(
            "/api/finances/cards/mine/",
            json={
                "card_token": card_token,
                "acceptance_token": acceptance["acceptance_token"],
                "personal_data_token": acceptance["personal_data_token"],
                "accept_terms": True,
                "accept_personal_data": True,
            },
        )
        assert response.status_code == 200, response.text
        assert response.json()["last_four"] == APPROVED_CARD[-4:]


def _started_yesterday(stack: Stack, appointment_id: str) -> None:
    """Move a booked appointment to yesterday 03:00 Bogotá (a night hour nobody else holds),
    so staff can mark it a no-show now: the one write this part makes behind the API (a
    no-show needs a start in the past; bookings need one in the future)."""
    import psycopg

    target = datetime.combine(datetime.now(BOGOTA).date() - timedelta(days=1), datetime.min.time())
    target = target.replace(hour=3, tzinfo=BOGOTA)
    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as conn:
        updated = conn.execute(
            "UPDATE booking_appointment SET start = start - (start - %(t)s),"
            ' "end" = "end" - (start - %(t)s), blocked_start = blocked_start - (start - %(t)s),'
            " blocked_end = blocked_end - (start - %(t)s) WHERE public_id = %(id)s",
            {"t": target, "id": uuid.UUID(appointment_id)},
        ).rowcount
    assert updated == 1, appointment_id


def no_show_fee_charged_once(stack: Stack, phone: str, token: str) -> None:
    """A client with a saved card books a card-guarantee service (the policy shown first,
    consent required), does not come; staff mark the no-show; the fee is charged once to
    the card through the Wompi fake (signed webhook), the client gets the receipt and the
    ledger records a penalty."""
    _save_card(stack, token)
    sent_before = len(stack.twilio_received("message"))
    with stack.client(token) as http:
        policy = http.get(f"/api/booking/services/{GUARANTEED}/").json()["guarantee"]
        assert policy["policy"] == "card" and policy["requires_card"], policy
        assert "Si no asistes" in policy["text"], policy
        fee_cents = policy["no_show_fee_cents"]
        slot = _first_slot(http, GUARANTEED)
        request = {"service": GUARANTEED, "start": slot["start"]}
        refused = http.post("/api/booking/appointments", json=request)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "policy_not_accepted"
        response = http.post("/api/booking/appointments", json={**request, "accept_policy": True})
        assert response.status_code == 201, response.text
        booked = response.json()
        appointment_id = booked["appointment"]["id"]
        assert booked["appointment"]["status"] == "CONFIRMED" and booked["checkout"] is None
        assert booked["guarantee"]["no_show_fee_cents"] == fee_cents
        assert booked["guarantee"]["card"].endswith(APPROVED_CARD[-4:])
    _started_yesterday(stack, appointment_id)
    staff = _login(stack, STAFF_PHONE, STAFF_PASSWORD)
    with stack.client(staff) as desk:
        marked = desk.post(f"/api/booking/desk/appointments/{appointment_id}/no-show/")
        assert marked.status_code == 200, marked.text
        assert marked.json()["status"] == "NO_SHOW"
    with stack.client(token) as http:

        def charged() -> dict[str, Any] | None:
            fees = http.get(f"/api/booking/appointments/{appointment_id}").json()["fees"]
            return fees[0] if fees and fees[0]["status"] == "CHARGED" else None

        fee = eventually(charged, what="no-show fee charged (worker → Wompi fake → webhook)")
        assert (fee["kind"], fee["amount_cents"], fee["attempts"]) == ("no_show", fee_cents, 1)
    # Once at the Wompi fake: the attempt's reference has one APPROVED transaction and no
    # second attempt exists, also after several beat runs of booking.charge_due_fees.
    reference = fee["payment_reference"]
    tx = _sandbox_transaction(stack, reference)
    assert (tx["status"], tx["amount_in_cents"]) == ("APPROVED", fee_cents)
    time.sleep(3 * BEAT_EVERY_SECONDS["booking.charge_due_fees"])
    assert _sandbox_transaction(stack, reference)["id"] == tx["id"]
    key = stack.env.get("WOMPI_PRIVATE_KEY", "prv_test_local_sandbox")
    second = httpx.get(
        f"{stack.wompi_url}/v1/transactions",
        params={"reference": reference[: reference.rindex("-")] + "-2"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert second.status_code == 200 and second.json()["data"] == [], second.text
    # The ledger: a penalty (its own kind), for the fee's purpose.
    ledger = json.loads(stack.run_python(LEDGER_OF, reference).strip().splitlines()[-1])
    assert ["penalty", "merchant", fee_cents, "booking.fee"] in ledger, ledger
    assert not [row for row in ledger if row[0] == "charge"], ledger
    # The receipt reaches the client at the Twilio fake, with the amount and the reference.
    receipt = eventually(
        lambda: [
            m
            for m in _twilio_messages(stack, phone, after=sent_before)
            if reference in m["form"].get("Body", "")
        ],
        what="fee receipt at the Twilio fake",
    )
    assert len(receipt) == 1 and "cobramos" in receipt[0]["form"]["Body"]


def test_no_show_fee_journey(stack: Stack) -> None:
    """Issue 17: a card guarantee's no-show fee, end to end (its own client and section)."""
    try:
        phone, token = sign_up(stack)
        no_show_fee_charged_once(stack, phone, token)
    except AssertionError as exc:
        exc.add_note(stack.logs())
        raise
