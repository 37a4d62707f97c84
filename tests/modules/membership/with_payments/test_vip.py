from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from modules.membership import services as vip
from modules.membership.models import VipCharge, VipChargeAttempt, VipPlan, VipSubscription
from modules.payments.models import Payment
from modules.payments.sandbox.inprocess import get_sandbox
from modules.payments.wompi.gateway import get_gateway
from platform_core.notifications import sent_messages

pytestmark = pytest.mark.django_db
BOGOTA = ZoneInfo("America/Bogota")
START = datetime(2026, 1, 31, 10, 0, tzinfo=BOGOTA)


@pytest.fixture
def plan(db: Any) -> VipPlan:
    return vip.ensure_default_plan()


def _subscribe(user: Any, card: str = "4242424242424242") -> VipSubscription:
    gateway = get_gateway()
    acceptance = gateway.get_acceptance()
    token = gateway.tokenize_card(
        number=card, cvc="123", exp_month="08", exp_year="30", card_holder="Ana Pérez"
    )
    return vip.subscribe(
        user=user,
        plan_code="vip-mensual",
        card_token=token,
        acceptance_token=acceptance.acceptance_token,
        personal_data_token=acceptance.personal_data_token,
        acceptance_permalink=acceptance.acceptance_permalink,
        personal_data_permalink=acceptance.personal_data_permalink,
    )


def attempt_of(period_start: datetime) -> Payment:
    """The one payment attempt of the period starting at ``period_start``."""
    link = VipChargeAttempt.objects.get(charge__period_start=period_start)
    return Payment.objects.get(reference=link.payment_reference)


def _run(capture: Any, fn: Any) -> Any:
    with capture(execute=True):
        return fn()


def test_subscribe_activates_and_extends_vip(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(START, tick=False):
        sub = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
        sub.refresh_from_db()
        user.refresh_from_db()
    assert sub.status == "active"
    assert sub.acceptance_token and sub.personal_data_token and sub.accepted_at
    assert sub.card_last_four == "4242"
    assert sub.current_period_end == datetime(2026, 2, 28, 10, 0, tzinfo=BOGOTA)
    assert user.vip_until == sub.current_period_end
    payment = Payment.objects.get(purpose="payments.vip")
    assert payment.status == "APPROVED" and payment.kind == "payment_source"
    assert any(m["template"] == "membership/vip_payment_approved" for m in sent_messages())


def test_vip_payment_token_is_ciphertext_in_the_database(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    sub = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
    clear = VipSubscription.objects.get(pk=sub.pk).vip_payment_token
    assert clear and clear.isdigit()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT vip_payment_token FROM membership_vipsubscription WHERE id = %s", [sub.pk]
        )
        raw = cursor.fetchone()[0]
    assert raw != clear and clear not in raw and raw.startswith("gAAAA")


def test_first_charge_declined_fails_subscription(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    sub = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user, "4111111111111111"))
    sub.refresh_from_db()
    assert sub.status == "failed"
    # a failed one does not block a new attempt
    sub2 = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
    sub2.refresh_from_db()
    assert sub2.status == "active"


def test_second_live_subscription_conflicts(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    from modules.membership.errors import SubscriptionExists

    _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
    with pytest.raises(SubscriptionExists):
        _subscribe(user)


def test_renewal_twice_for_the_same_period_charges_once(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(START, tick=False):
        sub = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
    # Events are delayed (Wompi is asynchronous): the first run leaves the charge pending.
    with time_machine.travel(START + timedelta(days=29), tick=False):
        first = vip.run_renewals()
        second = vip.run_renewals()
    assert first["charged"] == 1 and second["charged"] == 0
    period_start = datetime(2026, 2, 28, 10, 0, tzinfo=BOGOTA)
    charge = VipCharge.objects.get(subscription=sub, period_start=period_start)
    assert charge.attempt_links.count() == 1
    sandbox_charges = [
        t for t in get_sandbox().state.transactions.values() if t["payment_source_id"]
    ]
    assert len(sandbox_charges) == 2  # first month + one renewal


def test_dunning_retries_after_1_3_5_days_then_lapses(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(START, tick=False):
        sub = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
    sub.refresh_from_db()
    for source in get_sandbox().state.sources.values():
        source["outcome"] = "DECLINED"  # the card stops working
    due = sub.current_period_end

    def renew_at(when: datetime) -> dict[str, int]:
        with time_machine.travel(when, tick=False):
            return _run(django_capture_on_commit_callbacks, vip.run_renewals)

    assert renew_at(due)["charged"] == 1
    sub.refresh_from_db()
    assert sub.status == "past_due" and sub.next_retry_at == due + timedelta(days=1)
    assert renew_at(due + timedelta(hours=12))["charged"] == 0  # not yet
    assert renew_at(due + timedelta(days=1))["charged"] == 1
    sub.refresh_from_db()
    assert sub.next_retry_at == due + timedelta(days=3)
    assert renew_at(due + timedelta(days=2))["charged"] == 0
    assert renew_at(due + timedelta(days=3))["charged"] == 1
    sub.refresh_from_db()
    assert sub.next_retry_at == due + timedelta(days=5)
    assert renew_at(due + timedelta(days=5))["charged"] == 1
    sub.refresh_from_db()
    assert sub.status == "lapsed" and sub.next_retry_at is None
    templates = [m["template"] for m in sent_messages()]
    assert templates.count("membership/vip_payment_failed") == 3
    assert templates.count("membership/vip_lapsed") == 1
    assert "Lo intentaremos de nuevo" in next(
        m["body"] for m in sent_messages() if m["template"] == "membership/vip_payment_failed"
    )
    assert renew_at(due + timedelta(days=40))["charged"] == 0
    user.refresh_from_db()
    assert user.vip_until == due  # never extended past the unpaid period


def test_dunning_recovers_when_a_retry_succeeds(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(START, tick=False):
        sub = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
    sub.refresh_from_db()
    sources = get_sandbox().state.sources.values()
    for source in sources:
        source["outcome"] = "DECLINED"
    due = sub.current_period_end
    with time_machine.travel(due, tick=False):
        _run(django_capture_on_commit_callbacks, vip.run_renewals)
    for source in sources:
        source["outcome"] = "APPROVED"
    with time_machine.travel(due + timedelta(days=1), tick=False):
        _run(django_capture_on_commit_callbacks, vip.run_renewals)
    sub.refresh_from_db()
    assert sub.status == "active" and sub.failed_attempts == 0
    assert sub.current_period_start == due


def test_cancel_keeps_vip_until_period_end(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(START, tick=False):
        sub = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
        vip.cancel(user=user)
    sub.refresh_from_db()
    assert sub.status == "active" and sub.cancel_at_period_end
    with time_machine.travel(sub.current_period_end + timedelta(minutes=1), tick=False):
        counts = vip.run_renewals()
    sub.refresh_from_db()
    assert counts["ended"] == 1 and sub.status == "canceled"
    assert VipCharge.objects.filter(subscription=sub).count() == 1


def test_add_month_clamps_to_month_end() -> None:
    assert vip.add_month(datetime(2026, 1, 31, tzinfo=BOGOTA)).day == 28
    assert vip.add_month(datetime(2026, 12, 15, tzinfo=BOGOTA)).year == 2027


def test_add_month_counts_in_bogota_wall_time_and_returns_utc() -> None:
    # 30 Jan 20:00 in Bogotá is 31 Jan 01:00 UTC: counted in UTC it ended 27 Feb 20:00.
    evening = datetime(2026, 1, 30, 20, 0, tzinfo=BOGOTA).astimezone(UTC)
    end = vip.add_month(evening)
    assert end == datetime(2026, 2, 28, 20, 0, tzinfo=BOGOTA)
    assert end.utcoffset() == timedelta(0)


def test_periods_are_anchored_to_the_start_day() -> None:
    anchor = datetime(2026, 1, 31, 10, 0, tzinfo=BOGOTA)
    ends = []
    start = anchor
    for _ in range(4):
        start = vip.period_end(anchor, start)
        ends.append(start.astimezone(BOGOTA).date().isoformat())
    # 31 Jan -> 28 Feb -> 31 Mar (not 28 Mar) -> 30 Apr -> 31 May
    assert ends == ["2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]
    leap = datetime(2028, 1, 31, 9, 0, tzinfo=BOGOTA)
    assert vip.period_end(leap, leap) == datetime(2028, 2, 29, 9, 0, tzinfo=BOGOTA)


def test_bogota_evening_sign_up_renews_on_the_same_local_day(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    signup = datetime(2026, 1, 30, 20, 0, tzinfo=BOGOTA)
    with time_machine.travel(signup, tick=False):
        sub = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
    sub.refresh_from_db()
    assert sub.current_period_end == datetime(2026, 2, 28, 20, 0, tzinfo=BOGOTA)
    assert sub.current_period_end.utcoffset() == timedelta(0)  # stored and read as UTC
    with time_machine.travel(sub.current_period_end, tick=False):
        _run(django_capture_on_commit_callbacks, vip.run_renewals)
    sub.refresh_from_db()
    assert sub.current_period_end == datetime(2026, 3, 30, 20, 0, tzinfo=BOGOTA)


def test_month_end_sign_up_keeps_its_day_across_renewals(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(START, tick=False):  # 31 Jan 10:00 Bogotá
        sub = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
    ends = []
    for _ in range(3):
        sub.refresh_from_db()
        with time_machine.travel(sub.current_period_end, tick=False):
            _run(django_capture_on_commit_callbacks, vip.run_renewals)
        sub.refresh_from_db()
        ends.append(sub.current_period_end)
    assert ends == [
        datetime(2026, 3, 31, 10, 0, tzinfo=BOGOTA),
        datetime(2026, 4, 30, 10, 0, tzinfo=BOGOTA),
        datetime(2026, 5, 31, 10, 0, tzinfo=BOGOTA),
    ]
    user.refresh_from_db()
    assert user.vip_until == ends[-1]


def _timeout_before_wompi(monkeypatch: Any) -> list[str]:
    """create_source_transaction times out and Wompi never got the request."""
    from modules.payments.wompi import gateway as gw

    sent: list[str] = []

    def timeout(self: Any, **kwargs: Any) -> Any:
        sent.append(kwargs["reference"])
        raise gw.WompiUnavailable("POST /transactions: timed out")

    monkeypatch.setattr(gw.WompiGateway, "create_source_transaction", timeout)
    return sent


def _source_charges() -> list[dict[str, Any]]:
    return [t for t in get_sandbox().state.transactions.values() if t["payment_source_id"]]


def test_renewal_that_never_reached_wompi_expires_and_goes_through_dunning(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    from modules.payments.reconciliation import reconcile_pending

    with time_machine.travel(START, tick=False):
        sub = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
    sub.refresh_from_db()
    due = sub.current_period_end
    attempts = _timeout_before_wompi(monkeypatch)

    def at(when: datetime, fn: Any) -> Any:
        with time_machine.travel(when, tick=False):
            return _run(django_capture_on_commit_callbacks, fn)

    def attempt_and_expire(when: datetime) -> Payment:
        assert at(when, vip.run_renewals)["charged"] == 1
        payment = Payment.objects.get(reference=attempts[-1])
        assert payment.status == "PENDING" and payment.expires_at is not None
        # Too early: Wompi is not asked yet and nothing expires.
        assert at(when + timedelta(minutes=5), reconcile_pending)["expired"] == 0
        assert at(when + timedelta(minutes=6), vip.run_renewals)["charged"] == 0  # in flight
        counts = at(when + timedelta(minutes=15), reconcile_pending)
        assert counts == {"polled": 1, "applied": 0, "expired": 1, "errors": 0}
        payment.refresh_from_db()
        assert payment.status == "EXPIRED"
        sub.refresh_from_db()
        return payment

    attempt_and_expire(due)
    assert sub.status == "past_due" and sub.failed_attempts == 1
    assert sub.next_retry_at == due + timedelta(days=1)
    assert at(due + timedelta(hours=12), vip.run_renewals)["charged"] == 0  # not yet
    attempt_and_expire(due + timedelta(days=1))
    assert sub.status == "past_due" and sub.next_retry_at == due + timedelta(days=3)
    attempt_and_expire(due + timedelta(days=3))
    assert sub.status == "past_due" and sub.next_retry_at == due + timedelta(days=5)
    attempt_and_expire(due + timedelta(days=5))
    assert sub.status == "lapsed" and sub.next_retry_at is None
    assert len(attempts) == 4 and len(_source_charges()) == 1  # only the first month
    templates = [m["template"] for m in sent_messages()]
    assert templates.count("membership/vip_payment_failed") == 3
    assert templates.count("membership/vip_lapsed") == 1
    assert at(due + timedelta(days=40), vip.run_renewals)["charged"] == 0
    user.refresh_from_db()
    assert user.vip_until == due


def test_renewal_timeout_after_wompi_created_it_is_found_by_reference_not_charged_again(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    from modules.payments.reconciliation import reconcile_pending
    from modules.payments.wompi import gateway as gw

    with time_machine.travel(START, tick=False):
        sub = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
    sub.refresh_from_db()
    due = sub.current_period_end
    real = gw.WompiGateway.create_source_transaction

    def created_then_timeout(self: Any, **kwargs: Any) -> Any:
        real(self, **kwargs)  # Wompi stores and approves it...
        raise gw.WompiUnavailable("POST /transactions: read timed out")  # ...we never hear

    monkeypatch.setattr(gw.WompiGateway, "create_source_transaction", created_then_timeout)
    get_sandbox().on_event = None  # and the webhook is lost too
    with time_machine.travel(due, tick=False):
        assert vip.run_renewals()["charged"] == 1
    payment = attempt_of(due)
    assert payment.status == "PENDING" and not payment.wompi_transaction_id
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        counts = _run(django_capture_on_commit_callbacks, reconcile_pending)
        assert counts == {"polled": 1, "applied": 1, "expired": 0, "errors": 0}
        assert _run(django_capture_on_commit_callbacks, vip.run_renewals)["charged"] == 0
    payment.refresh_from_db()
    sub.refresh_from_db()
    assert payment.status == "APPROVED" and payment.wompi_transaction_id
    assert sub.status == "active" and sub.current_period_start == due
    assert len(_source_charges()) == 2  # first month + this renewal, never a third


def test_renewal_with_wompi_unreachable_is_not_expired_blindly(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    from modules.payments.reconciliation import reconcile_pending
    from modules.payments.wompi import gateway as gw

    with time_machine.travel(START, tick=False):
        sub = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
    sub.refresh_from_db()
    _timeout_before_wompi(monkeypatch)
    with time_machine.travel(sub.current_period_end, tick=False):
        vip.run_renewals()

    def unreachable(self: Any, reference: str) -> Any:
        raise gw.WompiUnavailable("GET /transactions: timed out")

    monkeypatch.setattr(gw.WompiGateway, "find_transactions", unreachable)
    with time_machine.travel(sub.current_period_end + timedelta(hours=2), tick=False):
        assert reconcile_pending()["errors"] == 1
    pending = Payment.objects.get(status="PENDING")  # still asked about later
    assert VipChargeAttempt.objects.filter(payment_reference=pending.reference).exists()


def test_renewal_that_never_left_is_retried_next_run_without_dunning(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    """Wompi's circuit open (our side): not the member's failure, no "payment failed"
    message; the next hourly run charges the same period once Wompi is back."""
    with time_machine.travel(START, tick=False):
        sub = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
    sub.refresh_from_db()
    due = sub.current_period_end
    breaker = get_gateway().breaker
    monkeypatch.setattr(breaker, "allow", lambda: False)  # circuit open
    sent_before = len(sent_messages())
    with time_machine.travel(due, tick=False):
        assert _run(django_capture_on_commit_callbacks, vip.run_renewals)["charged"] == 1
    payment = attempt_of(due)
    assert payment.status == "ERROR" and "circuit" in payment.status_message
    sub.refresh_from_db()
    assert sub.status == "active" and sub.failed_attempts == 0
    assert len(sent_messages()) == sent_before
    assert len(_source_charges()) == 1
    monkeypatch.undo()  # Wompi reachable again
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        assert _run(django_capture_on_commit_callbacks, vip.run_renewals)["charged"] == 1
    assert len(_source_charges()) == 2
    charge = VipCharge.objects.get(subscription=sub, period_start=due)
    assert charge.attempts == 1


def test_gateway_tells_unsent_requests_from_unknown_outcomes() -> None:
    import httpx

    from modules.payments.wompi.gateway import WompiError, WompiGateway

    def gateway(exc: Exception) -> WompiGateway:
        def handler(request: httpx.Request) -> httpx.Response:
            raise exc

        gw = WompiGateway(
            base_url="https://sandbox.wompi.co/v1",
            public_key="pub",
            private_key="prv",
            transport=httpx.MockTransport(handler),
            sleep=lambda s: None,
        )
        gw.breaker = None
        return gw

    def outcome(exc: Exception) -> bool:
        with pytest.raises(WompiError) as err:
            gateway(exc).void_transaction("1")
        assert err.value.retryable
        return err.value.maybe_sent

    assert outcome(httpx.ConnectError("refused")) is False
    assert outcome(httpx.ConnectTimeout("connect")) is False
    assert outcome(httpx.ReadTimeout("read")) is True
    assert outcome(httpx.RemoteProtocolError("dropped")) is True


def test_first_charge_that_never_reached_wompi_fails_the_subscription(
    user: Any, plan: VipPlan, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    from modules.payments.reconciliation import reconcile_pending

    _timeout_before_wompi(monkeypatch)
    with time_machine.travel(START, tick=False):
        sub = _run(django_capture_on_commit_callbacks, lambda: _subscribe(user))
    assert sub.status == "pending"
    with time_machine.travel(START + timedelta(minutes=15), tick=False):
        assert _run(django_capture_on_commit_callbacks, reconcile_pending)["expired"] == 1
    sub.refresh_from_db()
    assert sub.status == "failed"
    assert any(m["template"] == "membership/vip_first_payment_failed" for m in sent_messages())
