from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import httpx
import pytest
import time_machine
from django.utils import timezone

from modules.payments import ledger, refunds, settlement, webhooks
from modules.payments.models import LedgerEntry, Payment, Refund
from modules.payments.sandbox.core import SandboxConfig
from modules.payments.sandbox.inprocess import get_sandbox
from modules.payments.sandbox.server import build_server
from modules.payments.wompi.gateway import WompiError, WompiGateway, get_gateway
from platform_core.errors import NotFound
from platform_core.models import AuditEvent
from tests.factories import UserFactory
from tests.modules.payments.conftest import tx_event

pytestmark = pytest.mark.django_db


def test_owner_reads_payment_other_client_gets_404(
    api_as: Any, checkout: Payment, user: Any, other_user: Any
) -> None:
    own = api_as(user).get(f"/api/finances/payments/{checkout.reference}")
    assert own.status_code == 200 and own.json()["status"] == "PENDING"
    assert api_as(other_user).get(f"/api/finances/payments/{checkout.reference}").status_code == 404
    listing = api_as(user).get("/api/finances/payments/")
    assert listing.json()["count"] == 1
    assert api_as(other_user).get("/api/finances/payments/").json()["count"] == 0


def test_payment_endpoint_requires_auth(api: Any, checkout: Payment) -> None:
    assert api.get(f"/api/finances/payments/{checkout.reference}").status_code == 401


def _pay_in_sandbox(checkout_url: str, number: str) -> str:
    from urllib.parse import parse_qsl, urlsplit

    params = dict(parse_qsl(urlsplit(checkout_url).query))
    status, payload = get_sandbox().pay_checkout(params, {"type": "CARD", "number": number})
    assert status == 201, payload
    return payload["data"]["id"]


def test_sandbox_web_checkout_pays_through_signed_event(
    user: Any, settled_spy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from modules.payments.public import create_checkout, payment_status

    dto = create_checkout(purpose="demo.order", ref="o-1", amount_cents=50_000, customer=user)
    with django_capture_on_commit_callbacks(execute=True):
        _pay_in_sandbox(dto.checkout_url, "4242 4242 4242 4242")
    assert payment_status(purpose="demo.order", ref="o-1") == "APPROVED"
    assert settled_spy.calls[0]["ref"] == "o-1"


def test_sandbox_checkout_page_in_django(
    api: Any, user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from urllib.parse import parse_qsl, urlsplit

    from modules.payments.public import create_checkout

    dto = create_checkout(purpose="demo.order", ref="o-2", amount_cents=70_000, customer=user)
    page = api.client.get(dto.checkout_url.replace("http://127.0.0.1:8000", ""))
    assert page.status_code == 200 and dto.reference in page.content.decode()
    form = dict(parse_qsl(urlsplit(dto.checkout_url).query))
    form.update({"type": "NEQUI", "phone_number": "3992222222"})
    with django_capture_on_commit_callbacks(execute=True):
        response = api.client.post("/api/finances/sandbox/p/", form)
    assert response.status_code == 302 and "?id=" in response["Location"]
    assert Payment.objects.get(reference=dto.reference).status == "DECLINED"
    form["signature:integrity"] = "0" * 64
    assert api.client.post("/api/finances/sandbox/p/", form).status_code == 422


def test_sandbox_page_is_off_with_the_real_adapter(api: Any, settings: Any) -> None:
    settings.WOMPI_ADAPTER = "wompi"
    assert api.client.get("/api/finances/sandbox/p/").status_code == 404


def test_reconcile_polls_stale_pendings_and_expires_checkouts(
    user: Any, settings: Any, django_capture_on_commit_callbacks: Any, failed_spy: Any
) -> None:
    from modules.payments.public import create_checkout

    paid = create_checkout(purpose="demo.order", ref="p", amount_cents=10_000, customer=user)
    stale = create_checkout(purpose="demo.order", ref="s", amount_cents=10_000, customer=user)
    _pay_in_sandbox(paid.checkout_url, "4242424242424242")  # event lost (never committed)
    assert Payment.objects.get(reference=paid.reference).status == "PENDING"
    from modules.payments.tasks import reconcile

    with (
        time_machine.travel(timezone.now() + timedelta(hours=2)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        counts = reconcile.delay().get()
    assert counts["applied"] == 1 and counts["expired"] == 1
    assert Payment.objects.get(reference=paid.reference).status == "APPROVED"
    assert Payment.objects.get(reference=stale.reference).status == "EXPIRED"
    assert failed_spy.calls[-1]["status"] == "EXPIRED"


def _approved(user: Any, capture: Any, number: str = "4242424242424242") -> Payment:
    from modules.payments.public import create_checkout

    dto = create_checkout(purpose="demo.order", ref=number[-4:], amount_cents=80_000, customer=user)
    with capture(execute=True):
        _pay_in_sandbox(dto.checkout_url, number)
    return Payment.objects.get(reference=dto.reference)


def test_refund_voids_card_payments(
    user: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from modules.payments.public import request_refund

    settings.DEVELOPER_COMMISSION_PERCENT = 10
    payment = _approved(user, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        request_refund(purpose="demo.order", ref="4242", reason="Sin stock")
        request_refund(purpose="demo.order", ref="4242", reason="Sin stock")  # idempotent
    payment.refresh_from_db()
    assert payment.status == "VOIDED"
    assert Refund.objects.get().status == "voided"
    assert ledger.balance("merchant") == 0 and ledger.balance("developer") == 0
    assert AuditEvent.objects.filter(action="payments.refund_requested").count() == 1


def test_partial_refund_is_manual_for_staff(
    user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from modules.payments.public import request_refund

    payment = _approved(user, django_capture_on_commit_callbacks)
    request_refund(purpose="demo.order", ref="4242", reason="Parcial", amount_cents=30_000)
    refund = Refund.objects.get()
    assert refund.status == "pending_manual"
    assert ledger.balance("merchant") == payment.amount_cents
    staff = UserFactory(is_staff=True)
    refunds.complete_manual_refund(refund.pk, staff=staff)
    assert ledger.balance("merchant") == payment.amount_cents - 30_000
    assert AuditEvent.objects.filter(action="payments.refund_completed").exists()
    from modules.payments.errors import RefundNotAllowed

    with pytest.raises(RefundNotAllowed):
        refunds.complete_manual_refund(refund.pk, staff=staff)
    with pytest.raises(NotFound):
        request_refund(purpose="demo.order", ref="none", reason="x")


def test_ledger_is_append_only(db: Any) -> None:
    entry = LedgerEntry.objects.create(kind="fee", account="merchant", amount_cents=-10)
    entry.memo = "changed"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_personal_data_export_and_erase(user: Any, checkout: Payment) -> None:
    from modules.payments.personal_data import erase_user, export_user

    exported = export_user(user)
    assert exported["payments"][0]["reference"] == checkout.reference
    erase_user(user)
    checkout.refresh_from_db()
    assert checkout.customer_email == "" and checkout.amount_cents == 4_490_000


def test_admin_pages_and_exports(
    client: Any, checkout: Payment, django_capture_on_commit_callbacks: Any
) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.process_wompi_event(__import__("json").dumps(tx_event(checkout)).encode())
    for url in (
        "/admin/payments/payment/",
        "/admin/payments/ledgerentry/",
        "/admin/payments/webhookevent/",
        "/admin/payments/payout/",
        "/admin/payments/refund/",
        "/admin/payments/payment/revenue/",
    ):
        assert client.get(url).status_code == 200, url
    csv = client.get("/admin/payments/payment/revenue/?format=csv")
    assert b"demo.deposit" in csv.content
    export = client.post(
        "/admin/payments/payment/",
        {"action": "export_csv", "_selected_action": [checkout.pk]},
    )
    assert checkout.reference.encode() in export.content
    ledger = client.post(
        "/admin/payments/ledgerentry/",
        {
            "action": "export_csv",
            "_selected_action": list(LedgerEntry.objects.values_list("pk", flat=True)),
        },
    )
    assert b"charge" in ledger.content
    assert AuditEvent.objects.filter(action="payments.payments_exported").exists()


def test_real_adapter_against_the_http_sandbox_on_loopback(
    live_server: Any, settings: Any, transactional_db: Any, user: Any
) -> None:
    """The real HTTP adapter against the sandbox server in a thread on port 0, which
    posts signed events to our webhook served by live_server."""
    webhook = f"{live_server.url}/api/finances/webhooks/wompi/"
    config = SandboxConfig(
        public_key=settings.WOMPI_PUBLIC_KEY,
        private_key=settings.WOMPI_PRIVATE_KEY,
        integrity_secret=settings.WOMPI_INTEGRITY_SECRET,
        events_secret=settings.WOMPI_EVENT_SECRET,
        payout_api_key="payout_key",
    )
    server, sandbox, poster = build_server(config, port=0, webhook_url=webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    base = f"http://{host}:{port}"
    try:
        settings.WOMPI_ADAPTER = "wompi"
        settings.WOMPI_BASE_URL = f"{base}/v1"
        settings.WOMPI_PAYOUT_BASE_URL = f"{base}/payouts/v1"
        settings.WOMPI_CHECKOUT_URL = f"{base}/p/"
        settings.WOMPI_PAYOUT_PRIVATE_KEY = "payout_key"
        settings.WOMPI_PAYOUT_USER_PRINCIPAL_ID = "principal"
        gateway = get_gateway()
        assert isinstance(gateway, WompiGateway)
        acceptance = gateway.get_acceptance()
        assert acceptance.acceptance_token and acceptance.personal_data_token
        from modules.payments.public import create_checkout

        dto = create_checkout(purpose="demo.order", ref="e2e", amount_cents=120_000, customer=user)
        assert dto.checkout_url.startswith(f"{base}/p/?")
        page = httpx.get(dto.checkout_url)
        assert page.status_code == 200 and dto.reference in page.text
        from urllib.parse import parse_qsl, urlsplit

        form = dict(parse_qsl(urlsplit(dto.checkout_url).query))
        form.update({"type": "CARD", "number": "4242424242424242"})
        paid = httpx.post(f"{base}/p/", data=form)
        assert paid.status_code == 303 and "id=" in paid.headers["location"]
        poster.join()
        assert poster.delivered and poster.delivered[0][0] == 200
        payment = Payment.objects.get(reference=dto.reference)
        assert payment.status == "APPROVED"
        tx = gateway.get_transaction(payment.wompi_transaction_id)
        assert tx["status"] == "APPROVED" and tx["reference"] == dto.reference
        assert gateway.find_transactions(dto.reference)[0]["id"] == tx["id"]
        assert gateway.void_transaction(tx["id"])["transaction"]["status"] == "VOIDED"
        with pytest.raises(WompiError) as err:
            gateway.get_transaction("missing")
        assert err.value.status == 404
        payout = gateway.create_payout(
            {
                "reference": "P1",
                "accountId": sandbox.account_id,
                "paymentType": "OTHER",
                "transactions": [
                    {
                        "legalIdType": "CC",
                        "legalId": "1",
                        "bankId": "b",
                        "accountType": "AHORROS",
                        "accountNumber": "1",
                        "amount": 500,
                        "transactionStatus": "FAILED",
                    }
                ],
            },
            idempotency_key="key-1",
        )
        assert payout["status"] == "REJECTED"
        assert gateway.get_payout(payout["id"])["id"] == payout["id"]
        assert [p["id"] for p in gateway.find_payouts("P1")] == [payout["id"]]
        assert gateway.find_payouts("P2") == []
        assert httpx.get(f"{base}/payouts/v1/accounts").status_code == 401
    finally:
        server.shutdown()
        server.server_close()


def test_real_adapter_recorded_payloads_and_retries(settings: Any) -> None:
    """Recorded response shapes from Wompi's docs through httpx.MockTransport."""
    calls: list[httpx.Request] = []
    flaky = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.url.path.endswith("/transactions/1234-1610641025-49201"):
            flaky["n"] += 1
            if flaky["n"] == 1:
                return httpx.Response(503, json={"error": {"type": "UNAVAILABLE"}})
            return httpx.Response(
                200,
                json={
                    "data": {
                        "id": "1234-1610641025-49201",
                        "created_at": "2018-07-20T16:45:05.000Z",
                        "finalized_at": "2018-07-20T16:45:07.000Z",
                        "amount_in_cents": 4490000,
                        "reference": "MZQ3X2DE2SMX",
                        "currency": "COP",
                        "payment_method_type": "CARD",
                        "payment_method": {
                            "type": "CARD",
                            "extra": {"processor_response_code": "51"},
                        },
                        "status": "DECLINED",
                        "status_message": "Fondos insuficientes",
                    }
                },
            )
        if request.url.path.endswith("/payment_sources"):
            assert request.headers["authorization"] == "Bearer prv_test_x"
            return httpx.Response(
                201,
                json={
                    "data": {
                        "id": 3891,
                        "status": "AVAILABLE",
                        "type": "CARD",
                        "public_data": {"type": "CARD"},
                    }
                },
            )
        if request.url.path.endswith("/payouts") and request.method == "GET":
            assert request.url.params["reference"] in ("SZP-1", "SZP-2")
            assert "idempotency-key" not in request.headers
            assert (
                request.headers["x-api-key"] == "k" and request.headers["user-principal-id"] == "u"
            )
            found = [
                {"id": "po-1", "reference": "SZP-1", "status": "PENDING"},
                {"id": "po-0", "reference": "OTHER", "status": "TOTAL_PAYMENT"},
            ]
            if request.url.params["reference"] == "SZP-2":  # a paginated envelope
                found.append({"id": "po-2", "reference": "SZP-2", "status": "PENDING"})
                return httpx.Response(200, json={"data": {"items": found, "page": 1}})
            return httpx.Response(200, json={"data": found})
        if request.url.path.endswith("/payouts"):
            assert request.headers["idempotency-key"] == "batch-1"
            assert (
                request.headers["x-api-key"] == "k" and request.headers["user-principal-id"] == "u"
            )
            return httpx.Response(201, json={"data": {"id": "po-1", "status": "PENDING_APPROVAL"}})
        return httpx.Response(422, json={"error": {"type": "INPUT_VALIDATION_ERROR"}})

    gateway = WompiGateway(
        base_url="https://sandbox.wompi.co/v1",
        public_key="pub_test_x",
        private_key="prv_test_x",
        payout_base_url="https://api.sandbox.payouts.wompi.co/v1",
        payout_api_key="k",
        payout_principal_id="u",
        transport=httpx.MockTransport(handler),
        sleep=lambda s: None,
    )
    tx = gateway.get_transaction("1234-1610641025-49201")
    assert tx["status"] == "DECLINED" and flaky["n"] == 2  # retried the idempotent GET
    assert settlement.redact_transaction(tx)["payment_method"]["extra"] == {
        "processor_response_code": "51"
    }
    assert (
        gateway.create_payment_source(
            token="tok_test_1",
            customer_email="a@b.co",
            acceptance_token="a",
            personal_auth_token="p",
        )["id"]
        == 3891
    )
    assert gateway.create_payout({"reference": "x"}, idempotency_key="batch-1")["id"] == "po-1"
    assert [p["id"] for p in gateway.find_payouts("SZP-1")] == ["po-1"]  # exact reference only
    assert [p["id"] for p in gateway.find_payouts("SZP-2")] == ["po-2"]
    with pytest.raises(WompiError) as err:
        gateway.void_transaction("nope")
    assert err.value.status == 422 and not err.value.retryable


def test_staff_record_wompi_fees_in_the_ledger(checkout: Payment) -> None:
    """Wompi's transaction API reports no fee: staff enter it, audited, as a merchant debit."""
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    staff = UserFactory(is_staff=True)
    out = StringIO()
    call_command(
        "record_wompi_fee",
        "119000",
        "--memo",
        "Factura Wompi enero 2026",
        "--staff",
        staff.phone_number,
        stdout=out,
    )
    call_command("record_wompi_fee", "2380", "--memo", "Tarifa", "--payment", checkout.reference)
    fees = LedgerEntry.objects.filter(kind="fee").order_by("id")
    assert [(f.account, f.amount_cents, f.payment_id) for f in fees] == [
        ("merchant", -119_000, None),
        ("merchant", -2_380, checkout.pk),
    ]
    assert fees[1].purpose == checkout.purpose
    assert ledger.balance("merchant") == -121_380
    audits = AuditEvent.objects.filter(action="payments.fee_recorded").order_by("id")
    assert audits[0].actor_id == staff.pk and audits[0].details["amount_cents"] == 119_000
    assert audits[1].target == f"payment:{checkout.reference}"
    for bad in (
        ["0", "--memo", "x"],
        ["5", "--memo", " "],
        ["5", "--memo", "x", "--payment", "SZ-NO"],
    ):
        with pytest.raises(CommandError):
            call_command("record_wompi_fee", *bad)
    with pytest.raises(CommandError):
        call_command("record_wompi_fee", "5", "--memo", "x", "--staff", "+573009999999")
    assert LedgerEntry.objects.filter(kind="fee").count() == 2
