"""Payments fixtures: the in-process sandbox adapter and signed-event builders."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from modules.payments.wompi.signatures import sign_event

EVENT_SECRET = "test_events_payments_suite"


@pytest.fixture(autouse=True)
def _wompi_settings(settings: Any) -> Any:
    settings.WOMPI_ADAPTER = "sandbox"
    settings.WOMPI_ENVIRONMENT = "test"
    settings.WOMPI_EVENT_SECRET = EVENT_SECRET
    settings.WOMPI_INTEGRITY_SECRET = "test_integrity_payments_suite"
    settings.WOMPI_PUBLIC_KEY = "pub_test_payments_suite"
    settings.WOMPI_PRIVATE_KEY = "prv_test_payments_suite"
    settings.DEVELOPER_COMMISSION_PERCENT = 0.0
    from modules.payments.sandbox.inprocess import reset_sandbox
    from modules.payments.wompi.gateway import reset_gateway
    from platform_core.notifications import clear_sent_messages

    reset_sandbox()
    reset_gateway()
    clear_sent_messages()
    yield settings
    reset_sandbox()
    reset_gateway()


def tx_event(
    payment: Any,
    status: str = "APPROVED",
    *,
    amount: int | None = None,
    tx_id: str = "1234-1610641025-49201",
    environment: str = "test",
    timestamp: int = 1530291411,
    secret: str = EVENT_SECRET,
    currency: str = "COP",
) -> dict[str, Any]:
    body = {
        "event": "transaction.updated",
        "data": {
            "transaction": {
                "id": tx_id,
                "amount_in_cents": payment.amount_cents if amount is None else amount,
                "reference": payment.reference,
                "customer_email": "cliente@example.com",
                "currency": currency,
                "payment_method_type": "CARD",
                "redirect_url": "https://example.com",
                "status": status,
                "shipping_address": None,
                "payment_link_id": None,
                "payment_source_id": None,
            }
        },
        "environment": environment,
        "signature": {
            "properties": [
                "transaction.id",
                "transaction.status",
                "transaction.amount_in_cents",
            ],
            "checksum": "",
        },
        "timestamp": timestamp,
        "sent_at": "2018-07-20T16:45:05.000Z",
    }
    return sign_event(body, secret)


def post_event(api: Any, body: Any, **extra: Any) -> Any:
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return api.client.post(
        "/api/finances/webhooks/wompi/", data=raw, content_type="application/json", **extra
    )


def deliver_status(api: Any, reference: str, status: str, tx_id: str, capture: Any) -> str:
    """Wompi reports transaction ``tx_id`` of payment ``reference`` (signed webhook, on-commit
    work executed); returns the webhook's outcome."""
    from modules.payments.models import Payment

    payment = Payment.objects.get(reference=reference)
    with capture(execute=True):
        response = post_event(api, tx_event(payment, status, tx_id=tx_id))
    assert response.status_code == 200
    return response.json()["outcome"]


@pytest.fixture
def checkout(db: Any, user: Any) -> Any:
    from modules.payments.models import Payment
    from modules.payments.public import create_checkout

    dto = create_checkout(
        purpose="demo.deposit", ref="appt-1", amount_cents=4_490_000, customer=user
    )
    return Payment.objects.get(reference=dto.reference)


class OutcomeSpy:
    """Records every outcome of one type delivered (any purpose): the typed outcome in
    ``outcomes`` and its fields as a dict in ``calls``."""

    def __init__(self, kind: type) -> None:
        self.kind = kind
        self.calls: list[dict[str, Any]] = []
        self.outcomes: list[Any] = []

    def __call__(self, outcome: Any) -> None:
        if isinstance(outcome, self.kind):
            self.outcomes.append(outcome)
            self.calls.append(dataclasses.asdict(outcome))


@pytest.fixture
def outcome_listeners(monkeypatch: Any) -> list[Any]:
    """Callables that see every outcome delivered, before the purpose's own handler (like
    the old signals' extra receivers). A listener that raises fails the delivery."""
    from modules.payments import outbox

    listeners: list[Any] = []
    real = outbox.handler_for

    def handler_for(purpose: str) -> Any:
        own = real(purpose)

        def handle(outcome: Any) -> None:
            for listener in listeners:
                listener(outcome)
            if own is not None:
                own(outcome)

        handle.__qualname__ = f"listeners+{getattr(own, '__qualname__', 'none')}"
        return handle

    monkeypatch.setattr(outbox, "handler_for", handler_for)
    return listeners


@pytest.fixture
def settled_spy(outcome_listeners: list[Any]) -> Any:
    from modules.payments.public import PaymentSettled

    spy = OutcomeSpy(PaymentSettled)
    outcome_listeners.append(spy)
    return spy


@pytest.fixture
def failed_spy(outcome_listeners: list[Any]) -> Any:
    from modules.payments.public import PaymentFailed

    spy = OutcomeSpy(PaymentFailed)
    outcome_listeners.append(spy)
    return spy


@pytest.fixture
def refunded_spy(outcome_listeners: list[Any]) -> Any:
    from modules.payments.public import PaymentRefunded

    spy = OutcomeSpy(PaymentRefunded)
    outcome_listeners.append(spy)
    return spy
