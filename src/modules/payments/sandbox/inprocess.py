"""The in-process adapter: Wompi's HTTP API answered by the sandbox core, no network.

Events the sandbox emits are delivered to our own webhook service after the current
database transaction commits (as Wompi would call us once our request is done), with
the same signed body Wompi sends, so they go through checksum verification too.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction

from modules.payments.sandbox.core import SandboxConfig, SandboxWompi
from platform_core import provider_guard

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_sandbox: SandboxWompi | None = None


def _deliver(event: dict[str, Any]) -> None:
    from modules.payments.webhooks import process_wompi_event

    raw = json.dumps(event).encode()

    def run() -> None:
        result = process_wompi_event(raw, header_checksum=event["signature"]["checksum"])
        logger.info("sandbox event %s -> %s", event["data"]["transaction"]["id"], result.outcome)

    transaction.on_commit(run)


def config_from_settings() -> SandboxConfig:
    return SandboxConfig(
        public_key=settings.WOMPI_PUBLIC_KEY,
        private_key=settings.WOMPI_PRIVATE_KEY,
        integrity_secret=settings.WOMPI_INTEGRITY_SECRET,
        events_secret=settings.WOMPI_EVENT_SECRET,
        environment=settings.WOMPI_ENVIRONMENT,
        payout_api_key=settings.WOMPI_PAYOUT_PRIVATE_KEY,
    )


def get_sandbox() -> SandboxWompi:
    """The process-wide sandbox (reset with ``reset_sandbox`` in tests)."""
    global _sandbox
    with _lock:
        if _sandbox is None or _sandbox.config != config_from_settings():
            _sandbox = SandboxWompi(config_from_settings(), on_event=_deliver)
        return _sandbox


def reset_sandbox() -> None:
    global _sandbox
    with _lock:
        _sandbox = None


def _handler(request: httpx.Request) -> httpx.Response:
    # Stands in for Wompi: a call made while our transaction holds row locks fails here.
    provider_guard.check("Wompi", f"{request.method} {request.url.path}")
    body: Any = None
    if request.content:
        try:
            body = json.loads(request.content)
        except ValueError:
            return httpx.Response(400, json={"error": {"type": "INVALID_JSON"}})
    status, payload = get_sandbox().handle(
        request.method,
        request.url.path,
        dict(request.headers),
        body,
        dict(request.url.params),
    )
    return httpx.Response(status, json=payload)


def in_process_transport() -> httpx.MockTransport:
    return httpx.MockTransport(_handler)


def register() -> None:
    """Make ``WOMPI_ADAPTER="sandbox"`` reach this in-process sandbox (called by apps.ready)."""
    from modules.payments.wompi.gateway import register_adapter

    register_adapter(
        "sandbox",
        in_process_transport,
        "http://wompi-sandbox.local/v1",
        "http://wompi-sandbox.local/payouts/v1",
    )
