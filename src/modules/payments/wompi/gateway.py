"""The Wompi port: what payments needs from Wompi, over its documented HTTP API.

``WompiGateway`` speaks Wompi's wire format through an ``httpx.Client``. The adapter
is chosen by ``settings.WOMPI_ADAPTER``:

* ``"wompi"``  – real HTTP to ``WOMPI_BASE_URL`` / ``WOMPI_PAYOUT_BASE_URL`` (which may
  point at ``manage.py wompi_sandbox`` for end-to-end runs);
* ``"sandbox"`` – the same gateway over an in-process transport that calls the local
  sandbox core (``modules.payments.sandbox.core``): no accounts, no network.

Idempotent GETs are retried with backoff; every call goes through a circuit breaker
(``platform_core.http.CircuitBreaker`` when available) so an outage fails fast.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

GET_RETRIES = 2
RETRY_BACKOFF_SECONDS = 0.2


class WompiError(Exception):
    """Wompi answered with an error (4xx/5xx) or could not be reached.

    ``maybe_sent`` is False only when the request certainly never reached Wompi (open
    circuit, connection refused or not established): then nothing can have been created.
    A timeout or a 5xx after sending leaves the outcome unknown (True)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: Any = None,
        maybe_sent: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.maybe_sent = maybe_sent

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status >= 500 or self.status == 429


class WompiUnavailable(WompiError):
    """Network failure, timeout or an open circuit."""


@dataclass(frozen=True)
class Acceptance:
    acceptance_token: str
    acceptance_permalink: str
    personal_data_token: str
    personal_data_permalink: str


def _breaker(name: str) -> Any:
    try:
        from platform_core.http import CircuitBreaker
    except ImportError:  # pragma: no cover - platform_core.http not installed
        return None
    return CircuitBreaker(
        name, failures=settings.WOMPI_CB_FAILURES, reset_seconds=settings.WOMPI_CB_TIMEOUT
    )


class WompiGateway:
    def __init__(
        self,
        *,
        base_url: str,
        public_key: str,
        private_key: str,
        payout_base_url: str = "",
        payout_api_key: str = "",
        payout_principal_id: str = "",
        timeout: float = 10,
        transport: httpx.BaseTransport | None = None,
        breaker_name: str = "wompi",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.public_key = public_key
        self.private_key = private_key
        self.payout_api_key = payout_api_key
        self.payout_principal_id = payout_principal_id
        self._sleep = sleep
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport
        )
        self.payout_client = httpx.Client(
            base_url=payout_base_url.rstrip("/"), timeout=timeout, transport=transport
        )
        self.breaker = _breaker(breaker_name)

    # -- plumbing ----------------------------------------------------------------------
    def _send(self, client: httpx.Client, method: str, path: str, **kw: Any) -> Any:
        if self.breaker is not None and not self.breaker.allow():
            raise WompiUnavailable("Wompi circuit is open", maybe_sent=False)
        attempts = 1 + (GET_RETRIES if method == "GET" else 0)
        for attempt in range(attempts):
            try:
                response = client.request(method, path, **kw)
            except httpx.HTTPError as exc:
                # No connection, no request: ConnectError / ConnectTimeout. Anything
                # later (read timeout, dropped connection) may have reached Wompi.
                unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                error: WompiError = WompiUnavailable(
                    f"{method} {path}: {exc}", maybe_sent=not unsent
                )
            else:
                if response.status_code < 400:
                    self._record(True)
                    return response.json() if response.content else {}
                try:
                    body = response.json()
                except ValueError:
                    body = {"raw": response.text[:500]}
                error = WompiError(
                    f"{method} {path} -> {response.status_code}",
                    status=response.status_code,
                    body=body,
                )
                if not error.retryable:
                    self._record(True)  # the service answered; our request was wrong
                    raise error
            if attempt + 1 < attempts:
                self._sleep(RETRY_BACKOFF_SECONDS * (2**attempt))
        self._record(False)
        raise error

    def _record(self, ok: bool) -> None:
        if self.breaker is None:
            return
        if ok:
            self.breaker.record_success()
        else:
            self.breaker.record_failure()

    def _public(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.public_key}"}

    def _private(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.private_key}"}

    def _payout_headers(self, idempotency_key: str | None = None) -> dict[str, str]:
        headers = {"x-api-key": self.payout_api_key, "user-principal-id": self.payout_principal_id}
        if idempotency_key:
            headers["idempotency-key"] = idempotency_key
        return headers

    # -- payments API ------------------------------------------------------------------
    def get_acceptance(self) -> Acceptance:
        data = self._send(self.client, "GET", f"/merchants/{self.public_key}")["data"]
        terms = data["presigned_acceptance"]
        personal = data["presigned_personal_data_auth"]
        return Acceptance(
            acceptance_token=terms["acceptance_token"],
            acceptance_permalink=terms.get("permalink", ""),
            personal_data_token=personal["acceptance_token"],
            personal_data_permalink=personal.get("permalink", ""),
        )

    def tokenize_card(
        self, *, number: str, cvc: str, exp_month: str, exp_year: str, card_holder: str
    ) -> str:
        """POST /tokens/cards (public key). Browsers normally do this, never our server;
        kept for the sandbox and end-to-end tests."""
        body = {
            "number": number,
            "cvc": cvc,
            "exp_month": exp_month,
            "exp_year": exp_year,
            "card_holder": card_holder,
        }
        return self._send(self.client, "POST", "/tokens/cards", json=body, headers=self._public())[
            "data"
        ]["id"]

    def create_payment_source(
        self, *, token: str, customer_email: str, acceptance_token: str, personal_auth_token: str
    ) -> dict[str, Any]:
        body = {
            "type": "CARD",
            "token": token,
            "customer_email": customer_email,
            "acceptance_token": acceptance_token,
            "accept_personal_auth": personal_auth_token,
        }
        return self._send(
            self.client, "POST", "/payment_sources", json=body, headers=self._private()
        )["data"]

    def void_payment_source(self, payment_source_id: str) -> dict[str, Any]:
        """``PUT /payment_sources/{id}/void``: the stored card can no longer be charged."""
        return self._send(
            self.client,
            "PUT",
            f"/payment_sources/{payment_source_id}/void",
            headers=self._private(),
        )["data"]

    def create_source_transaction(
        self,
        *,
        amount_in_cents: int,
        currency: str,
        signature: str,
        customer_email: str,
        reference: str,
        payment_source_id: str,
    ) -> dict[str, Any]:
        body = {
            "amount_in_cents": amount_in_cents,
            "currency": currency,
            "signature": signature,
            "customer_email": customer_email,
            "payment_method": {"installments": 1},
            "reference": reference,
            "payment_source_id": int(payment_source_id)
            if str(payment_source_id).isdigit()
            else payment_source_id,
            "recurrent": True,
        }
        return self._send(self.client, "POST", "/transactions", json=body, headers=self._private())[
            "data"
        ]

    def get_transaction(self, transaction_id: str) -> dict[str, Any]:
        return self._send(
            self.client, "GET", f"/transactions/{transaction_id}", headers=self._public()
        )["data"]

    def find_transactions(self, reference: str) -> list[dict[str, Any]]:
        return self._send(
            self.client,
            "GET",
            "/transactions",
            params={"reference": reference},
            headers=self._private(),
        )["data"]

    def void_transaction(self, transaction_id: str) -> dict[str, Any]:
        return self._send(
            self.client, "POST", f"/transactions/{transaction_id}/void", headers=self._private()
        )["data"]

    # -- payouts API ("pagos a terceros") ----------------------------------------------------
    def create_payout(self, body: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        return self._send(
            self.payout_client,
            "POST",
            "/payouts",
            json=body,
            headers=self._payout_headers(idempotency_key),
        )["data"]

    def get_payout(self, payout_id: str) -> dict[str, Any]:
        return self._send(
            self.payout_client, "GET", f"/payouts/{payout_id}", headers=self._payout_headers()
        )["data"]

    def find_payouts(self, reference: str) -> list[dict[str, Any]]:
        """Batches with this reference (``GET /payouts?reference=``, Wompi's "consultar
        lotes"). Only exact matches are returned, whatever else the API lists."""
        data = self._send(
            self.payout_client,
            "GET",
            "/payouts",
            params={"reference": reference},
            headers=self._payout_headers(),
        ).get("data")
        if isinstance(data, dict):  # tolerate a paginated envelope around the list
            data = next(
                (v for k in ("items", "payouts", "data") if isinstance(v := data.get(k), list)),
                [],
            )
        return [
            p
            for p in (data if isinstance(data, list) else [])
            if isinstance(p, dict) and str(p.get("reference", "")) == reference
        ]


_gateway: WompiGateway | None = None
_gateway_key: tuple[Any, ...] | None = None

# Local adapters (``WOMPI_ADAPTER`` other than "wompi") register how to reach them:
# name -> (transport factory, API base URL, payouts base URL). The production gateway never
# imports a fake; the sandbox registers itself from the app's ready() (apps.py).
_adapters: dict[str, tuple[Callable[[], httpx.BaseTransport], str, str]] = {}


def register_adapter(
    name: str, transport: Callable[[], httpx.BaseTransport], base_url: str, payout_url: str
) -> None:
    _adapters[name] = (transport, base_url, payout_url)


def get_gateway() -> WompiGateway:
    """The configured gateway (cached per settings, so tests can override settings)."""
    global _gateway, _gateway_key
    key = (
        settings.WOMPI_ADAPTER,
        settings.WOMPI_BASE_URL,
        settings.WOMPI_PAYOUT_BASE_URL,
        settings.WOMPI_PUBLIC_KEY,
        settings.WOMPI_PRIVATE_KEY,
        settings.WOMPI_PAYOUT_PRIVATE_KEY,
    )
    if _gateway is None or key != _gateway_key:
        transport = None
        base_url, payout_url = settings.WOMPI_BASE_URL, settings.WOMPI_PAYOUT_BASE_URL
        if settings.WOMPI_ADAPTER in _adapters:
            factory, base_url, payout_url = _adapters[settings.WOMPI_ADAPTER]
            transport = factory()
        _gateway = WompiGateway(
            base_url=base_url,
            public_key=settings.WOMPI_PUBLIC_KEY,
            private_key=settings.WOMPI_PRIVATE_KEY,
            payout_base_url=payout_url,
            payout_api_key=settings.WOMPI_PAYOUT_PRIVATE_KEY,
            payout_principal_id=settings.WOMPI_PAYOUT_USER_PRINCIPAL_ID,
            timeout=settings.WOMPI_TIMEOUT,
            transport=transport,
        )
        _gateway_key = key
    return _gateway


def reset_gateway() -> None:
    global _gateway, _gateway_key
    _gateway, _gateway_key = None, None
