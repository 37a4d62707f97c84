"""VIP membership's API, assistant tools, personal data, admin, demo seed and plugin."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.utils import timezone

from modules.membership.models import VipSubscription
from modules.payments.wompi.gateway import get_gateway
from tests.factories import UserFactory
from tests.modules.payments.test_api_and_ops import _pay_in_sandbox

pytestmark = pytest.mark.django_db


def test_vip_api_flow(
    api_as: Any, api: Any, user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from modules.membership.services import ensure_default_plan

    ensure_default_plan()
    client = api_as(user)
    plans = api.get("/api/finances/vip/plans/").json()
    assert plans["items"][0]["code"] == "vip-mensual"
    acceptance = client.get("/api/finances/vip/acceptance/").json()
    token = get_gateway().tokenize_card(
        number="4242424242424242", cvc="123", exp_month="08", exp_year="30", card_holder="Ana"
    )
    body = {
        "plan_code": "vip-mensual",
        "card_token": token,
        "acceptance_token": acceptance["acceptance_token"],
        "personal_data_token": acceptance["personal_data_token"],
        "accept_terms": True,
        "accept_personal_data": False,
    }
    assert client.post("/api/finances/vip/subscription/", body).status_code == 422
    body["accept_personal_data"] = True
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/api/finances/vip/subscription/", body)
    assert created.status_code == 201, created.content
    mine = client.get("/api/finances/vip/subscription/").json()
    assert mine["status"] == "active" and mine["card_last_four"] == "4242"
    assert client.post("/api/finances/vip/subscription/cancel/").json()["cancel_at_period_end"]
    assert api_as(UserFactory()).get("/api/finances/vip/subscription/").status_code == 404


def test_assistant_tools(user: Any, django_capture_on_commit_callbacks: Any) -> None:
    from modules.membership.assistant_tools import get_tools
    from modules.membership.services import ensure_default_plan
    from platform_core.plugins import ToolContext

    ensure_default_plan()
    tools = {t.name: t for t in get_tools()}
    info = tools["vip_info"].handler(ToolContext(user=None, conversation_id="c"))
    assert info["planes"][0]["precio_cop"] == 99_000 and info["es_vip"] is False
    link = tools["vip_payment_link"].handler(ToolContext(user=user, conversation_id="c"))
    assert link["link"].startswith("http") and link["monto_cop"] == 99_000
    assert "error" in tools["vip_payment_link"].handler(ToolContext(user=None, conversation_id="c"))
    with django_capture_on_commit_callbacks(execute=True):
        _pay_in_sandbox(link["link"], "4242424242424242")
    user.refresh_from_db()
    assert user.vip_until and user.vip_until > timezone.now() + timedelta(days=27)
    info = tools["vip_info"].handler(ToolContext(user=user, conversation_id="c"))
    assert info["es_vip"] is True


def test_erase_cancels_and_forgets_the_card(
    user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from modules.membership import services as vip
    from modules.membership.personal_data import erase_user, export_user
    from modules.membership.tasks import renew_vip

    vip.ensure_default_plan()
    gateway = get_gateway()
    acceptance = gateway.get_acceptance()
    token = gateway.tokenize_card(
        number="4242424242424242", cvc="1", exp_month="1", exp_year="30", card_holder="A"
    )
    with django_capture_on_commit_callbacks(execute=True):
        vip.subscribe(
            user=user,
            plan_code="vip-mensual",
            card_token=token,
            acceptance_token=acceptance.acceptance_token,
            personal_data_token=acceptance.personal_data_token,
        )
    assert export_user(user)["vip_subscriptions"][0]["card"].endswith("4242")
    erase_user(user)
    sub = VipSubscription.objects.get()
    assert sub.status == "canceled" and sub.vip_payment_token == ""
    assert renew_vip.delay().get()["charged"] == 0


def test_subscribe_rejections(user: Any) -> None:
    from modules.membership import errors
    from modules.membership import services as vip
    from modules.payments.public import CardRejected
    from platform_core.errors import NotFound

    vip.ensure_default_plan()
    with pytest.raises(errors.AcceptanceRequired):
        vip.subscribe(
            user=user,
            plan_code="vip-mensual",
            card_token="t",
            acceptance_token="",
            personal_data_token="",
        )
    with pytest.raises(NotFound):
        vip.subscribe(
            user=user,
            plan_code="nope",
            card_token="t",
            acceptance_token="a",
            personal_data_token="p",
        )
    with pytest.raises(CardRejected):
        vip.subscribe(
            user=user,
            plan_code="vip-mensual",
            card_token="tok_invalid",
            acceptance_token="a",
            personal_data_token="p",
        )
    assert VipSubscription.objects.get().status == "failed"


def test_demo_seed_is_idempotent() -> None:
    from modules.membership.demo import seed
    from modules.membership.models import VipPlan

    out = StringIO()
    seed(out)
    seed(out)
    assert "vip-mensual" in out.getvalue() and VipPlan.objects.count() == 1


def test_admin_pages(client: Any, user: Any, django_capture_on_commit_callbacks: Any) -> None:
    from modules.membership.services import ensure_default_plan
    from tests.modules.membership.with_payments.test_vip import _subscribe

    ensure_default_plan()
    with django_capture_on_commit_callbacks(execute=True):
        sub = _subscribe(user)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for url in (
        "/admin/membership/vipplan/",
        "/admin/membership/vipsubscription/",
        f"/admin/membership/vipsubscription/{sub.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert b"SZV-" in response.content  # the charge's attempt, by payment reference
    assert sub.vip_payment_token.encode() not in response.content


def test_plugin_declares_the_renewal_beat_entry_and_the_vip_purpose() -> None:
    from modules.membership.plugin import plugin
    from modules.payments.plugin import plugin as payments_plugin

    entry = next(t for t in plugin.periodic_tasks if t.task == "membership.renew_vip")
    assert entry.every_seconds == 3600 and entry.queue == "payments"
    assert plugin.payment_purposes == {"payments.vip": "Membresía VIP"}
    assert not payments_plugin.payment_purposes
    assert all("vip" not in t.task for t in payments_plugin.periodic_tasks)
