"""The local Wompi sandbox over HTTP (stdlib WSGI): ``manage.py wompi_sandbox``.

Serves Wompi's API under ``/v1`` and the payouts API under ``/payouts/v1`` from the
sandbox core, a minimal Web Checkout page at ``/p/``, and posts signed
``transaction.updated`` events to the configured webhook URL.
"""

from __future__ import annotations

import html
import json
import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx

from modules.payments.sandbox.core import SandboxConfig, SandboxWompi
from platform_core.money import format_cop

logger = logging.getLogger(__name__)

StartResponse = Callable[..., Any]

CHECKOUT_FORM = """<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>Wompi sandbox - StudioZens</title></head>
<body><h1>Pago de prueba (sandbox local de Wompi)</h1>
<p>Referencia <b>{reference}</b> &mdash; {amount} {currency}</p>
<form method="post" action="{action}">{hidden}
<fieldset><legend>Tarjeta</legend>
<label>Número <input name="number" value="4242424242424242"></label>
<button name="type" value="CARD">Pagar con tarjeta</button></fieldset>
<fieldset><legend>Nequi</legend>
<label>Celular <input name="phone_number" value="3991111111"></label>
<button name="type" value="NEQUI">Pagar con Nequi</button></fieldset>
<fieldset><legend>PSE</legend>
<label>Banco (1 aprueba, 2 rechaza) <input name="financial_institution_code" value="1"></label>
<button name="type" value="PSE">Pagar con PSE</button></fieldset>
</form>
<p>Tarjetas: 4242&hellip; aprobada, 4111&hellip; rechazada, otra: error.</p></body></html>"""

RESULT_PAGE = """<!doctype html><html lang="es"><head><meta charset="utf-8">
<title>Resultado</title></head><body><h1>Transacción {status}</h1>
<p>Id {tx_id}</p></body></html>"""

CHECKOUT_KEYS = (
    "public-key",
    "currency",
    "amount-in-cents",
    "reference",
    "signature:integrity",
    "redirect-url",
    "expiration-time",
    "customer-data:email",
    "customer-data:full-name",
)


def render_form(query: dict[str, str], action: str) -> str:
    params = {k: query[k] for k in CHECKOUT_KEYS if k in query}
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
    )
    return CHECKOUT_FORM.format(
        reference=html.escape(params.get("reference", "")),
        amount=html.escape(format_cop(params.get("amount-in-cents"), empty="")),
        currency=html.escape(params.get("currency", "COP")),
        hidden=hidden,
        action=html.escape(action),
    )


def submit_checkout(
    sandbox: SandboxWompi, form: dict[str, str]
) -> tuple[int, dict[str, Any], str, str]:
    """(status, payload, redirect location or "", result page) for a submitted form."""
    status, payload = sandbox.pay_checkout(form, form)
    if status >= 400:
        return status, payload, "", ""
    tx = payload["data"]
    redirect = form.get("redirect-url")
    if redirect:
        sep = "&" if "?" in redirect else "?"
        return status, payload, f"{redirect}{sep}{urlencode({'id': tx['id']})}", ""
    current = sandbox.state.transactions[tx["id"]]["status"]
    return status, payload, "", RESULT_PAGE.format(status=current, tx_id=html.escape(tx["id"]))


class WebhookPoster:
    """Posts events to the webhook URL in the background (as Wompi calls us)."""

    def __init__(self, url: str, timeout: float = 10) -> None:
        self.url = url
        self.timeout = timeout
        self.delivered: list[tuple[int, dict[str, Any]]] = []
        self._threads: list[threading.Thread] = []

    def __call__(self, event: dict[str, Any]) -> None:
        if not self.url:
            return
        thread = threading.Thread(target=self._post, args=(event,), daemon=True)
        self._threads.append(thread)
        thread.start()

    def _post(self, event: dict[str, Any]) -> None:
        try:
            response = httpx.post(
                self.url,
                json=event,
                headers={"X-Event-Checksum": event["signature"]["checksum"]},
                timeout=self.timeout,
            )
            self.delivered.append((response.status_code, event))
        except httpx.HTTPError as exc:
            logger.warning("sandbox could not deliver event to %s: %s", self.url, exc)
            self.delivered.append((0, event))

    def join(self, timeout: float = 10) -> None:
        for thread in list(self._threads):
            thread.join(timeout)


class SandboxApp:
    def __init__(self, sandbox: SandboxWompi) -> None:
        self.sandbox = sandbox

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "/")
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        if path.rstrip("/") == "/p":
            return self._checkout(method, query, raw, start_response)
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return self._json(start_response, 400, {"error": {"type": "INVALID_JSON"}})
        status, payload = self.sandbox.handle(method, path, headers, body, query)
        return self._json(start_response, status, payload)

    @staticmethod
    def _json(start_response: StartResponse, status: int, payload: dict[str, Any]) -> list[bytes]:
        data = json.dumps(payload).encode()
        start_response(
            f"{status} {'OK' if status < 400 else 'ERROR'}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
        )
        return [data]

    @staticmethod
    def _html(start_response: StartResponse, status: int, text: str) -> list[bytes]:
        data = text.encode()
        start_response(f"{status} OK", [("Content-Type", "text/html; charset=utf-8")])
        return [data]

    def _checkout(
        self, method: str, query: dict[str, str], raw: bytes, start_response: StartResponse
    ) -> list[bytes]:
        if method == "GET":
            return self._html(start_response, 200, render_form(query, "/p/"))
        form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
        status, payload, location, page = submit_checkout(self.sandbox, form)
        if status >= 400:
            return self._json(start_response, status, payload)
        if location:
            start_response("303 See Other", [("Location", location)])
            return [b""]
        return self._html(start_response, 200, page)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox: " + format, *args)


def build_server(
    config: SandboxConfig, *, host: str = "127.0.0.1", port: int = 0, webhook_url: str = ""
) -> tuple[WSGIServer, SandboxWompi, WebhookPoster]:
    poster = WebhookPoster(webhook_url)
    sandbox = SandboxWompi(config, on_event=poster)
    server = make_server(
        host,
        port,
        SandboxApp(sandbox),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    return server, sandbox, poster
