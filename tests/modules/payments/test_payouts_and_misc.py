from __future__ import annotations

from io import StringIO
from typing import Any

import pytest

from modules.payments import payouts
from modules.payments.models import LedgerEntry, Payout
from modules.payments.sandbox.inprocess import get_sandbox
from modules.payments.wompi.gateway import WompiError

pytestmark = pytest.mark.django_db


@pytest.fixture
def payout_settings(settings: Any) -> Any:
    settings.WOMPI_DEVELOPER_DESTINATION = (
        '{"legalIdType": "CC", "legalId": "1020304050", "bankId": "bank-1", '
        '"accountType": "AHORROS", "accountNumber": "123", "name": "Dev", "email": "d@x.co"}'
    )
    settings.WOMPI_PAYOUT_ACCOUNT_ID = "acc-1"
    settings.WOMPI_PAYOUT_PRIVATE_KEY = "payout_key"
    settings.WOMPI_PAYOUT_USER_PRINCIPAL_ID = "principal"
    settings.DEVELOPER_PAYOUT_THRESHOLD_CENTS = 1000
    return settings


def _commission(amount: int) -> None:
    LedgerEntry.objects.create(kind="commission", account="developer", amount_cents=amount)


def test_payout_below_threshold_waits(payout_settings: Any) -> None:
    _commission(999)
    from modules.payments.tasks import disperse_payouts

    assert disperse_payouts.delay().get() == {"sent": 0, "refreshed": 0}
    assert not Payout.objects.exists() and payouts.developer_balance() == 999


def test_payout_not_configured_is_skipped(settings: Any) -> None:
    settings.WOMPI_DEVELOPER_DESTINATION = ""
    _commission(5000)
    assert payouts.disperse() == {"sent": 0, "refreshed": 0}


def test_rejected_payout_returns_the_balance(payout_settings: Any, monkeypatch: Any) -> None:
    _commission(4000)
    original = get_sandbox().create_payout

    def failing(headers: Any, body: Any) -> Any:
        body["transactions"][0]["transactionStatus"] = "FAILED"
        return original(headers, body)

    monkeypatch.setattr(get_sandbox(), "create_payout", failing)
    payouts.disperse()
    payout = Payout.objects.get()
    assert payout.status == "REJECTED"
    assert payouts.developer_balance() == 4000
    assert not payout.allocations.exists()
    monkeypatch.undo()
    payouts.disperse()  # the entries are eligible again
    assert Payout.objects.filter(status="TOTAL_PAYMENT").count() == 1
    assert payouts.developer_balance() == 0


def test_payout_network_error_keeps_it_for_retry_with_same_key(
    payout_settings: Any, monkeypatch: Any
) -> None:
    from modules.payments.wompi import gateway as gw

    _commission(2000)
    real = gw.WompiGateway.create_payout
    keys: list[str] = []

    def boom(self: Any, body: Any, *, idempotency_key: str) -> Any:
        keys.append(idempotency_key)
        raise WompiError("timeout")

    monkeypatch.setattr(gw.WompiGateway, "create_payout", boom)
    payouts.disperse()
    payout = Payout.objects.get()
    assert payout.status == "CREATED" and payout.last_error
    monkeypatch.setattr(gw.WompiGateway, "create_payout", real)
    payouts.disperse()
    payout.refresh_from_db()
    assert payout.status == "TOTAL_PAYMENT" and payout.attempts == 2
    assert len(get_sandbox().state.payouts) == 1


def test_payout_stored_by_wompi_before_a_timeout_is_found_not_sent_twice(
    payout_settings: Any, monkeypatch: Any
) -> None:
    from modules.payments.tasks import retry_payouts
    from modules.payments.wompi import gateway as gw
    from platform_core.models import AuditEvent

    _commission(2500)
    real = gw.WompiGateway.create_payout

    def stored_then_timeout(self: Any, body: Any, *, idempotency_key: str) -> Any:
        real(self, body, idempotency_key=idempotency_key)  # Wompi stores the batch...
        raise gw.WompiUnavailable("POST /payouts: read timed out")  # ...the answer is lost

    monkeypatch.setattr(gw.WompiGateway, "create_payout", stored_then_timeout)
    payouts.disperse()
    payout = Payout.objects.get()
    assert payout.status == "CREATED" and payout.attempts == 1
    monkeypatch.setattr(gw.WompiGateway, "create_payout", real)
    sandbox = get_sandbox()
    sandbox.state.payout_keys.clear()  # Wompi's idempotency key has expired (24 h)
    assert retry_payouts.delay().get()["sent"] == 1  # the 10-minute retry, not the daily run
    payout.refresh_from_db()
    assert len(sandbox.state.payouts) == 1  # found by reference, never created again
    assert payout.status == "TOTAL_PAYMENT" and payout.attempts == 1
    assert payout.provider_id == next(iter(sandbox.state.payouts))
    assert AuditEvent.objects.filter(action="payments.payout_found_at_wompi").count() == 1
    assert payouts.developer_balance() == 0


def test_payout_is_not_sent_while_the_look_up_fails(payout_settings: Any, monkeypatch: Any) -> None:
    from modules.payments.wompi import gateway as gw

    _commission(2500)

    def down(self: Any, reference: str) -> Any:
        raise gw.WompiUnavailable("GET /payouts: timed out")

    monkeypatch.setattr(gw.WompiGateway, "find_payouts", down)
    payouts.disperse()
    payout = Payout.objects.get()
    assert payout.status == "CREATED" and payout.attempts == 0
    assert "consulta" in payout.last_error and not get_sandbox().state.payouts
    monkeypatch.undo()
    payouts.retry_unsent()
    payout.refresh_from_db()
    assert payout.status == "TOTAL_PAYMENT" and len(get_sandbox().state.payouts) == 1


def test_unsent_payouts_are_retried_by_a_frequent_beat_entry(settings: Any) -> None:
    from modules.payments.plugin import plugin
    from modules.payments.tasks import retry_payouts

    entry = next(t for t in plugin.periodic_tasks if t.task == "payments.retry_payouts")
    assert entry.every_seconds and entry.every_seconds <= 3600 and entry.queue == "payments"
    settings.WOMPI_DEVELOPER_DESTINATION = ""
    assert retry_payouts.delay().get() == {"sent": 0, "refreshed": 0}


def test_payout_4xx_fails_and_pending_payouts_are_polled(
    payout_settings: Any, monkeypatch: Any
) -> None:
    from modules.payments.wompi import gateway as gw

    _commission(3000)

    def bad(self: Any, body: Any, *, idempotency_key: str) -> Any:
        raise WompiError("bad", status=400)

    monkeypatch.setattr(gw.WompiGateway, "create_payout", bad)
    payouts.disperse()
    assert Payout.objects.get().status == "FAILED"
    assert payouts.developer_balance() == 3000
    monkeypatch.setattr(
        gw.WompiGateway,
        "create_payout",
        lambda self, body, idempotency_key: {"id": "po-9", "status": "PENDING_APPROVAL"},
    )
    payouts.disperse()
    pending = Payout.objects.get(status="PENDING_APPROVAL")
    monkeypatch.setattr(
        gw.WompiGateway, "get_payout", lambda self, pid: {"id": pid, "status": "TOTAL_PAYMENT"}
    )
    assert payouts.refresh_payouts() == 1
    pending.refresh_from_db()
    assert pending.status == "TOTAL_PAYMENT"


def test_health_and_sandbox_command(monkeypatch: Any) -> None:
    from django.core.management import call_command

    from modules.payments.health import wompi_circuit
    from modules.payments.sandbox import server as server_mod

    assert wompi_circuit() == "ok"
    monkeypatch.setattr(server_mod.WSGIServer, "serve_forever", lambda self: None)
    out = StringIO()
    call_command("wompi_sandbox", "--port", "0", stdout=out)
    assert "Wompi sandbox on http://127.0.0.1:" in out.getvalue()


def test_the_sandbox_checkout_page_shows_pesos_as_people_read_them() -> None:
    from modules.payments.sandbox.server import render_form

    page = render_form({"reference": "SZ-1", "amount-in-cents": "7800000"}, "/pay")
    assert "$ 78.000 COP" in page and "7800000 COP" not in page
