"""Idempotency-Key: replay, 409 on a different body, concurrent duplicates run once."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from ninja import NinjaAPI, Router, Schema, Status
from ninja.testing import TestClient

from platform_core import api_errors, audit
from platform_core.errors import ValidationFailed
from platform_core.idempotency import idempotent, prune_expired
from platform_core.models import AuditEvent, IdempotencyKey

pytestmark = pytest.mark.django_db


class OrderIn(Schema):
    item: str
    qty: int = 1


class OrderOut(Schema):
    id: int
    item: str


def _client(delay: float = 0.0) -> TestClient:
    api = NinjaAPI(urls_namespace=f"idem-{uuid.uuid4().hex}")
    api_errors.install(api)
    router = Router()

    @router.post("/orders", auth=None, response={201: OrderOut})
    @idempotent("test.create_order")
    def create_order(request, payload: OrderIn):
        if payload.qty <= 0:
            raise ValidationFailed("Cantidad inválida")
        if delay:
            import time

            time.sleep(delay)
        audit.record("test.order_created", target=payload.item)  # the observable effect
        return Status(201, {"id": AuditEvent.objects.count(), "item": payload.item})

    api.add_router("/", router)
    return TestClient(api)


def test_replay_returns_same_status_and_body(user):
    client = _client()
    headers = {"Idempotency-Key": "key-1"}
    first = client.post("/orders", json={"item": "aceite", "qty": 2}, user=user, headers=headers)
    assert first.status_code == 201
    again = client.post("/orders", json={"qty": 2, "item": "aceite"}, user=user, headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.count() == 1


def test_same_key_different_body_is_409(user):
    client = _client()
    headers = {"Idempotency-Key": "key-2"}
    client.post("/orders", json={"item": "aceite"}, user=user, headers=headers)
    response = client.post("/orders", json={"item": "vela"}, user=user, headers=headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"


def test_same_key_with_another_query_is_409_and_parameter_order_does_not_matter(user):
    """The query is part of the request (the waitlist's ``?accept_policy=true``)."""
    client = _client()
    headers = {"Idempotency-Key": "key-q"}

    def post(query: dict) -> Any:  # query_params: Ninja's client keeps "?…" in request.path
        return client.post(
            "/orders", json={"item": "aceite"}, user=user, headers=headers, query_params=query
        )

    first = post({"b": "2", "a": ["1", "0"]})
    assert first.status_code == 201
    same = post({"a": ["1", "0"], "b": "2"})
    assert same.status_code == 201 and same.json() == first.json()
    other = post({"a": ["1", "0"], "b": "3"})
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    bare = post({})
    assert bare.status_code == 409


def test_keys_are_per_user_and_optional(user, other_user):
    client = _client()
    headers = {"Idempotency-Key": "shared"}
    client.post("/orders", json={"item": "a"}, user=user, headers=headers)
    client.post("/orders", json={"item": "a"}, user=other_user, headers=headers)
    client.post("/orders", json={"item": "a"}, user=user)
    client.post("/orders", json={"item": "a"}, user=user)
    client.post("/orders", json={"item": "a"}, headers=headers)  # anonymous: no key handling
    assert AuditEvent.objects.count() == 5


def test_errors_are_not_stored_and_key_can_be_retried(user):
    client = _client()
    headers = {"Idempotency-Key": "key-3"}
    assert (
        client.post("/orders", json={"item": "a", "qty": 0}, user=user, headers=headers).status_code
        == 422
    )
    assert not IdempotencyKey.objects.exists()
    assert (
        client.post("/orders", json={"item": "a", "qty": 0}, user=user, headers=headers).status_code
        == 422
    )


@pytest.mark.parametrize("key", ["k" * 256, "bad\x00key", "con espacio", "ñandú"])
def test_invalid_keys_are_rejected(user, key):
    response = _client().post(
        "/orders", json={"item": "a"}, user=user, headers={"Idempotency-Key": key}
    )
    # The header is a declared parameter with its pattern: the schema refuses it (422 naming
    # the header) before the view runs.
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert [d["field"] for d in error["details"]] == ["header.Idempotency-Key"]
    assert not IdempotencyKey.objects.exists()


def test_keys_expire_after_24_hours(user):
    client = _client()
    headers = {"Idempotency-Key": "key-4"}
    start = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        client.post("/orders", json={"item": "a"}, user=user, headers=headers)
        traveller.shift(timedelta(hours=25))
        response = client.post("/orders", json={"item": "b"}, user=user, headers=headers)
        assert response.status_code == 201  # a fresh key, not a 409
        assert AuditEvent.objects.count() == 2
        traveller.shift(timedelta(hours=25))
        assert prune_expired() == 1


def test_abandoned_in_progress_key_is_taken_over(user, settings):
    IdempotencyKey.objects.create(
        user_id=user.pk,
        scope="test.create_order",
        key="key-5",
        request_hash="x",
        created_at=datetime(2020, 1, 1, tzinfo=UTC),
    )
    response = _client().post(
        "/orders", json={"item": "a"}, user=user, headers={"Idempotency-Key": "key-5"}
    )
    assert response.status_code == 201


def test_in_progress_duplicate_gets_409_after_waiting(user, settings):
    from django.utils import timezone

    from platform_core.idempotency import request_fingerprint

    settings.IDEMPOTENCY_WAIT_SECONDS = 0.1
    client = _client()
    # Compute the fingerprint the view would compute for this request.
    probe = client.post("/orders", json={"item": "a"}, user=user, headers={"Idempotency-Key": "p"})
    assert probe.status_code == 201
    row = IdempotencyKey.objects.get(key="p")
    IdempotencyKey.objects.create(
        user_id=user.pk,
        scope="test.create_order",
        key="key-6",
        request_hash=row.request_hash,
        created_at=timezone.now(),
    )
    response = client.post(
        "/orders", json={"item": "a"}, user=user, headers={"Idempotency-Key": "key-6"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_request_in_progress"
    assert callable(request_fingerprint)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_identical_requests_create_one_effect(user):
    client = _client(delay=0.3)
    barrier = threading.Barrier(2)
    responses: list = []

    def worker() -> None:
        try:
            barrier.wait()
            responses.append(
                client.post(
                    "/orders",
                    json={"item": "masaje"},
                    user=user,
                    headers={"Idempotency-Key": "concurrent"},
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert AuditEvent.objects.filter(action="test.order_created").count() == 1
    assert sorted(r.status_code for r in responses) == [201, 201]
    assert responses[0].json() == responses[1].json()
