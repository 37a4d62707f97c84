"""The target of the hostile-input suite: the API in-process (Django's test client inside the
test transaction, demo data seeded) or, with HOSTILE_BASE_URL set, a live server over HTTP
(scripts/ci_contract.sh runs it against gunicorn on PostgreSQL + Redis, demo data seeded,
rate limits off). See docs/e2e.md, "Hostile inputs"."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest

BASE_URL = os.environ.get("HOSTILE_BASE_URL", "").rstrip("/")
# Demo accounts (modules/identity/demo.py) for the live mode.
DEMO_CLIENT = ("+573000000005", "StudioZens-Cliente-2026!")
DEMO_ADMIN = ("+573000000001", "StudioZens-Staff-2026!")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Transport(Protocol):
    def __call__(
        self, method: str, path: str, *, body: bytes | None, headers: dict[str, str]
    ) -> Answer: ...


def _django_transport() -> Transport:
    from django.db import transaction
    from django.test import Client

    client = Client(raise_request_exception=False)

    def send(method: str, path: str, *, body: bytes | None, headers: dict[str, str]) -> Answer:
        extra = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        content_type = headers.get("Content-Type", "application/octet-stream")
        # Each case in a savepoint that is rolled back: cases stay independent (one cannot
        # erase the account the next one uses), and a statement PostgreSQL refuses (a NUL
        # byte: 422) does not abort the test's transaction for every later case, as it
        # would not in production, where each request has its own transaction.
        savepoint = transaction.savepoint()
        try:
            response = client.generic(
                method, path, data=body or b"", content_type=content_type, headers=extra
            )
        finally:
            transaction.set_rollback(False)  # else Django refuses the ROLLBACK TO SAVEPOINT
            transaction.savepoint_rollback(savepoint)
        return Answer(response.status_code, dict(response.headers.items()), response.content)

    return send


def _headers(message: Any) -> dict[str, str]:
    # HTTP header names are case-insensitive; uvicorn sends them lower-case.
    return {name.title(): value for name, value in message.items()}


def _http_transport(base_url: str) -> Transport:
    def send(method: str, path: str, *, body: bytes | None, headers: dict[str, str]) -> Answer:
        request = urllib.request.Request(base_url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Answer(response.status, _headers(response.headers), response.read())
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, _headers(exc.headers), exc.read())

    return send


@dataclass
class Target:
    send: Transport
    openapi: dict[str, Any]
    auth: dict[str, dict[str, str]]
    # Real identifiers by path-parameter name (from the list endpoints), so detail
    # operations are attacked on existing objects too.
    identifiers: dict[str, str] = field(default_factory=dict)


def _login(send: Transport, phone: str, password: str) -> dict[str, str]:
    answer = send(
        "POST",
        "/api/users/token/",
        body=json.dumps({"phone_number": phone, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status == 200, answer.body[:300]
    return {"Authorization": f"Bearer {answer.json()['access']}"}


def _identifiers(send: Transport, auth: dict[str, dict[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    lists = {
        "code": "/api/booking/services",
        "product_id": "/api/shop/products",
        "slug": "/api/shop/categories",
        "appointment_id": "/api/booking/appointments/mine",
        "order_id": "/api/shop/orders",
        "reference": "/api/finances/payments/",
    }
    for name, path in lists.items():
        answer = send("GET", f"{path}?page_size=1", body=None, headers=auth["client"])
        if answer.status != 200:
            continue
        body = answer.json()
        items = body.get("items", []) if isinstance(body, dict) else body
        for item in items[:1]:
            for key in (name, "id", "code", "slug", "reference"):
                if isinstance(item, dict) and item.get(key):
                    found[name] = str(item[key])
                    break
    return found


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    if BASE_URL:
        send = _http_transport(BASE_URL)
        auth = {
            "anonymous": {},
            "client": _login(send, *DEMO_CLIENT),
            "staff": _login(send, *DEMO_ADMIN),
        }
        openapi = send("GET", "/api/openapi.json", body=None, headers={}).json()
        yield Target(send, openapi, auth, _identifiers(send, auth))
        return

    settings = request.getfixturevalue("settings")
    settings.RATELIMIT_ENABLED = False  # one client; the limits have their own tests
    settings.DEBUG = True  # the development outbox is part of the schema
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.management import call_command
    from ninja_jwt.tokens import RefreshToken

    from tests.factories import UserFactory

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    client = UserFactory(phone_number="+573109990101", roles=["client"])
    staff = UserFactory(phone_number="+573109990102", roles=["admin"], is_staff=True)

    def bearer(user: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}

    send = _django_transport()
    auth = {"anonymous": {}, "client": bearer(client), "staff": bearer(staff)}
    openapi = send("GET", "/api/openapi.json", body=None, headers={}).json()
    yield Target(send, openapi, auth, _identifiers(send, auth))
