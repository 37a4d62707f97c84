"""What the plugin declares reaches the project with no edit elsewhere: the worker's queue and
routes, the beat entries, the assistant tools, the demo seed; and the beat work itself."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from modules.vouchers import delivery
from modules.vouchers.models import GiftCard, Package, PackagePurchase
from platform_core.beat import sync_periodic_tasks
from platform_core.models import Notification
from platform_core.plugins import ToolContext, assistant_tools, get_plugins, worker_queues
from tests.modules.vouchers.conftest import active_card, settle

pytestmark = pytest.mark.django_db


def test_queue_routes_and_beat_entries_come_from_the_plugin() -> None:
    assert "vouchers" in worker_queues(get_plugins())
    assert settings.CELERY_TASK_ROUTES["vouchers.*"] == {"queue": "vouchers"}
    sync_periodic_tasks()
    entries = PeriodicTask.objects.filter(task__startswith="vouchers.")
    assert {(e.task, e.queue) for e in entries} == {
        ("vouchers.deliver_due", "vouchers"),
        ("vouchers.remind_expiring", "vouchers"),
    }


def test_assistant_checks_a_balance_by_code(user) -> None:
    _card, code = active_card(user, 7_000_000)
    tool = assistant_tools()["gift_card_balance"]
    ctx = ToolContext(user=None, conversation_id="c1")
    answer = tool.handler(ctx, code=code.lower())
    assert answer["ok"] and answer["saldo"] == "$ 70.000" and answer["tarjeta"].endswith(code[-4:])
    assert tool.handler(ctx, code="1234")["ok"] is False


def test_demo_seed_is_idempotent() -> None:
    from modules.vouchers.demo import seed

    seed(StringIO())
    seed(StringIO())
    assert Package.objects.get().service_codes == ["MASAJE-RELAX-60"]


def test_expiry_reminders_once_within_the_lead_time(user, package) -> None:
    card, _ = active_card(user, 5_000_000, phone="+573001112233")
    from modules.vouchers import packages

    bought = packages.buy(buyer=user, package_code=package.code)
    settle(bought.checkout.reference)
    purchase = PackagePurchase.objects.get()
    now = timezone.now()
    assert delivery.remind_expiring(now) == 0  # a year away
    GiftCard.objects.filter(pk=card.pk).update(expires_at=now + timedelta(days=10))
    PackagePurchase.objects.filter(pk=purchase.pk).update(expires_at=now + timedelta(days=20))
    assert delivery.remind_expiring(now) == 2
    assert delivery.remind_expiring(now) == 0
    bodies = sorted(
        Notification.objects.filter(template="vouchers/expiry_reminder").values_list(
            "body", flat=True
        )
    )
    assert "tu paquete 5 masajes vence" in bodies[0] and "5 sesiones" in bodies[0]
    assert "tu tarjeta de regalo" in bodies[1] and "$ 50.000" in bodies[1]


def test_my_packages_gives_the_tender_booking_takes(api_as, user, package) -> None:
    """The assistant books a session with a package through booking's ``book_appointment``
    ``tenders``: my_packages hands it the kind and code to pass."""
    response = api_as(user).post("/api/vouchers/packages/5-masajes/purchase/")
    settle(response.json()["payment"]["reference"])
    tool = assistant_tools()["my_packages"]
    [listed] = tool.handler(ToolContext(user=user, conversation_id="c1"))["paquetes"]
    assert listed["sesiones_disponibles"] == 5
    assert listed["tender"] == {"kind": "package_credit", "code": listed["package_id"]}
    assert "tenders de book_appointment" in tool.description
