"""Tenders (docs/payments.md, "Tenders and split payments"): a plugin's prepaid value held
at checkout, captured on settlement, released on failure, refunded first. The provider is
the test plugin of tests/fake_tenders.py (kind ``test_card``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from modules.payments import reconciliation, refunds
from modules.payments.models import LedgerEntry, Payment, Refund, TenderApplication
from modules.payments.public import (
    TenderLine,
    TenderNotAccepted,
    TenderOffer,
    TenderRefused,
    create_checkout,
    fail_attempt,
    request_refund,
)
from platform_core.plugins import ModulePlugin, check_tender_kinds
from tests.fake_tenders import KIND, balance, issue
from tests.modules.payments.conftest import post_event, tx_event

TOTAL = 4_490_000  # $ 44.900
LINES = (TenderLine(kind="deposit", code="masaje-60", amount_cents=TOTAL),)


def _checkout(user: Any, *codes: str, kind: str = KIND) -> Any:
    return create_checkout(
        purpose="demo.deposit",
        ref="appt-1",
        amount_cents=TOTAL,
        customer=user,
        tenders=[TenderOffer(kind=kind, code=code) for code in codes],
        lines=LINES,
    )


def _ledger(payment: Payment) -> dict[str, int]:
    totals: dict[str, int] = {}
    for entry in LedgerEntry.objects.filter(payment=payment, account="merchant"):
        totals[entry.kind] = totals.get(entry.kind, 0) + entry.amount_cents
    return totals


def test_split_payment_holds_the_tender_and_asks_wompi_for_the_rest(
    user: Any, fake_tenders: Any
) -> None:
    code = issue("CARD-0001", 1_000_000)
    dto = _checkout(user, code)
    assert dto.amount_in_cents == TOTAL - 1_000_000
    assert dto.total_cents == TOTAL and dto.tendered_cents == 1_000_000
    assert not dto.settled and dto.status == "PENDING"
    assert [(t.kind, t.label, t.amount_cents) for t in dto.tenders] == [
        (KIND, "Bono de prueba ····0001", 1_000_000)
    ]
    query = parse_qs(urlsplit(dto.checkout_url).query)
    assert query["amount-in-cents"] == [str(TOTAL - 1_000_000)]
    payment = Payment.objects.get(reference=dto.reference)
    assert (payment.amount_cents, payment.tendered_cents) == (TOTAL, 1_000_000)
    assert payment.tenders.get().state == "held"
    assert fake_tenders.count("hold") == 1
    context = fake_tenders.contexts[0]
    assert (context.amount_cents, context.payment_reference, context.lines) == (
        TOTAL,
        dto.reference,
        LINES,
    )
    assert context.customer is not None and context.customer.id == user.id
    assert balance(code) == 0


def test_settlement_captures_once_and_books_card_and_tender_money_apart(
    api: Any,
    user: Any,
    fake_tenders: Any,
    settled_spy: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    dto = _checkout(user, issue("CARD-0002", 1_000_000))
    payment = Payment.objects.get(reference=dto.reference)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(api, tx_event(payment, amount=payment.gateway_cents))
        assert response.json()["outcome"] == "applied"
        # A re-signed copy of the same approval captures nothing twice.
        post_event(api, tx_event(payment, amount=payment.gateway_cents, timestamp=1530291999))
    payment.refresh_from_db()
    assert payment.status == "APPROVED"
    assert payment.tenders.get().state == "captured"
    assert fake_tenders.count("capture") == 1
    assert _ledger(payment) == {"charge": TOTAL - 1_000_000, "tender_redemption": 1_000_000}
    assert [c["amount_cents"] for c in settled_spy.calls] == [TOTAL]


def test_a_wompi_amount_of_the_whole_total_is_a_mismatch(
    api: Any, user: Any, fake_tenders: Any
) -> None:
    dto = _checkout(user, issue("CARD-0003", 1_000_000))
    payment = Payment.objects.get(reference=dto.reference)
    assert post_event(api, tx_event(payment, amount=TOTAL)).json()["outcome"] == "flagged"
    payment.refresh_from_db()
    assert payment.status == "PENDING" and payment.tenders.get().state == "held"


def test_full_coverage_settles_at_once_without_wompi(
    user: Any, fake_tenders: Any, settled_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    code = issue("CARD-0004", 9_000_000)
    with django_capture_on_commit_callbacks(execute=True):
        dto = _checkout(user, code)
    assert dto.settled and dto.status == "APPROVED"
    assert dto.amount_in_cents == 0 and dto.checkout_url == "" and dto.signature_integrity == ""
    payment = Payment.objects.get(reference=dto.reference)
    assert payment.method == "TENDER" and payment.finalized_at is not None
    assert balance(code) == 9_000_000 - TOTAL
    assert fake_tenders.count("capture") == 1
    assert _ledger(payment) == {"tender_redemption": TOTAL}  # no card money, no commission
    assert [(c["payment_reference"], c["amount_cents"]) for c in settled_spy.calls] == [
        (dto.reference, TOTAL)
    ]


def test_tenders_apply_in_order_and_an_unneeded_one_is_untouched(
    user: Any, fake_tenders: Any
) -> None:
    first, second, third = (
        issue("CARD-0005", 3_000_000),
        issue("CARD-0006", 9_000_000),
        issue("CARD-0007", 9_000_000),
    )
    dto = _checkout(user, first, second, third)
    assert dto.settled
    assert [t.amount_cents for t in dto.tenders] == [3_000_000, TOTAL - 3_000_000]
    assert balance(third) == 9_000_000 and fake_tenders.count("hold") == 2


def test_decline_releases_the_holds_once(
    api: Any, user: Any, fake_tenders: Any, failed_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    code = issue("CARD-0008", 1_000_000)
    payment = Payment.objects.get(reference=_checkout(user, code).reference)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(payment, "DECLINED", amount=payment.gateway_cents))
        post_event(api, tx_event(payment, "ERROR", amount=payment.gateway_cents, tx_id="tx-2"))
    payment.refresh_from_db()
    assert payment.status == "DECLINED"
    assert payment.tenders.get().state == "released"
    assert balance(code) == 1_000_000
    assert fake_tenders.count("release") == 1
    assert not LedgerEntry.objects.filter(payment=payment).exists()
    assert len(failed_spy.calls) == 1


def test_expiry_and_a_failed_start_release_the_holds(
    user: Any, fake_tenders: Any, settings: Any
) -> None:
    from django.utils import timezone

    code = issue("CARD-0009", 2_000_000)
    first = Payment.objects.get(reference=_checkout(user, code).reference)
    assert balance(code) == 0
    assert fail_attempt(payment_reference=first.reference, message="rechazado")
    assert balance(code) == 2_000_000

    second = Payment.objects.get(reference=_checkout(user, code).reference)
    Payment.objects.filter(pk=second.pk).update(
        created_at=timezone.now() - timezone.timedelta(hours=2),
        expires_at=timezone.now() - timezone.timedelta(minutes=1),
    )
    assert reconciliation.reconcile_pending()["expired"] == 1
    second.refresh_from_db()
    assert second.status == "EXPIRED" and second.tenders.get().state == "released"
    assert balance(code) == 2_000_000


def test_approval_after_expiry_gets_only_the_card_part_and_is_flagged(
    api: Any,
    user: Any,
    fake_tenders: Any,
    settled_spy: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    code = issue("CARD-0010", 1_000_000)
    payment = Payment.objects.get(reference=_checkout(user, code).reference)
    with django_capture_on_commit_callbacks(execute=True):
        assert fail_attempt(payment_reference=payment.reference, message="sin respuesta")
        post_event(api, tx_event(payment, amount=payment.gateway_cents, tx_id="tx-late"))
    payment.refresh_from_db()
    assert payment.status == "APPROVED" and payment.needs_review
    assert payment.tenders.get().state == "released" and balance(code) == 1_000_000
    assert _ledger(payment) == {"charge": TOTAL - 1_000_000}
    assert [c["amount_cents"] for c in settled_spy.calls] == [TOTAL - 1_000_000]


def _approved_split(api: Any, user: Any, code: str, capture: Any) -> Payment:
    payment = Payment.objects.get(reference=_checkout(user, code).reference)
    with capture(execute=True):
        post_event(api, tx_event(payment, amount=payment.gateway_cents))
    payment.refresh_from_db()
    return payment


def test_a_partial_refund_goes_back_to_the_tender_first(
    api: Any,
    user: Any,
    other_user: Any,
    fake_tenders: Any,
    refunded_spy: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    code = issue("CARD-0011", 1_000_000)
    payment = _approved_split(api, user, code, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        request_refund(
            purpose="demo.deposit", ref="appt-1", reason="cancelada", amount_cents=1_500_000
        )
    refund = payment.refunds.get()
    assert (refund.tender_cents, refund.amount_cents, refund.status) == (
        1_000_000,
        500_000,
        "pending_manual",  # a partial card refund is staff's (Wompi voids whole ones)
    )
    assert balance(code) == 1_000_000
    assert payment.tenders.get().state == "refunded"
    assert refunded_spy.calls == []  # the card part is not back yet
    with django_capture_on_commit_callbacks(execute=True):
        refunds.complete_manual_refund(refund.pk, staff=other_user)
    assert [c["amount_cents"] for c in refunded_spy.calls] == [1_500_000]
    assert _ledger(payment) == {
        "charge": TOTAL - 1_000_000,
        "tender_redemption": 1_000_000,
        "tender_refund": -1_000_000,
        "refund": -500_000,
    }
    # Idempotent per payment: asking again returns the same refund, moves nothing.
    request_refund(purpose="demo.deposit", ref="appt-1", reason="otra vez")
    assert balance(code) == 1_000_000 and fake_tenders.count("refund") == 1


def test_a_full_refund_returns_the_tender_and_voids_the_card_part(
    api: Any,
    user: Any,
    fake_tenders: Any,
    refunded_spy: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    code = issue("CARD-0012", 1_000_000)
    payment = _approved_split(api, user, code, django_capture_on_commit_callbacks)
    request_refund(purpose="demo.deposit", ref="appt-1", reason="cancelada")
    refund = payment.refunds.get()
    assert (refund.tender_cents, refund.amount_cents, refund.status) == (
        1_000_000,
        TOTAL - 1_000_000,
        "requested",  # the whole card transaction: Wompi voids it
    )
    assert balance(code) == 1_000_000
    # Wompi's VOIDED event completes our request: the purpose learns the whole amount.
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(payment, "VOIDED", amount=payment.gateway_cents, timestamp=1))
    payment.refresh_from_db()
    assert payment.status == "VOIDED"
    assert [c["amount_cents"] for c in refunded_spy.calls] == [TOTAL]
    assert sum(_ledger(payment).values()) == 0


def test_a_void_wompi_reports_unasked_returns_the_tenders_too(
    api: Any,
    user: Any,
    fake_tenders: Any,
    refunded_spy: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    code = issue("CARD-0013", 1_000_000)
    payment = _approved_split(api, user, code, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(api, tx_event(payment, "VOIDED", amount=payment.gateway_cents, timestamp=2))
    refund = payment.refunds.get()
    assert (refund.tender_cents, refund.amount_cents, refund.status) == (
        1_000_000,
        TOTAL - 1_000_000,
        "voided",
    )
    assert balance(code) == 1_000_000
    assert [c["amount_cents"] for c in refunded_spy.calls] == [TOTAL]


def test_refund_of_a_tender_only_payment_completes_at_once(
    user: Any, fake_tenders: Any, refunded_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    code = issue("CARD-0014", TOTAL)
    with django_capture_on_commit_callbacks(execute=True):
        _checkout(user, code)
        request_refund(purpose="demo.deposit", ref="appt-1", reason="cancelada a tiempo")
    refund = Refund.objects.get()
    assert (refund.tender_cents, refund.amount_cents, refund.status) == (TOTAL, 0, "completed")
    assert balance(code) == TOTAL
    assert [c["amount_cents"] for c in refunded_spy.calls] == [TOTAL]


def test_a_refused_tender_rolls_back_the_whole_checkout(user: Any, fake_tenders: Any) -> None:
    good = issue("CARD-0015", 1_000_000)
    issue("CARD-EMPTY", 0)
    with pytest.raises(TenderRefused) as excinfo:
        _checkout(user, good, "CARD-EMPTY")
    assert excinfo.value.status_code == 422
    assert excinfo.value.message == "Este bono no tiene saldo."
    assert not Payment.objects.exists() and not TenderApplication.objects.exists()
    assert balance(good) == 1_000_000


def test_unknown_kind_repeats_and_too_many_offers_are_422_before_anything(
    user: Any, fake_tenders: Any
) -> None:
    with pytest.raises(TenderNotAccepted) as excinfo:
        _checkout(user, "X-1", kind="no_such_kind")
    assert (excinfo.value.status_code, excinfo.value.message) == (422, "Medio de pago no aceptado.")
    for codes, error in (
        (("A", "A"), "tender_repeated"),
        (("A", "B", "C", "D"), "too_many_tenders"),
        (("  ",), "tender_code_required"),
    ):
        with pytest.raises(Exception) as excinfo:
            _checkout(user, *codes)
        assert (excinfo.value.status_code, excinfo.value.code) == (422, error)
    assert not Payment.objects.exists() and fake_tenders.calls == []


def test_only_a_provider_paying_whole_items_makes_a_purpose_prepay(fake_tenders: Any) -> None:
    from modules.payments.public import tenders_prepay
    from tests.fake_tenders import CREDIT_KIND

    assert tenders_prepay([TenderOffer(kind=CREDIT_KIND, code="C")])
    assert tenders_prepay(
        [TenderOffer(kind=KIND, code="A"), TenderOffer(kind=CREDIT_KIND, code="C")]
    )
    assert not tenders_prepay([TenderOffer(kind=KIND, code="A")])
    assert not tenders_prepay([TenderOffer(kind="no_such_kind", code="A")])
    assert not tenders_prepay([])


def test_without_the_plugin_no_kind_is_accepted(user: Any, db: Any) -> None:
    with pytest.raises(TenderNotAccepted):
        _checkout(user, "CARD-0001")
    assert not Payment.objects.exists()


def test_tender_kinds_are_unique_and_well_formed_across_plugins() -> None:
    def plugin(name: str, **tenders: str) -> ModulePlugin:
        return ModulePlugin(name=name, app=name, label=name, tenders=tenders)

    check_tender_kinds([plugin("a", gift_card="x:y"), plugin("b", package_credit="x:z")])
    with pytest.raises(ValueError, match="declared by a and b"):
        check_tender_kinds([plugin("a", gift_card="x:y"), plugin("b", gift_card="x:z")])
    with pytest.raises(ValueError, match="is not"):
        check_tender_kinds([plugin("a", **{"Gift-Card": "x:y"})])
