"""Issue 16 (1): VIP membership moves out of payments without losing anything.

The database is rolled back to payments 0007 (VIP still payments'), filled through the
historical models with live subscriptions, renewals in flight (a pending attempt), declined,
unsent, refunded and paid attempts, a one-month checkout and an encrypted stored card; then
migrated forward. Every row, every column value and the ciphertext itself must be where
membership expects them, the in-flight renewal must still settle through the outcome, and
the migration must run backwards (the foreign key comes back, filled) and forwards again.
Real commits (schema changes): PostgreSQL is the system of record.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = [("payments", "0007_backfill_outcomes"), ("membership", None)]
SUB_COLUMNS = (
    "id",
    "public_id",
    "user_id",
    "plan_id",
    "status",
    "vip_payment_token",
    "payment_source_status",
    "card_brand",
    "card_last_four",
    "customer_email",
    "acceptance_token",
    "acceptance_permalink",
    "personal_data_token",
    "personal_data_permalink",
    "accepted_at",
    "current_period_start",
    "current_period_end",
    "cancel_at_period_end",
    "canceled_at",
    "failed_attempts",
    "past_due_since",
    "next_retry_at",
    "lapsed_at",
    "created_at",
    "updated_at",
)


def _migrate(targets: list[tuple[str, str | None]]) -> Any:
    """Migrate to ``targets``; the historical apps of the (non-None) targets."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _latest() -> list[tuple[str, str | None]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _rows(table: str, columns: tuple[str, ...] | str = "*") -> list[tuple[Any, ...]]:
    cols = columns if isinstance(columns, str) else ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {cols} FROM {table} ORDER BY id")
        return list(cursor.fetchall())


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def _columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


def _fill(apps: Any, ana: Any, beto: Any, carla: Any) -> dict[str, Any]:
    """payments' VIP data as it stands before the move (historical models at 0007)."""
    Plan = apps.get_model("payments", "VipPlan")
    Sub = apps.get_model("payments", "VipSubscription")
    Charge = apps.get_model("payments", "VipCharge")
    Payment = apps.get_model("payments", "Payment")
    Refund = apps.get_model("payments", "Refund")
    now = timezone.now()
    month = timedelta(days=30)
    plan = Plan.objects.create(code="vip-mensual", name="VIP mensual", price_cents=9_900_000)

    def pay(ref: str, status: str, charge: Any = None, user: Any = None, **extra: Any) -> Any:
        return Payment.objects.create(
            reference=ref,
            purpose="payments.vip",
            purpose_ref=extra.pop("purpose_ref", "x"),
            user_id=(user or ana).pk,
            kind="payment_source" if charge else "checkout",
            amount_cents=9_900_000,
            status=status,
            vip_charge=charge,
            **extra,
        )

    # Ana: active, paid first month, the renewal is in flight (sent, Wompi not answered yet).
    active = Sub.objects.create(
        user_id=ana.pk,
        plan=plan,
        status="active",
        vip_payment_token="123456",  # the Wompi payment-source id: encrypted by the field
        payment_source_status="AVAILABLE",
        card_brand="VISA",
        card_last_four="4242",
        customer_email="ana@example.com",
        acceptance_token="acc-ana",
        acceptance_permalink="https://wompi.co/terms.pdf",
        personal_data_token="pd-ana",
        personal_data_permalink="https://wompi.co/data.pdf",
        accepted_at=now - month,
        current_period_start=now - month,
        current_period_end=now,
    )
    first = Charge.objects.create(
        subscription=active,
        period_start=now - month,
        period_end=now,
        amount_cents=9_900_000,
        attempts=1,
        paid=True,
    )
    pay("SZV-ANA-1", "APPROVED", first, purpose_ref=str(active.public_id), method="CARD")
    renewal = Charge.objects.create(
        subscription=active,
        period_start=now,
        period_end=now + month,
        amount_cents=9_900_000,
        attempts=1,
    )
    in_flight = pay(
        "SZV-ANA-2",
        "PENDING",
        renewal,
        purpose_ref=str(active.public_id),
        wompi_transaction_id="tx-ana-2",
        method="CARD",
        expires_at=now + timedelta(minutes=15),
    )
    # Beto: past due after a declined renewal; one attempt never reached Wompi; an
    # approval that came for an already paid period was refunded.
    past_due = Sub.objects.create(
        user_id=beto.pk,
        plan=plan,
        status="past_due",
        vip_payment_token="654321",
        card_last_four="1111",
        failed_attempts=1,
        past_due_since=now - timedelta(days=2),
        next_retry_at=now + timedelta(days=1),
        current_period_start=now - month - timedelta(days=2),
        current_period_end=now - timedelta(days=2),
    )
    overdue = Charge.objects.create(
        subscription=past_due,
        period_start=now - timedelta(days=2),
        period_end=now + month,
        amount_cents=9_900_000,
        attempts=1,
    )
    ref = str(past_due.public_id)
    pay("SZV-BETO-1", "DECLINED", overdue, user=beto, purpose_ref=ref)
    pay(
        "SZV-BETO-2",
        "ERROR",
        overdue,
        user=beto,
        purpose_ref=ref,
        status_message="no enviado a Wompi: circuit open",
    )
    older = Charge.objects.create(
        subscription=past_due,
        period_start=now - month - timedelta(days=2),
        period_end=now - timedelta(days=2),
        amount_cents=9_900_000,
        attempts=2,
        paid=True,
    )
    pay("SZV-BETO-0", "APPROVED", older, user=beto, purpose_ref=ref, method="CARD")
    twice = pay("SZV-BETO-00", "APPROVED", older, user=beto, purpose_ref=ref, method="CARD")
    Refund.objects.create(
        payment=twice, amount_cents=9_900_000, reason="Periodo VIP ya pagado", status="voided"
    )
    # Carla: a lapsed membership, and a month bought through Web Checkout (no card).
    Sub.objects.create(user_id=carla.pk, plan=plan, status="lapsed", lapsed_at=now)
    pay("SZ-CARLA-MONTH", "APPROVED", user=carla, purpose_ref="vip-mensual:carla:1")
    pay("SZ-CARLA-DECLINED", "DECLINED", user=carla, purpose_ref="vip-mensual:carla:2")
    return {"in_flight": in_flight.reference, "active": active.public_id}


@pytest.fixture
def latest() -> Any:
    """The latest migrations; the schema is brought back to them whatever happens."""
    nodes = _latest()
    yield nodes
    _migrate(nodes)


def _staff_grant_on_payments_content_type() -> Any:
    """A production database has content types and granted permissions for payments' VIP
    models (rolling back relabelled the test database's; any membership one is dropped)."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.filter(app_label="membership").delete()
    ContentType.objects.clear_cache()
    content_type, _ = ContentType.objects.get_or_create(
        app_label="payments", model="vipsubscription"
    )
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename="view_vipsubscription",
        defaults={"name": "Ver suscripción VIP"},
    )
    group = Group.objects.create(name="recepción (antes)")
    group.permissions.add(permission)
    return group


def test_vip_data_moves_to_membership_without_loss(latest: Any) -> None:
    ana, beto, carla = UserFactory(), UserFactory(), UserFactory()
    apps = _migrate(BEFORE)
    assert "membership_vipsubscription" not in _tables()
    assert "vip_charge_id" in _columns("payments_payment")
    facts = _fill(apps, ana, beto, carla)
    reception = _staff_grant_on_payments_content_type()
    subs_before = _rows("payments_vipsubscription", SUB_COLUMNS)
    plans_before = _rows("payments_vipplan")
    charges_before = _rows("payments_vipcharge")
    payments_before = _rows("payments_payment", ("id", "reference", "status", "purpose_ref"))
    links_before = {
        ref: charge
        for ref, charge in _rows("payments_payment", ("reference", "vip_charge_id"))
        if charge is not None
    }
    ciphertexts = [row[SUB_COLUMNS.index("vip_payment_token")] for row in subs_before]
    assert all(c.startswith("gAAAA") for c in ciphertexts if c)  # encrypted at rest

    _migrate(latest)

    tables = _tables()
    assert not {t for t in tables if t.startswith("payments_vip")}
    assert {"membership_vipplan", "membership_vipsubscription", "membership_vipcharge"} <= tables
    assert "vip_charge_id" not in _columns("payments_payment")  # money knows no purpose
    # Every row and value, the ciphertext byte for byte (no key needed, nothing re-encrypted).
    assert _rows("membership_vipsubscription", SUB_COLUMNS) == subs_before
    assert _rows("membership_vipplan") == plans_before
    assert _rows("membership_vipcharge") == charges_before
    assert _rows("payments_payment", ("id", "reference", "status", "purpose_ref")) == (
        payments_before
    )

    from modules.membership.models import (
        VipCharge,
        VipChargeAttempt,
        VipMonthPurchase,
        VipPlan,
        VipSubscription,
    )

    tokens = dict(VipSubscription.objects.values_list("user_id", "vip_payment_token"))
    assert tokens == {ana.pk: "123456", beto.pk: "654321", carla.pk: ""}
    links = dict(VipChargeAttempt.objects.values_list("payment_reference", "charge_id"))
    assert links == links_before
    assert dict(VipChargeAttempt.objects.values_list("payment_reference", "outcome")) == {
        "SZV-ANA-1": "paid",
        "SZV-ANA-2": "",  # in flight
        "SZV-BETO-1": "failed",
        "SZV-BETO-2": "abandoned",
        "SZV-BETO-0": "paid",
        "SZV-BETO-00": "refunded",
    }
    assert list(VipMonthPurchase.objects.values_list("payment_reference", "user_id")) == [
        ("SZ-CARLA-MONTH", carla.pk)
    ]
    # Staff permissions granted on the models followed them (content types relabelled).
    assert set(reception.permissions.values_list("content_type__app_label", "codename")) == {
        ("membership", "view_vipsubscription")
    }
    # The database guarantees came along: one live subscription per member...
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 - IntegrityError
        VipSubscription.objects.create(user_id=ana.pk, plan=VipPlan.objects.get())
    # ...and the sequences continue where payments' left off.
    plan = VipPlan.objects.create(code="vip-anual", name="VIP anual", price_cents=1)
    assert plan.pk > max(row[0] for row in plans_before)

    # The renewal in flight settles after the deploy: membership's handler pays the period.
    from modules.payments import settlement

    with transaction.atomic():  # real commit: the outcome is delivered after it
        settlement.apply_transaction(
            {
                "id": "tx-ana-2",
                "reference": facts["in_flight"],
                "status": "APPROVED",
                "amount_in_cents": 9_900_000,
                "currency": "COP",
                "payment_method_type": "CARD",
            },
            source="poll",
        )
    renewal = VipCharge.objects.get(attempt_links__payment_reference=facts["in_flight"])
    active = VipSubscription.objects.get(public_id=facts["active"])
    ana.refresh_from_db()
    assert renewal.paid and active.current_period_end == renewal.period_end
    assert ana.vip_until == renewal.period_end
    assert VipChargeAttempt.objects.get(payment_reference=facts["in_flight"]).outcome == "paid"

    # Backwards: payments gets its tables and its (filled) foreign key back; then forwards.
    plan.delete()
    _migrate(BEFORE)
    assert "membership_vipsubscription" not in _tables()
    restored = {
        ref: charge
        for ref, charge in _rows("payments_payment", ("reference", "vip_charge_id"))
        if charge is not None
    }
    assert restored == links_before
    _migrate(latest)
    assert VipChargeAttempt.objects.count() == len(links_before)
    assert VipSubscription.objects.get(user_id=beto.pk).vip_payment_token == "654321"
