"""The local Wompi sandbox: a pure-Python, thread-safe model of Wompi's API.

It answers ``handle(method, path, headers, body)`` with Wompi's response shapes and
sandbox outcomes (card 4242… APPROVED, 4111… DECLINED, other ERROR; Nequi 3991111111
APPROVED, 3992222222 DECLINED, other ERROR; PSE "1" APPROVED, "2" DECLINED). When a
transaction ends, it builds a correctly signed ``transaction.updated`` event and hands
it to ``on_event``. The in-process adapter and the HTTP server both use this core.
"""

from __future__ import annotations

import hmac
import itertools
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from modules.payments.wompi.signatures import integrity_signature, sign_event

Response = tuple[int, dict[str, Any]]
EventSink = Callable[[dict[str, Any]], None]

API_PREFIX = "/v1"
PAYOUTS_PREFIX = "/payouts/v1"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"


def card_outcome(number: str) -> str:
    digits = re.sub(r"\D", "", number or "")
    if digits == "4242424242424242":
        return "APPROVED"
    if digits == "4111111111111111":
        return "DECLINED"
    return "ERROR"


def nequi_outcome(phone: str) -> str:
    return {"3991111111": "APPROVED", "3992222222": "DECLINED"}.get(phone or "", "ERROR")


def pse_outcome(code: str) -> str:
    return {"1": "APPROVED", "2": "DECLINED"}.get(str(code or ""), "ERROR")


def _error(status: int, kind: str, messages: Any) -> Response:
    return status, {"error": {"type": kind, "messages": messages}}


@dataclass
class SandboxConfig:
    public_key: str
    private_key: str
    integrity_secret: str
    events_secret: str
    environment: str = "test"
    payout_api_key: str = ""
    payout_events_secret: str = ""


@dataclass
class SandboxState:
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[int, dict[str, Any]] = field(default_factory=dict)
    payouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    payout_keys: dict[str, str] = field(default_factory=dict)  # idempotency-key -> payout id
    events: list[dict[str, Any]] = field(default_factory=list)
    account_balance: int = 10_000_000_000


class SandboxWompi:
    def __init__(self, config: SandboxConfig, on_event: EventSink | None = None) -> None:
        self.config = config
        self.on_event = on_event
        self.state = SandboxState()
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.account_id = "b3f5e6c2-0000-4000-8000-000000000001"

    # -- helpers ---------------------------------------------------------------------------
    def _auth(self, headers: Mapping[str, str], *keys: str) -> bool:
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        token = value[7:] if value.startswith("Bearer ") else ""
        return any(token and hmac.compare_digest(token, key) for key in keys if key)

    def _tx_id(self) -> str:
        return f"{next(self._ids)}-{int(time.time())}-{secrets.randbelow(90000) + 10000}"

    def acceptance(self) -> dict[str, Any]:
        def doc(kind: str, slug: str) -> dict[str, Any]:
            return {
                "acceptance_token": f"sandbox.{kind}.{secrets.token_urlsafe(16)}",
                "permalink": f"https://wompi.com/assets/downloadble/{slug}.pdf",
                "type": kind,
            }

        return {
            "data": {
                "id": 1,
                "name": "StudioZens (sandbox)",
                "public_key": self.config.public_key,
                "accepted_currencies": ["COP"],
                "accepted_payment_methods": ["CARD", "NEQUI", "PSE"],
                "presigned_acceptance": doc("END_USER_POLICY", "reglamento-Usuarios-Colombia"),
                "presigned_personal_data_auth": doc(
                    "PERSONAL_DATA_AUTH", "autorizacion-tratamiento-datos-personales"
                ),
            }
        }

    def event_for(self, tx: dict[str, Any]) -> dict[str, Any]:
        body = {
            "event": "transaction.updated",
            "data": {"transaction": dict(tx)},
            "environment": self.config.environment,
            "signature": {
                "properties": [
                    "transaction.id",
                    "transaction.status",
                    "transaction.amount_in_cents",
                ],
                "checksum": "",
            },
            "timestamp": int(time.time()),
            "sent_at": _now(),
        }
        return sign_event(body, self.config.events_secret)

    def _finish(self, tx: dict[str, Any], status: str, on_event: EventSink | None = None) -> None:
        tx["status"] = status
        tx["finalized_at"] = _now()
        tx["status_message"] = None if status == "APPROVED" else "Transacción no aprobada"
        event = self.event_for(tx)
        self.state.events.append(event)
        sink = on_event or self.on_event
        if sink is not None:
            sink(event)

    # -- transactions ---------------------------------------------------------------------------
    def create_transaction(
        self,
        body: dict[str, Any],
        *,
        from_checkout: bool = False,
        on_event: EventSink | None = None,
    ) -> Response:
        """Create and settle a transaction; its event goes to ``on_event`` when given
        (the caller delivers it itself), otherwise to the sandbox's sink."""
        required = ("amount_in_cents", "currency", "reference", "signature")
        missing = [k for k in required if body.get(k) in (None, "")]
        if missing:
            return _error(422, "INPUT_VALIDATION_ERROR", {k: ["Requerido"] for k in missing})
        amount = body["amount_in_cents"]
        if not isinstance(amount, int) or amount <= 0 or body["currency"] != "COP":
            return _error(422, "INPUT_VALIDATION_ERROR", {"amount_in_cents": ["Inválido"]})
        expected = integrity_signature(
            body["reference"],
            amount,
            body["currency"],
            self.config.integrity_secret,
            body.get("expiration_time"),
        )
        if not hmac.compare_digest(expected, str(body["signature"]).lower()):
            return _error(422, "INPUT_VALIDATION_ERROR", {"signature": ["La firma es inválida"]})
        with self._lock:
            completed = [
                t
                for t in self.state.transactions.values()
                if t["reference"] == body["reference"] and t["status"] == "APPROVED"
            ]
            if completed:
                return _error(
                    422, "INPUT_VALIDATION_ERROR", {"reference": ["La referencia ya fue usada"]}
                )
            outcome, method_type, extra = self._outcome(body)
            if outcome is None:
                return _error(422, "INPUT_VALIDATION_ERROR", {"payment_method": [method_type]})
            tx = {
                "id": self._tx_id(),
                "created_at": _now(),
                "finalized_at": None,
                "amount_in_cents": amount,
                "reference": body["reference"],
                "customer_email": body.get("customer_email", ""),
                "currency": "COP",
                "payment_method_type": method_type,
                "payment_method": {"type": method_type, "extra": extra},
                "status": "PENDING",
                "status_message": None,
                "shipping_address": None,
                "redirect_url": body.get("redirect_url"),
                "payment_source_id": body.get("payment_source_id"),
                "payment_link_id": None,
            }
            self.state.transactions[tx["id"]] = tx
            # Wompi answers PENDING and settles asynchronously; the sandbox settles at
            # once but still reports through the event, as Wompi does.
            response = {"data": dict(tx)}
            self._finish(tx, outcome, on_event)
        return 201, response

    def _outcome(self, body: dict[str, Any]) -> tuple[str | None, str, dict[str, Any]]:
        source_id = body.get("payment_source_id")
        if source_id is not None:
            source = self.state.sources.get(int(source_id)) if str(source_id).isdigit() else None
            if source is None or source["status"] != "AVAILABLE":
                return None, "Fuente de pago inválida", {}
            return source["outcome"], "CARD", {"last_four": source["last_four"]}
        method = body.get("payment_method") or {}
        kind = method.get("type")
        if kind == "CARD":
            token = self.state.tokens.get(method.get("token", ""))
            if token is None:
                return None, "Token inválido", {}
            return token["outcome"], "CARD", {"last_four": token["last_four"]}
        if kind == "NEQUI":
            return nequi_outcome(method.get("phone_number", "")), "NEQUI", {}
        if kind == "PSE":
            return pse_outcome(method.get("financial_institution_code", "")), "PSE", {}
        return None, "Medio de pago no soportado", {}

    def get_transaction(self, tx_id: str) -> Response:
        with self._lock:
            tx = self.state.transactions.get(tx_id)
            if tx is None:
                return _error(404, "NOT_FOUND_ERROR", "La entidad solicitada no existe")
            return 200, {"data": dict(tx)}

    def find_transactions(self, reference: str) -> Response:
        with self._lock:
            found = [
                dict(t) for t in self.state.transactions.values() if t["reference"] == reference
            ]
        return 200, {"data": found}

    def void_transaction(self, tx_id: str) -> Response:
        with self._lock:
            tx = self.state.transactions.get(tx_id)
            if tx is None:
                return _error(404, "NOT_FOUND_ERROR", "La entidad solicitada no existe")
            if tx["payment_method_type"] != "CARD" or tx["status"] != "APPROVED":
                return _error(422, "INPUT_VALIDATION_ERROR", "Solo se anulan pagos con tarjeta")
            self._finish(tx, "VOIDED")
            return 200, {"data": {"status": "APPROVED", "transaction": dict(tx)}}

    # -- cards and payment sources -------------------------------------------------------------
    def tokenize_card(self, body: dict[str, Any]) -> Response:
        number = re.sub(r"\D", "", str(body.get("number", "")))
        missing = [
            k for k in ("number", "cvc", "exp_month", "exp_year", "card_holder") if not body.get(k)
        ]
        if missing or len(number) < 13:
            return _error(422, "INPUT_VALIDATION_ERROR", {k: ["Requerido"] for k in missing})
        token_id = f"tok_test_{secrets.token_hex(8)}"
        with self._lock:
            self.state.tokens[token_id] = {
                "outcome": card_outcome(number),
                "last_four": number[-4:],
                "brand": "VISA" if number.startswith("4") else "MASTERCARD",
                "uses": 0,
            }
        return 201, {
            "status": "CREATED",
            "data": {
                "id": token_id,
                "created_at": _now(),
                "brand": self.state.tokens[token_id]["brand"],
                "name": f"{self.state.tokens[token_id]['brand']} - {number[-4:]}",
                "last_four": number[-4:],
                "bin": number[:6],
                "exp_year": body["exp_year"],
                "exp_month": body["exp_month"],
                "card_holder": body["card_holder"],
                "expires_at": _now(),
            },
        }

    def create_payment_source(self, body: dict[str, Any]) -> Response:
        if body.get("type") != "CARD":
            return _error(422, "INPUT_VALIDATION_ERROR", {"type": ["Solo CARD"]})
        for key in ("acceptance_token", "accept_personal_auth", "customer_email"):
            if not body.get(key):
                return _error(422, "INPUT_VALIDATION_ERROR", {key: ["Requerido"]})
        token_id = str(body.get("token", ""))
        if token_id not in self.state.tokens and re.fullmatch(r"[\d ]{13,23}", token_id):
            # Local convenience (never Wompi's behaviour): a test card number in place of a
            # token is tokenized first, so VIP can be tried from the API docs page.
            _status, created = self.tokenize_card(
                {
                    "number": token_id,
                    "cvc": "123",
                    "exp_month": "12",
                    "exp_year": "30",
                    "card_holder": "Cliente sandbox",
                }
            )
            token_id = created["data"]["id"]
        with self._lock:
            token = self.state.tokens.get(token_id)
            if token is None or token["uses"] >= 2:
                return _error(422, "INPUT_VALIDATION_ERROR", {"token": ["Token inválido"]})
            token["uses"] += 1
            source_id = 3000 + len(self.state.sources) + 1
            self.state.sources[source_id] = {
                "outcome": token["outcome"],
                "last_four": token["last_four"],
                "status": "AVAILABLE",
            }
        return 201, {
            "data": {
                "id": source_id,
                "public_data": {
                    "type": "CARD",
                    "brand": token["brand"],
                    "last_four": token["last_four"],
                },
                "token": body["token"],
                "type": "CARD",
                "status": "AVAILABLE",
                "customer_email": body["customer_email"],
            }
        }

    def void_payment_source(self, source_id: str) -> Response:
        with self._lock:
            source = self.state.sources.get(int(source_id)) if source_id.isdigit() else None
            if source is None:
                return _error(404, "NOT_FOUND_ERROR", "La entidad solicitada no existe")
            source["status"] = "VOIDED"
        return 200, {"data": {"id": int(source_id), "type": "CARD", "status": "VOIDED"}}

    # -- payouts --------------------------------------------------------------------------------
    def _payout_auth(self, headers: Mapping[str, str]) -> bool:
        lower = {k.lower(): v for k, v in headers.items()}
        key, principal = lower.get("x-api-key", ""), lower.get("user-principal-id", "")
        if not key or not principal:
            return False
        expected = self.config.payout_api_key
        return not expected or hmac.compare_digest(key, expected)

    def create_payout(self, headers: Mapping[str, str], body: dict[str, Any]) -> Response:
        lower = {k.lower(): v for k, v in headers.items()}
        idem = lower.get("idempotency-key", "")
        if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", idem):
            return _error(400, "INPUT_VALIDATION_ERROR", {"idempotency-key": ["Inválido"]})
        lines = body.get("transactions")
        if not body.get("reference") or not body.get("accountId") or not isinstance(lines, list):
            return _error(400, "INPUT_VALIDATION_ERROR", {"body": ["Campos requeridos"]})
        needed = ("legalIdType", "legalId", "bankId", "accountType", "accountNumber", "amount")
        for line in lines:
            if any(line.get(k) in (None, "") for k in needed) or int(line["amount"]) <= 0:
                return _error(400, "INPUT_VALIDATION_ERROR", {"transactions": ["Inválidas"]})
        with self._lock:
            if idem in self.state.payout_keys:
                return 200, {"data": dict(self.state.payouts[self.state.payout_keys[idem]])}
            payout_id = f"{secrets.token_hex(4)}-0000-4000-8000-{secrets.token_hex(6)}"
            results = [
                {
                    "id": f"{payout_id}-{i}",
                    "reference": line.get("reference", ""),
                    "amount": int(line["amount"]),
                    "status": "FAILED" if line.get("transactionStatus") == "FAILED" else "APPROVED",
                }
                for i, line in enumerate(lines)
            ]
            statuses = {r["status"] for r in results}
            status = (
                "TOTAL_PAYMENT"
                if statuses == {"APPROVED"}
                else "REJECTED"
                if statuses == {"FAILED"}
                else "PARTIAL_PAYMENT"
            )
            payout = {
                "id": payout_id,
                "reference": body["reference"],
                "status": status,
                "totalAmountInCents": sum(r["amount"] for r in results),
                "transactions": results,
                "createdAt": _now(),
            }
            self.state.payouts[payout_id] = payout
            self.state.payout_keys[idem] = payout_id
            self.state.account_balance -= payout["totalAmountInCents"]
        return 201, {"data": dict(payout)}

    def list_payouts(self, query: Mapping[str, str]) -> Response:
        """GET /payouts, filtered by ``reference``, ``id`` and ``status`` (comma list)."""
        statuses = {s for s in str(query.get("status") or "").split(",") if s}
        with self._lock:
            found = [
                dict(p)
                for p in self.state.payouts.values()
                if (not query.get("reference") or p["reference"] == query["reference"])
                and (not query.get("id") or p["id"] == query["id"])
                and (not statuses or p["status"] in statuses)
            ]
        return 200, {"data": found}

    def get_payout(self, payout_id: str) -> Response:
        with self._lock:
            payout = self.state.payouts.get(payout_id)
        if payout is None:
            return _error(404, "NOT_FOUND_ERROR", "La entidad solicitada no existe")
        return 200, {"data": dict(payout)}

    # -- router ---------------------------------------------------------------------------------
    def handle(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: Any = None,
        query: Mapping[str, str] | None = None,
    ) -> Response:
        """Route one API request. ``path`` includes ``/v1`` or ``/payouts/v1``."""
        body = body if isinstance(body, dict) else {}
        query = query or {}
        if path.startswith(PAYOUTS_PREFIX + "/"):
            return self._handle_payouts(method, path[len(PAYOUTS_PREFIX) :], headers, body, query)
        if not path.startswith(API_PREFIX + "/"):
            return _error(404, "NOT_FOUND_ERROR", "Ruta desconocida")
        route = path[len(API_PREFIX) :].rstrip("/")
        public = (self.config.public_key,)
        private = (self.config.private_key,)
        parts = route.strip("/").split("/")
        if method == "GET" and len(parts) == 2 and parts[0] == "merchants":
            if parts[1] != self.config.public_key:
                return _error(404, "NOT_FOUND_ERROR", "Comercio desconocido")
            return 200, self.acceptance()
        if method == "POST" and route == "/tokens/cards":
            if not self._auth(headers, *public):
                return _error(401, "INVALID_ACCESS_TOKEN", "Llave pública inválida")
            return self.tokenize_card(body)
        if method == "POST" and route == "/payment_sources":
            if not self._auth(headers, *private):
                return _error(401, "INVALID_ACCESS_TOKEN", "Se requiere la llave privada")
            return self.create_payment_source(body)
        if len(parts) == 3 and parts[0] == "payment_sources" and parts[2] == "void":
            if method != "PUT" or not self._auth(headers, *private):
                return _error(401, "INVALID_ACCESS_TOKEN", "Se requiere la llave privada")
            return self.void_payment_source(parts[1])
        if route == "/transactions":
            if method == "POST":
                if not self._auth(headers, *public, *private):
                    return _error(401, "INVALID_ACCESS_TOKEN", "Llave inválida")
                if body.get("payment_source_id") is not None and not self._auth(headers, *private):
                    return _error(401, "INVALID_ACCESS_TOKEN", "Se requiere la llave privada")
                return self.create_transaction(body)
            if method == "GET":
                if not self._auth(headers, *private):
                    return _error(401, "INVALID_ACCESS_TOKEN", "Se requiere la llave privada")
                return self.find_transactions(query.get("reference", ""))
        if len(parts) == 2 and parts[0] == "transactions" and method == "GET":
            return self.get_transaction(parts[1])
        if len(parts) == 3 and parts[0] == "transactions" and parts[2] == "void":
            if method != "POST" or not self._auth(headers, *private):
                return _error(401, "INVALID_ACCESS_TOKEN", "Se requiere la llave privada")
            return self.void_transaction(parts[1])
        return _error(404, "NOT_FOUND_ERROR", "Ruta desconocida")

    def _handle_payouts(
        self,
        method: str,
        route: str,
        headers: Mapping[str, str],
        body: dict[str, Any],
        query: Mapping[str, str] | None = None,
    ) -> Response:
        if not self._payout_auth(headers):
            return _error(401, "UNAUTHORIZED", "x-api-key y user-principal-id requeridos")
        route = route.rstrip("/")
        parts = route.strip("/").split("/")
        if method == "POST" and route == "/payouts":
            return self.create_payout(headers, body)
        if method == "GET" and route == "/payouts":
            return self.list_payouts(query or {})
        if method == "GET" and len(parts) == 2 and parts[0] == "payouts":
            return self.get_payout(parts[1])
        if method == "GET" and route == "/accounts":
            return 200, {
                "data": [{"id": self.account_id, "balanceInCents": self.state.account_balance}]
            }
        if method == "GET" and route == "/banks":
            return 200, {
                "data": [{"id": "ec6ad3b0-0000-4000-8000-000000000007", "name": "BANCOLOMBIA"}]
            }
        if method == "POST" and route == "/accounts/balance-recharge":
            with self._lock:
                self.state.account_balance += int(body.get("amountInCents") or 0)
            return 200, {"data": {"balanceInCents": self.state.account_balance}}
        return _error(404, "NOT_FOUND_ERROR", "Ruta desconocida")

    # -- checkout page --------------------------------------------------------------------------
    def pay_checkout(
        self,
        params: Mapping[str, str],
        method: Mapping[str, str],
        on_event: EventSink | None = None,
    ) -> Response:
        """Create the transaction a Web Checkout form submits (public-key, reference, ...);
        ``on_event`` as for ``create_transaction``."""
        if params.get("public-key") != self.config.public_key:
            return _error(422, "INPUT_VALIDATION_ERROR", {"public-key": ["Inválida"]})
        try:
            amount = int(params.get("amount-in-cents", ""))
        except ValueError:
            return _error(422, "INPUT_VALIDATION_ERROR", {"amount-in-cents": ["Inválido"]})
        expiration = params.get("expiration-time") or None
        if expiration and expiration < _now():
            return _error(422, "INPUT_VALIDATION_ERROR", {"expiration-time": ["Expirado"]})
        kind = method.get("type", "CARD")
        payment_method: dict[str, Any] = {"type": kind}
        if kind == "CARD":
            code, token = self.tokenize_card(
                {
                    "number": method.get("number", ""),
                    "cvc": method.get("cvc", "123"),
                    "exp_month": "12",
                    "exp_year": "30",
                    "card_holder": method.get("card_holder", "Cliente"),
                }
            )
            if code >= 400:
                return code, token
            payment_method["token"] = token["data"]["id"]
        elif kind == "NEQUI":
            payment_method["phone_number"] = method.get("phone_number", "")
        else:
            payment_method["financial_institution_code"] = method.get(
                "financial_institution_code", ""
            )
        return self.create_transaction(
            {
                "amount_in_cents": amount,
                "currency": params.get("currency", "COP"),
                "reference": params.get("reference", ""),
                "signature": params.get("signature:integrity", ""),
                "expiration_time": expiration,
                "customer_email": params.get("customer-data:email", ""),
                "redirect_url": params.get("redirect-url"),
                "payment_method": payment_method,
            },
            from_checkout=True,
            on_event=on_event,
        )
