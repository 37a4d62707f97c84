"""A throw-away tender plugin for tests: prepaid cards with a balance (``test_card``), held,
captured, released and refunded the way the payments contract asks of a real provider
(row lock, CheckConstraint on the balance, idempotent per hold id).

Enabled by the ``fake_tenders`` fixture (``tests/conftest.py``): it adds this plugin to
``STUDIOZENS_MODULES`` and creates its two tables (the module is no installed app, so no
migration makes them).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.db.models import F
from django.test import override_settings

from modules.payments.public import (
    TenderContext,
    TenderHold,
    TenderOffer,
    TenderRefused,
)
from platform_core.plugins import ModulePlugin

KIND = "test_card"
CREDIT_KIND = "test_credit"

plugin = ModulePlugin(
    name="fake_tenders",
    app="tests.fake_tenders",
    label="fake_tenders",
    tenders={
        KIND: "tests.fake_tenders:provider",
        CREDIT_KIND: "tests.fake_tenders:credit_provider",
    },
)


class FakeCard(models.Model):
    code = models.CharField(max_length=32, primary_key=True)
    balance_cents = models.BigIntegerField()

    class Meta:
        app_label = "fake_tenders"
        db_table = "fake_tenders_card"
        managed = False

    def __str__(self) -> str:
        return self.code


class FakeHold(models.Model):
    hold_id = models.CharField(max_length=64, primary_key=True)
    code = models.CharField(max_length=32)
    amount_cents = models.BigIntegerField()
    refunded_cents = models.BigIntegerField(default=0)
    state = models.CharField(max_length=10, default="held")

    class Meta:
        app_label = "fake_tenders"
        db_table = "fake_tenders_hold"
        managed = False

    def __str__(self) -> str:
        return self.hold_id


DDL = (
    "CREATE TABLE fake_tenders_card (code varchar(32) PRIMARY KEY, "
    "balance_cents bigint NOT NULL CHECK (balance_cents >= 0))",
    "CREATE TABLE fake_tenders_hold (hold_id varchar(64) PRIMARY KEY, "
    "code varchar(32) NOT NULL, amount_cents bigint NOT NULL, "
    "refunded_cents bigint NOT NULL, state varchar(10) NOT NULL)",
)


@dataclass
class FakeCardProvider:
    """Covers what a card's balance allows; ``calls`` records every call, for asserting
    how often payments captured or released."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    contexts: list[TenderContext] = field(default_factory=list)

    def hold(self, offer: TenderOffer, context: TenderContext) -> TenderHold:
        self.contexts.append(context)
        card = FakeCard.objects.select_for_update().filter(code=offer.code).first()
        if card is None:
            raise TenderRefused("No encontramos ese bono.", code="tender_unknown_code")
        if card.balance_cents <= 0:
            raise TenderRefused("Este bono no tiene saldo.", code="tender_no_balance")
        amount = min(card.balance_cents, context.amount_cents)
        FakeCard.objects.filter(code=card.code).update(balance_cents=F("balance_cents") - amount)
        hold = FakeHold.objects.create(
            hold_id=f"H-{secrets.token_hex(8)}", code=card.code, amount_cents=amount
        )
        self.calls.append(("hold", hold.hold_id))
        return TenderHold(hold.hold_id, amount, f"Bono de prueba ····{card.code[-4:]}")

    def _locked(self, hold_id: str) -> FakeHold:
        return FakeHold.objects.select_for_update().get(hold_id=hold_id)

    def capture(self, hold_id: str) -> None:
        self.calls.append(("capture", hold_id))
        FakeHold.objects.filter(hold_id=hold_id, state="held").update(state="captured")

    def release(self, hold_id: str) -> None:
        self.calls.append(("release", hold_id))
        hold = self._locked(hold_id)
        if hold.state != "held":
            return  # released already, or captured: nothing to give back
        hold.state = "released"
        hold.save(update_fields=["state"])
        self._credit(hold.code, hold.amount_cents)

    def refund(self, hold_id: str, amount_cents: int) -> None:
        self.calls.append(("refund", hold_id))
        hold = self._locked(hold_id)
        if hold.state != "captured" or hold.refunded_cents + amount_cents > hold.amount_cents:
            raise AssertionError(f"refund of {amount_cents} on {hold.state} hold {hold_id}")
        hold.refunded_cents += amount_cents
        hold.save(update_fields=["refunded_cents"])
        self._credit(hold.code, amount_cents)

    @staticmethod
    def _credit(code: str, amount: int) -> None:
        card = FakeCard.objects.select_for_update().get(code=code)
        FakeCard.objects.filter(code=card.code).update(balance_cents=F("balance_cents") + amount)

    def count(self, call: str) -> int:
        return sum(1 for name, _ in self.calls if name == call)


class FakeCreditProvider(FakeCardProvider):
    """Kind ``test_credit``: the same cards, but paying whole items (a package credit's
    ``prepays_items``): booking asks for the full price instead of a deposit."""

    prepays_items = True


provider = FakeCardProvider()
credit_provider = FakeCreditProvider(calls=provider.calls, contexts=provider.contexts)


def balance(code: str) -> int:
    return FakeCard.objects.get(code=code).balance_cents


def issue(code: str, balance_cents: int) -> str:
    FakeCard.objects.create(code=code, balance_cents=balance_cents)
    return code


def enabled(settings: Any) -> Iterator[FakeCardProvider]:
    """The fixture's body: the plugin on, its tables made, a fresh call log."""
    with connection.cursor() as cursor:
        for statement in DDL:
            cursor.execute(statement)
    provider.calls.clear()
    provider.contexts.clear()
    modules = [*settings.STUDIOZENS_MODULES, "tests.fake_tenders:plugin"]
    try:
        with override_settings(STUDIOZENS_MODULES=modules):
            yield provider
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS fake_tenders_hold")
            cursor.execute("DROP TABLE IF EXISTS fake_tenders_card")
