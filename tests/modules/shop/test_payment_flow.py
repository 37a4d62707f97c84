"""Payment settlement, expiry and late payments (payments' signal -> shop)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db.models import Sum
from django.utils import timezone

from modules.shop import cart, checkout, orders, tasks
from modules.shop.models import Order, OrderStatus
from tests.modules.shop.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory(stock=3, price_cents=2_000_000)


@pytest.fixture
def order(user, product):
    cart.add_to_cart(user, product.public_id, 2)
    return checkout.checkout(user, fulfilment="pickup").order


def _settle(order, *, late=False):
    """What payments' outbox does: the settled outcome to the handler shop.order declares."""
    from modules.payments.public import PaymentSettled
    from platform_core.plugins import payment_handlers

    payment_handlers()["shop.order"](
        PaymentSettled(
            purpose="shop.order",
            ref=str(order.public_id),
            payment_reference="PAY-REF",
            amount_cents=order.total_cents,
            user_id=order.user_id,
            late=late,
        )
    )


def test_settled_signal_marks_paid_once(order, boundary):
    _settle(order)
    _settle(order)  # duplicate delivery: no second effect
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.payment_reference == "PAY-REF"
    assert order.paid_at is not None
    paid_msgs = [
        m for m in boundary.templates("shop/order_status") if m["context"]["status"] == "PAID"
    ]
    assert len(paid_msgs) == 1


def test_only_outcomes_that_are_not_settlements_are_ignored(order):
    from modules.payments.public import PaymentFailed, PaymentRefunded
    from modules.shop.payment_handlers import handle

    ref = str(order.public_id)
    handle(PaymentFailed(purpose="shop.order", ref=ref, payment_reference="P", status="DECLINED"))
    handle(PaymentRefunded(purpose="shop.order", ref=ref, payment_reference="P", amount_cents=1))
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_unknown_order_is_logged_not_raised(caplog):
    assert orders.mark_paid("00000000-0000-0000-0000-000000000000") is None
    assert "unknown shop order" in caplog.text


def test_wrong_amount_is_not_fulfilled(order, boundary):
    orders.mark_paid(str(order.public_id), payment_reference="X", amount_cents=1)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.refund_requested
    assert len(boundary.refunds) == 1


def test_expiry_releases_stock(order, product, settings, boundary):
    product.refresh_from_db()
    assert product.stock == 1
    # Not yet due: nothing happens.
    assert orders.expire_overdue_orders() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.ORDER_HOLD_MINUTES + 1)):
        assert tasks.expire_orders.delay().get() == 1
        assert orders.expire_overdue_orders() == 0  # idempotent
    order.refresh_from_db()
    product.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert product.stock == 3
    assert product.movements.aggregate(s=Sum("quantity"))["s"] == 3
    kinds = list(order.movements.order_by("pk").values_list("kind", "quantity"))
    assert kinds == [("reservation", -2), ("release", 2)]
    assert boundary.templates("shop/order_status")[-1]["context"]["status"] == "EXPIRED"


def test_paid_orders_do_not_expire(order, settings):
    orders.mark_paid(str(order.public_id))
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.ORDER_HOLD_MINUTES + 5)):
        assert orders.expire_overdue_orders() == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_late_payment_after_expiry_is_flagged_for_refund(
    order, product, user, other_user, boundary, settings
):
    later = timezone.now() + timedelta(minutes=settings.ORDER_HOLD_MINUTES + 1)
    with time_machine.travel(later):
        orders.expire_overdue_orders()
    # The released units are sold to someone else.
    cart.add_to_cart(other_user, product.public_id, 3)
    checkout.checkout(other_user, fulfilment="pickup")
    product.refresh_from_db()
    assert product.stock == 0

    _settle(order, late=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED  # never fulfilled from stock that is gone
    assert order.refund_requested
    assert order.payment_reference == "PAY-REF"
    assert boundary.refunds == [
        {
            "order_public_id": str(order.public_id),
            "reason": "Pago recibido con el pedido Vencido",
            "payment_reference": "PAY-REF",
        }
    ]
    product.refresh_from_db()
    assert product.stock == 0
    late_msg = boundary.messages[-1]
    assert late_msg["user"].pk == user.pk
    assert late_msg["context"]["refund_requested"] is True
    assert late_msg["key"].endswith(":late_payment")
    # A second delivery of the same settlement asks for nothing more.
    _settle(order, late=True)
    assert len(boundary.refunds) == 1
    # Staff close it once payments refunded.
    from tests.factories import UserFactory

    orders.change_status(order.public_id, "REFUNDED", actor=UserFactory(roles=["admin"]))
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED


def test_pending_but_overdue_order_still_holding_stock_is_honoured(order, settings):
    # Beat has not run yet: the units are still reserved, so the payment fulfils.
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.ORDER_HOLD_MINUTES + 1)):
        _settle(order, late=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_beat_entry_is_declared():
    from modules.shop.plugin import plugin

    (task,) = plugin.periodic_tasks
    assert task.task == "shop.expire_orders" and task.every_seconds == 60
    assert Order._meta.get_field("expires_at").db_index
