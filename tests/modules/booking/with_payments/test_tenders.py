"""Booking with tenders (gift cards, package credits) through payments: the test plugin of
tests/fake_tenders.py stands in for the vouchers module (kind ``test_card``)."""

from __future__ import annotations

from typing import Any

import pytest

from modules.booking.models import Appointment
from modules.payments.models import Payment
from tests.fake_tenders import CREDIT_KIND, KIND, balance, issue
from tests.modules.booking.conftest import TUESDAY, iso
from tests.modules.booking.with_payments.test_deposit_retry import _apply

DEPOSIT = {"service": "MASAJE-DEP", "start": iso(TUESDAY, 10)}  # 30 % of $ 200.000
NO_DEPOSIT = {"service": "MASAJE-60", "start": iso(TUESDAY, 10)}  # $ 180.000, no deposit


def _tender(code: str, kind: str = KIND) -> dict[str, str]:
    return {"kind": kind, "code": code}


def _booked(api_as: Any, client: Any, booking: dict[str, Any], *tenders: dict[str, str]) -> Any:
    """Book over HTTP with these tenders; the 201 answer's body."""
    response = api_as(client).post(
        "/api/booking/appointments", {**booking, "tenders": list(tenders)}
    )
    assert response.status_code == 201, response.json()
    return response.json()


def _approve(checkout: dict[str, Any], capture: Any, status: str = "APPROVED") -> None:
    _apply(checkout, status, capture)


@pytest.mark.django_db(transaction=True)
def test_a_deposit_fully_paid_by_a_tender_confirms_at_once(
    api_as: Any, spa: Any, client_user: Any, fake_tenders: Any
) -> None:
    code = issue("GIFT-0001", 10_000_000)
    body = _booked(api_as, client_user, DEPOSIT, _tender(code))
    assert body["appointment"]["status"] == "CONFIRMED"
    assert body["appointment"]["deposit_cents"] == body["appointment"]["deposit_paid_cents"]
    assert body["appointment"]["deposit_paid_cents"] == 6_000_000
    checkout = body["checkout"]
    assert checkout["settled"] is True and checkout["checkout_url"] == ""
    assert (checkout["amount_in_cents"], checkout["tendered_cents"], checkout["total_cents"]) == (
        0,
        6_000_000,
        6_000_000,
    )
    assert checkout["tenders"] == [
        {"kind": KIND, "label": "Bono de prueba ····0001", "amount_cents": 6_000_000}
    ]
    assert balance(code) == 4_000_000
    context = fake_tenders.contexts[0]
    assert [(line.kind, line.code, line.amount_cents) for line in context.lines] == [
        ("service", "MASAJE-DEP", 20_000_000)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_tender_paying_whole_sessions_pays_the_full_price_not_the_deposit(
    api_as: Any, spa: Any, client_user: Any, fake_tenders: Any
) -> None:
    """A package credit (``prepays_items``) on a service with a deposit: the whole price is
    due, so the credit pays the session in full and nothing is left for the desk."""
    code = issue("CREDIT-0001", 20_000_000)
    appointment = _booked(api_as, client_user, DEPOSIT, _tender(code, kind=CREDIT_KIND))[
        "appointment"
    ]
    assert appointment["status"] == "CONFIRMED"
    assert appointment["deposit_cents"] == appointment["deposit_paid_cents"] == 20_000_000
    assert fake_tenders.contexts[0].amount_cents == 20_000_000
    assert balance(code) == 0


def test_pay_again_with_a_card_and_a_credit_asks_for_the_full_price(
    api_as: Any,
    spa: Any,
    client_user: Any,
    fake_tenders: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    body = api_as(client_user).post("/api/booking/appointments", DEPOSIT).json()
    assert body["appointment"]["deposit_cents"] == 6_000_000
    _approve(body["checkout"], django_capture_on_commit_callbacks, status="DECLINED")
    card, credit = issue("GIFT-0006", 1_000_000), issue("CREDIT-0002", 5_000_000)
    retry = api_as(client_user).post(
        f"/api/booking/appointments/{body['appointment']['id']}/checkout",
        {"tenders": [_tender(card), _tender(credit, kind=CREDIT_KIND)]},
    )
    assert retry.status_code == 200, retry.json()
    assert retry.json()["appointment"]["deposit_cents"] == 20_000_000
    checkout = retry.json()["checkout"]
    assert (checkout["total_cents"], checkout["tendered_cents"], checkout["amount_in_cents"]) == (
        20_000_000,
        6_000_000,
        14_000_000,
    )


def test_without_a_deposit_tenders_prepay_the_price_and_wompi_takes_the_rest(
    api_as: Any,
    spa: Any,
    client_user: Any,
    fake_tenders: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    code = issue("GIFT-0002", 5_000_000)
    body = _booked(api_as, client_user, NO_DEPOSIT, _tender(code))
    assert body["appointment"]["status"] == "PENDING_PAYMENT"
    assert body["appointment"]["deposit_cents"] == 18_000_000  # a prepaid booking
    checkout = body["checkout"]
    assert (checkout["amount_in_cents"], checkout["tendered_cents"]) == (13_000_000, 5_000_000)
    assert not checkout["settled"]
    _approve(checkout, django_capture_on_commit_callbacks)
    appt = Appointment.objects.get(public_id=body["appointment"]["id"])
    assert appt.status == "CONFIRMED" and appt.deposit_paid_cents == 18_000_000
    assert balance(code) == 0


def test_without_tenders_a_service_without_deposit_is_still_confirmed_unpaid(
    api_as: Any, spa: Any, client_user: Any, fake_tenders: Any
) -> None:
    response = api_as(client_user).post("/api/booking/appointments", NO_DEPOSIT)
    assert response.status_code == 201
    assert response.json()["appointment"]["status"] == "CONFIRMED"
    assert response.json()["checkout"] is None


@pytest.mark.parametrize(
    ("tenders", "status", "code", "message"),
    [
        (
            [_tender("X-1", kind="no_such_kind")],
            422,
            "tender_not_accepted",
            "Medio de pago no aceptado.",
        ),
        ([_tender("GIFT-EMPTY")], 422, "tender_no_balance", "Este bono no tiene saldo."),
        ([_tender("NOPE")], 422, "tender_unknown_code", "No encontramos ese bono."),
        ([_tender("GIFT-0003"), _tender("GIFT-0003")], 422, "tender_repeated", None),
    ],
)
def test_a_refused_tender_books_nothing(
    api_as: Any,
    spa: Any,
    client_user: Any,
    fake_tenders: Any,
    tenders: list[dict[str, str]],
    status: int,
    code: str,
    message: str | None,
) -> None:
    issue("GIFT-EMPTY", 0)
    issue("GIFT-0003", 1_000_000)
    response = api_as(client_user).post(
        "/api/booking/appointments", {**DEPOSIT, "tenders": tenders}
    )
    assert response.status_code == status, response.json()
    error = response.json()["error"]
    assert error["code"] == code
    if message:
        assert error["message"] == message
    assert not Appointment.objects.exists() and not Payment.objects.exists()
    assert balance("GIFT-0003") == 1_000_000
    # The slot is still free: the same booking without the tender goes through.
    assert api_as(client_user).post("/api/booking/appointments", DEPOSIT).status_code == 201


def test_more_than_three_tenders_is_a_422(api_as: Any, spa: Any, client_user: Any) -> None:
    response = api_as(client_user).post(
        "/api/booking/appointments",
        {**DEPOSIT, "tenders": [_tender(f"G-{i}") for i in range(4)]},
    )
    assert response.status_code == 422
    assert "error" in response.json()
    assert not Appointment.objects.exists()


def test_cancelling_in_time_returns_the_value_to_the_card(
    api_as: Any,
    spa: Any,
    client_user: Any,
    fake_tenders: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    code = issue("GIFT-0004", 2_000_000)
    body = _booked(api_as, client_user, DEPOSIT, _tender(code))
    _approve(body["checkout"], django_capture_on_commit_callbacks)
    appt_id = body["appointment"]["id"]
    assert Appointment.objects.get(public_id=appt_id).deposit_paid_cents == 6_000_000
    assert balance(code) == 0
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = api_as(client_user).post(f"/api/booking/appointments/{appt_id}/cancel", {})
    assert cancelled.status_code == 200, cancelled.json()
    assert cancelled.json()["refund_requested"] is True
    assert balance(code) == 2_000_000  # the card's part back at once
    refund = Payment.objects.get(purpose_ref=appt_id).refunds.get()
    assert (refund.tender_cents, refund.amount_cents) == (2_000_000, 4_000_000)


def test_pay_again_with_a_tender_after_a_decline(
    api_as: Any,
    spa: Any,
    client_user: Any,
    fake_tenders: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    code = issue("GIFT-0005", 1_000_000)
    body = api_as(client_user).post("/api/booking/appointments", DEPOSIT).json()
    appt_id = body["appointment"]["id"]
    url = f"/api/booking/appointments/{appt_id}/checkout"
    # An attempt is open (the client may be paying it at Wompi): no tender on top of it.
    busy = api_as(client_user).post(url, {"tenders": [_tender(code)]})
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "payment_open"
    assert balance(code) == 1_000_000
    _approve(body["checkout"], django_capture_on_commit_callbacks, status="DECLINED")
    retry = api_as(client_user).post(url, {"tenders": [_tender(code)]})
    assert retry.status_code == 200, retry.json()
    checkout = retry.json()["checkout"]
    assert (checkout["amount_in_cents"], checkout["tendered_cents"]) == (5_000_000, 1_000_000)
    assert balance(code) == 0
    # Declined again: the card gets its value back, and a plain retry still works.
    _approve(checkout, django_capture_on_commit_callbacks, status="DECLINED")
    assert balance(code) == 1_000_000
    plain = api_as(client_user).post(url)
    assert plain.status_code == 200 and plain.json()["checkout"]["tendered_cents"] == 0


@pytest.mark.django_db(transaction=True)
def test_the_assistant_books_with_a_credit_after_confirmation(
    spa: Any, client_user: Any, fake_tenders: Any
) -> None:
    from modules.booking.assistant_tools import get_tools
    from platform_core.plugins import ToolContext

    tool = {t.name: t for t in get_tools()}["book_appointment"]
    code = issue("CREDIT-0003", 20_000_000)
    args = {
        "service_code": "MASAJE-DEP",
        "start": iso(TUESDAY, 10),
        "tenders": [{"kind": CREDIT_KIND, "code": code}],
    }
    ctx = ToolContext(user=client_user, conversation_id="c-1", confirmed=True)
    assert "bono o crédito" in tool.propose(ctx, **args)
    bad = tool.handler(ctx, **{**args, "tenders": [{"kind": CREDIT_KIND}]})
    assert bad["error"] == "invalid_tenders" and not Appointment.objects.exists()
    booked = tool.handler(ctx, **args)
    assert booked["ok"] and booked["status"] == "CONFIRMED", booked
    assert booked["paid_with_tenders_cents"] == 20_000_000 and "payment_url" not in booked
    assert balance(code) == 0
