"""Gift cards and package credits as payments' tenders, through payments' public face:
split with Wompi, full coverage, release on failure, refund back to the card, idempotency
per hold, refusals in Spanish that leave nothing behind."""

from __future__ import annotations

import pytest

from modules.payments import public as payments
from modules.payments.public import TenderLine, TenderOffer, TenderRefused
from modules.vouchers import tenders
from modules.vouchers.models import GiftCard, PackagePurchase, TenderHold
from platform_core.models import Notification
from tests.factories import UserFactory
from tests.modules.vouchers.conftest import active_card, settle

pytestmark = pytest.mark.django_db
PURPOSE = "demo.deposit"  # a purpose nobody handles: the tender is what is under test


def _checkout(user, code: str, amount: int, *, kind: str = "gift_card", lines=()):
    return payments.create_checkout(
        purpose=PURPOSE,
        ref="appt-1",
        amount_cents=amount,
        customer=user,
        tenders=[TenderOffer(kind=kind, code=code)],
        lines=lines,
    )


def _balance(card: GiftCard) -> int:
    card.refresh_from_db()
    return card.balance_cents


def test_split_payment_holds_then_captures_on_approval(user) -> None:
    card, code = active_card(user, 5_000_000, phone="+573001112233")
    dto = _checkout(user, code, 8_000_000)
    assert (dto.tendered_cents, dto.amount_in_cents, dto.settled) == (5_000_000, 3_000_000, False)
    assert dto.tenders[0].label == f"Tarjeta de regalo ····{code[-4:]}"
    assert _balance(card) == 0
    hold = TenderHold.objects.get()
    assert hold.state == "held" and hold.payment_reference == dto.reference
    settle(dto.reference)
    hold.refresh_from_db()
    assert hold.state == "captured" and _balance(card) == 0
    [told] = Notification.objects.filter(template="vouchers/gift_card_redeemed")
    assert "usaste $ 50.000" in told.body and "Saldo disponible: $ 0" in told.body


def test_full_coverage_settles_at_once_and_tells_the_holder(user) -> None:
    card, code = active_card(user, 10_000_000)
    dto = _checkout(user, code.lower(), 4_000_000)  # as typed, lower case
    assert dto.settled and dto.amount_in_cents == 0 and dto.checkout_url == ""
    assert _balance(card) == 6_000_000
    assert list(card.entries.values_list("kind", "amount_cents", "balance_after_cents")) == [
        ("issue", 10_000_000, 10_000_000),
        ("hold", -4_000_000, 6_000_000),
    ]
    assert TenderHold.objects.get().state == "captured"


def test_release_on_failure_is_idempotent(user) -> None:
    card, code = active_card(user, 5_000_000)
    dto = _checkout(user, code, 8_000_000)
    assert payments.fail_attempt(payment_reference=dto.reference, message="rechazado")
    assert _balance(card) == 5_000_000
    hold = TenderHold.objects.get()
    assert hold.state == "released"
    tenders.gift_card.release(hold.hold_id)  # again: nothing
    tenders.gift_card.capture(hold.hold_id)  # after release: nothing
    tenders.gift_card.refund(hold.hold_id, 1_000)  # nothing was taken: nothing back
    assert _balance(card) == 5_000_000
    assert card.entries.count() == 3  # issue, hold, release


def test_capture_twice_is_once_and_refund_never_exceeds_the_hold(user) -> None:
    card, code = active_card(user, 5_000_000)
    dto = _checkout(user, code, 2_000_000)
    hold = TenderHold.objects.get()
    tenders.gift_card.capture(hold.hold_id)
    tenders.gift_card.refund(hold.hold_id, 1_500_000)
    tenders.gift_card.refund(hold.hold_id, 1_500_000)  # only 500_000 was left to return
    tenders.gift_card.refund(hold.hold_id, 1)
    assert _balance(card) == 5_000_000
    hold.refresh_from_db()
    assert (hold.state, hold.refunded_cents) == ("refunded", 2_000_000)
    assert dto.settled


def test_refund_through_payments_returns_value_to_the_card(user) -> None:
    card, code = active_card(user, 10_000_000)
    dto = _checkout(user, code, 4_000_000)
    assert dto.settled and _balance(card) == 6_000_000
    payments.request_refund(purpose=PURPOSE, ref="appt-1", reason="cita cancelada a tiempo")
    assert _balance(card) == 10_000_000
    assert card.entries.last().kind == "refund"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("typo", "El código de la tarjeta de regalo no es válido. Revisa que esté bien escrito."),
        ("voided", "Esta tarjeta de regalo fue anulada."),
        ("empty", "Esta tarjeta de regalo ya no tiene saldo."),
        ("expired", "Esta tarjeta de regalo venció el"),
    ],
)
def test_refusals_roll_the_checkout_back(user, setup, message) -> None:
    from django.utils import timezone

    from modules.payments.public import payment_status

    card, code = active_card(user, 5_000_000)
    if setup == "typo":
        code = code[:-1] + ("0" if code[-1] != "0" else "1")
    elif setup == "voided":
        GiftCard.objects.filter(pk=card.pk).update(status="voided")
    elif setup == "empty":
        _checkout(user, code, 5_000_000)
    elif setup == "expired":
        GiftCard.objects.filter(pk=card.pk).update(expires_at=timezone.now())
    with pytest.raises(TenderRefused) as refused:
        payments.create_checkout(
            purpose=PURPOSE,
            ref="appt-2",
            amount_cents=1_000_000,
            customer=user,
            tenders=[TenderOffer(kind="gift_card", code=code)],
        )
    assert refused.value.message.startswith(message)
    assert payment_status(purpose=PURPOSE, ref="appt-2") is None


def test_a_card_held_by_an_open_checkout_is_409(user) -> None:
    _card, code = active_card(user, 5_000_000)
    _checkout(user, code, 8_000_000)  # holds it all, Wompi part still open
    with pytest.raises(TenderRefused) as refused:
        _checkout(user, code, 1_000_000)
    assert refused.value.status_code == 409 and refused.value.code == "tender_in_use"


# --- package credits ---------------------------------------------------------------------------
def _purchase(user, package) -> PackagePurchase:
    from modules.vouchers import packages

    bought = packages.buy(buyer=user, package_code=package.code)
    settle(bought.checkout.reference)
    return PackagePurchase.objects.get(pk=bought.purchase.pk)


LINE = TenderLine(kind="service", code="MASAJE-RELAX-60", amount_cents=18_000_000)


def test_a_credit_pays_one_whole_session_and_comes_back_on_refund(user, package) -> None:
    purchase = _purchase(user, package)
    dto = _checkout(user, str(purchase.public_id), 18_000_000, kind="package_credit", lines=[LINE])
    assert dto.settled and dto.tenders[0].label == "Paquete 5 masajes (1 sesión)"
    purchase.refresh_from_db()
    assert purchase.credits_left == 4
    assert Notification.objects.filter(template="vouchers/package_credit_used").count() == 1
    payments.request_refund(purpose=PURPOSE, ref="appt-1", reason="cancelada a tiempo")
    purchase.refresh_from_db()
    assert purchase.credits_left == 5
    assert list(purchase.entries.values_list("kind", "credits")) == [
        ("issue", 5),
        ("hold", -1),
        ("refund", 1),
    ]


def test_a_credit_is_its_owners_and_for_its_services_only(user, package) -> None:
    purchase = _purchase(user, package)
    stranger = UserFactory()
    other_line = TenderLine(kind="service", code="FACIAL-60", amount_cents=1_000_000)
    cases = [
        (stranger, [LINE], "No encontramos ese paquete entre los tuyos."),
        (user, [other_line], "Tu paquete 5 masajes no incluye este servicio."),
    ]
    for who, lines, message in cases:
        with pytest.raises(TenderRefused) as refused:
            _checkout(who, str(purchase.public_id), 1_000_000, kind="package_credit", lines=lines)
        assert refused.value.message == message
    with pytest.raises(TenderRefused):
        _checkout(user, "not-a-uuid", 1_000_000, kind="package_credit", lines=[LINE])
    purchase.refresh_from_db()
    assert purchase.credits_left == 5 and not TenderHold.objects.exists()


def test_the_last_credit_cannot_be_spent_twice(user, package) -> None:
    purchase = _purchase(user, package)
    PackagePurchase.objects.filter(pk=purchase.pk).update(credits_left=1)
    _checkout(user, str(purchase.public_id), 18_000_000, kind="package_credit", lines=[LINE])
    with pytest.raises(TenderRefused) as refused:
        _checkout(user, str(purchase.public_id), 18_000_000, kind="package_credit", lines=[LINE])
    assert "Ya usaste todas las sesiones" in refused.value.message


# --- one value offered twice under two spellings (found by probing) ------------------------------
LINES = (
    TenderLine(kind="service", code="MASAJE-RELAX-60", amount_cents=8_000_000),
    TenderLine(kind="product", code="ACEITE-30", amount_cents=8_000_000),
)


def _offers(user, offers, amount: int, lines=()):
    return payments.create_checkout(
        purpose=PURPOSE,
        ref="appt-1",
        amount_cents=amount,
        customer=user,
        tenders=[TenderOffer(kind=kind, code=code) for kind, code in offers],
        lines=lines,
    )


def test_one_card_typed_two_ways_is_repeated_not_in_use(user) -> None:
    card, code = active_card(user, 5_000_000)
    dashed = "-".join(code[i : i + 4] for i in range(0, len(code), 4)).lower()
    with pytest.raises(TenderRefused) as refused:
        _offers(user, [("gift_card", code), ("gift_card", dashed)], 8_000_000)
    assert (refused.value.status_code, refused.value.code) == (422, "tender_repeated")
    assert _balance(card) == 5_000_000 and not TenderHold.objects.exists()


def test_one_package_typed_two_ways_takes_one_credit_at_most(user, package) -> None:
    purchase = _purchase(user, package)
    pid = str(purchase.public_id)
    with pytest.raises(TenderRefused) as refused:
        _offers(user, [("package_credit", pid), ("package_credit", pid.upper())], 16_000_000, LINES)
    assert (refused.value.status_code, refused.value.code) == (422, "tender_repeated")
    purchase.refresh_from_db()
    assert purchase.credits_left == 5 and not TenderHold.objects.exists()


def test_two_packages_never_pay_one_session_twice(user, package) -> None:
    first, second = _purchase(user, package), _purchase(user, package)
    with pytest.raises(TenderRefused):
        _offers(
            user,
            [("package_credit", str(first.public_id)), ("package_credit", str(second.public_id))],
            16_000_000,
            LINES,
        )
    for purchase in (first, second):
        purchase.refresh_from_db()
        assert purchase.credits_left == 5
    assert not TenderHold.objects.exists()
