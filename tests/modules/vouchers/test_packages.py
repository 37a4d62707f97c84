"""Packages: on sale, bought online, credits granted once on settlement, staff refunds of
unused sessions pro rata through payments."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from modules.payments import public as payments
from modules.payments.public import PaymentRefunded
from modules.vouchers import packages, payment_handlers
from modules.vouchers.errors import NothingToRefund
from modules.vouchers.models import CreditEntry, Package, PackagePurchase
from platform_core.models import AuditEvent, Notification
from tests.modules.vouchers.conftest import settle

pytestmark = pytest.mark.django_db


def test_list_buy_pay_and_see_credits_over_http(api, api_as, user, package) -> None:
    Package.objects.create(code="retirado", name="x", sessions=2, price_cents=100, active=False)
    listed = api.get("/api/vouchers/packages/").json()["items"]
    assert [p["code"] for p in listed] == ["5-masajes"]
    assert listed[0]["service_codes"] == ["MASAJE-RELAX-60"]

    response = api_as(user).post("/api/vouchers/packages/5-masajes/purchase/")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["purchase"]["status"] == "pending_payment" and body["purchase"]["credits_left"] == 0
    assert body["payment"]["amount_in_cents"] == 40_000_000
    settle(body["payment"]["reference"])

    mine = api_as(user).get("/api/vouchers/my-packages/").json()["items"]
    assert mine[0]["status"] == "active" and mine[0]["credits_left"] == 5
    assert mine[0]["id"] == body["purchase"]["id"]
    purchase = PackagePurchase.objects.get()
    assert list(purchase.entries.values_list("kind", "credits", "credits_after")) == [
        ("issue", 5, 5)
    ]
    [message] = Notification.objects.filter(template="vouchers/package_purchased")
    assert "5 sesiones" in message.body


def test_unknown_or_withdrawn_package_is_404(api_as, user, package) -> None:
    package.active = False
    package.save()
    response = api_as(user).post("/api/vouchers/packages/5-masajes/purchase/")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No encontramos ese paquete."


def _paid(user, package) -> PackagePurchase:
    bought = packages.buy(buyer=user, package_code=package.code)
    settle(bought.checkout.reference)
    return PackagePurchase.objects.get(pk=bought.purchase.pk)


def test_staff_refund_of_unused_sessions_is_pro_rata(user, package, monkeypatch) -> None:
    purchase = _paid(user, package)
    asked: list[dict] = []
    monkeypatch.setattr(payments, "request_refund", lambda **kw: asked.append(kw))
    # Two sessions used (what a capture leaves): the three left are refunded.
    PackagePurchase.objects.filter(pk=purchase.pk).update(credits_left=3)
    amount = packages.refund_unused(purchase_id=purchase.pk, actor=user, reason="se muda")
    assert amount == 3 * 8_000_000
    assert asked == [
        {
            "purpose": "vouchers.package",
            "ref": str(purchase.public_id),
            "reason": "se muda",
            "amount_cents": 24_000_000,
        }
    ]
    purchase.refresh_from_db()
    assert (purchase.status, purchase.credits_left, purchase.refunded_cents) == (
        "refunded",
        0,
        24_000_000,
    )
    assert purchase.entries.last().kind == CreditEntry.Kind.CASH_OUT
    assert AuditEvent.objects.filter(action="vouchers.package_refunded").exists()
    with pytest.raises(NothingToRefund):
        packages.refund_unused(purchase_id=purchase.pk, actor=user, reason="otra vez")


def test_a_full_refund_at_payments_takes_the_credits(user, package) -> None:
    purchase = _paid(user, package)
    outcome = PaymentRefunded(
        purpose="vouchers.package",
        ref=str(purchase.public_id),
        payment_reference=purchase.payment_reference,
        amount_cents=40_000_000,
    )
    payment_handlers.handle(outcome)
    payment_handlers.handle(outcome)
    purchase.refresh_from_db()
    assert (purchase.status, purchase.credits_left) == ("refunded", 0)
    assert purchase.entries.filter(kind=CreditEntry.Kind.CASH_OUT).count() == 1


def test_the_database_refuses_negative_credits(user, package) -> None:
    purchase = _paid(user, package)
    with pytest.raises(IntegrityError), transaction.atomic():
        PackagePurchase.objects.filter(pk=purchase.pk).update(credits_left=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditEntry.objects.create(purchase=purchase, kind="hold", credits=-6, credits_after=-1)


def test_dashboard_counts_sales_and_what_is_still_owed(user, package) -> None:
    from datetime import date

    from modules.vouchers.dashboard import section
    from platform_core.dashboard import Period

    purchase = _paid(user, package)
    PackagePurchase.objects.filter(pk=purchase.pk).update(credits_left=3)
    figures = {f.label: f for f in section(Period(today=date.today(), days=7)).figures}
    assert figures["Paquetes vendidos"].period == "1 ($ 400.000)"
    assert figures["Sesiones por usar"].period == "3 ($ 240.000)"
    assert figures["Saldo por redimir en tarjetas"].period == "$ 0"
