"""One time convention for responses (docs/api.md "Money, time, identifiers"): every datetime an
API response carries is in Bogotá time with its offset (2030-03-05T10:00:00-05:00), as clients
send them, never UTC with "Z" — across modules, including payloads built as text (the
personal-data export) and the desk's prebuilt calendar feed."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine

from tests.factories import UserFactory
from tests.modules.booking.conftest import NOW, TUESDAY, build_spa, iso
from tests.modules.shop.factories import ProductFactory

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# Wompi's widget parameter, passed exactly as signed (signature_integrity covers the string):
# the one documented exception (docs/api.md).
PROVIDER_FIELDS = {"expiration_time"}


def datetimes(node: Any, where: str = "") -> list[tuple[str, str]]:
    """Every (path, value) of an ISO datetime string in a JSON document."""
    if isinstance(node, dict):
        return [
            hit
            for key, value in node.items()
            if key not in PROVIDER_FIELDS
            for hit in datetimes(value, f"{where}.{key}")
        ]
    if isinstance(node, list):
        return [hit for i, value in enumerate(node) for hit in datetimes(value, f"{where}[{i}]")]
    if isinstance(node, str) and DATETIME.match(node):
        return [(where, node)]
    return []


def not_bogota(body: Any) -> list[tuple[str, str]]:
    return [(where, value) for where, value in datetimes(body) if not value.endswith("-05:00")]


def test_the_walker_finds_utc_and_naive_times() -> None:
    body = {"a": "2030-03-05T15:00:00Z", "b": [{"c": "2030-03-05T10:00:00-05:00"}], "d": "x"}
    assert not_bogota(body) == [(".a", "2030-03-05T15:00:00Z")]
    assert not_bogota({"e": "2030-03-05T15:00:00+00:00"}) == [(".e", "2030-03-05T15:00:00+00:00")]
    assert not_bogota({"expiration_time": "2030-03-05T15:00:00.000Z"}) == []


@pytest.fixture
def spa(db: Any) -> Any:
    with time_machine.travel(NOW, tick=False):
        yield build_spa()


def _checked(response: Any, *, at_least: int) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.content
    body = response.json()
    found = datetimes(body)
    assert len(found) >= at_least, found
    assert not not_bogota(body), not_bogota(body)
    return body


@pytest.mark.django_db
def test_booking_identity_shop_payments_and_desk_answer_in_bogota_time(
    api_as: Any, spa: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        client = api_as(UserFactory(roles=["client"], first_name="Ana"))
        booked = _checked(
            client.post(
                "/api/booking/appointments/",
                {"service": spa.deposit.code, "start": iso(TUESDAY, 10)},
            ),
            at_least=2,
        )
        appointment = booked["appointment"]
        assert appointment["start"] == "2030-03-05T10:00:00-05:00"
        _checked(client.get(f"/api/booking/appointments/{appointment['id']}/"), at_least=2)
        _checked(client.get("/api/booking/appointments/mine/"), at_least=2)

        _checked(client.get("/api/users/me/"), at_least=1)  # date_joined
        export = _checked(client.get("/api/users/me/export/"), at_least=4)
        assert export["generated_at"].endswith("-05:00")

        _checked(client.get("/api/finances/payments/"), at_least=1)

        product = ProductFactory(stock=5, price_cents=3_000_000)
        client.post("/api/shop/cart/items/", {"product_id": str(product.public_id)})
        order = _checked(client.post("/api/shop/checkout/", {"fulfilment": "pickup"}), at_least=1)
        _checked(client.get(f"/api/shop/orders/{order['order']['id']}/"), at_least=1)
        _checked(client.get("/api/shop/orders/"), at_least=1)

        desk = api_as(UserFactory(roles=["reception"]))
        _checked(desk.get(f"/api/booking/desk/calendar/?date={TUESDAY.isoformat()}"), at_least=2)
        _checked(desk.get(f"/api/booking/desk/appointments/{appointment['id']}/"), at_least=2)


def test_the_renderer_writes_aware_datetimes_in_bogota_time() -> None:
    from datetime import UTC, datetime

    from platform_core.renderers import api_time, dumps

    moment = datetime(2030, 3, 5, 15, 0, 0, 123456, tzinfo=UTC)
    assert dumps({"at": moment}) == b'{"at":"2030-03-05T10:00:00.123-05:00"}'
    assert api_time(moment) == "2030-03-05T10:00:00.123456-05:00"
    assert api_time(None) is None
