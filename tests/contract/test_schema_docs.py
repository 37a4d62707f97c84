"""The schema is written for generators and readers (issue 20): short camelCase operationIds,
the Idempotency-Key header where it is accepted, request bodies that refuse unknown fields."""

from __future__ import annotations

import re
from typing import Any

import pytest

from platform_core.api_errors import operations

CAMEL_CASE = re.compile(r"^[a-z][a-zA-Z0-9]*$")
WORDS = re.compile(r"[A-Z]?[a-z0-9]+")
# An id is a verb and what it acts on (bookAppointment, listMyOrders): a lone word such as
# `book`, `detail` or `pay` (a view's name) tells a generated hook nothing.
VERBS = frozenset(
    {
        "add",
        "book",
        "cancel",
        "change",
        "check",
        "checkout",
        "clear",
        "complete",
        "confirm",
        "create",
        "decline",
        "delete",
        "erase",
        "export",
        "get",
        "list",
        "log",
        "mark",
        "move",
        "pay",
        "preview",
        "receive",
        "record",
        "refresh",
        "refund",
        "register",
        "remove",
        "request",
        "resend",
        "reschedule",
        "retry",
        "search",
        "send",
        "set",
        "start",
        "subscribe",
        "update",
        "verify",
        "waive",
    }
)


def generic_operation_ids(ids: list[str]) -> list[str]:
    """Ids that are not camelCase, longer than 30 characters, or not `verb` + object."""
    bad = []
    for op_id in ids:
        words = WORDS.findall(op_id)
        if (
            not CAMEL_CASE.match(op_id)
            or len(op_id) > 30
            or len(words) < 2
            or words[0] not in VERBS
        ):
            bad.append(op_id)
    return bad


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    from studiozens.api import api

    return api.get_openapi_schema()


def test_operation_ids_are_short_unique_descriptive_camel_case(openapi: dict[str, Any]) -> None:
    ids = [op["operationId"] for _key, _method, op in operations(openapi)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert not generic_operation_ids(ids)
    found = {key: op["operationId"] for key, _method, op in operations(openapi)}
    assert found["POST /api/booking/appointments/"] == "bookAppointment"
    assert found["GET /api/shop/orders/"] == "listMyOrders"
    assert found["POST /api/booking/desk/appointments/"] == "bookDeskAppointment"


def test_a_generic_operation_id_is_reported() -> None:
    assert generic_operation_ids(["book", "detail", "pay", "getX_y", "frobnicateThing"]) == [
        "book",
        "detail",
        "pay",
        "getX_y",
        "frobnicateThing",
    ]
    assert generic_operation_ids(["listMyOrders", "logIn", "checkInDeskAppointment"]) == []


def test_idempotency_key_is_declared_where_accepted(openapi: dict[str, Any]) -> None:
    declaring = {
        key
        for key, _method, op in operations(openapi)
        for parameter in op.get("parameters", [])
        if parameter["in"] == "header" and parameter["name"] == "Idempotency-Key"
    }
    assert {"POST /api/booking/appointments/", "POST /api/shop/checkout/"} <= declaring


def _body_components(openapi: dict[str, Any]) -> set[str]:
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[-1]
                if name not in names:
                    names.add(name)
                    walk(openapi["components"]["schemas"][name])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for _key, _method, op in operations(openapi):
        walk(((op.get("requestBody") or {}).get("content") or {}).get("application/json"))
    return names


def test_request_bodies_refuse_unknown_fields(openapi: dict[str, Any]) -> None:
    components = openapi["components"]["schemas"]
    bodies = _body_components(openapi)
    assert {"BookIn", "AddressIn", "CartAddIn", "RegisterIn"} <= bodies
    open_bodies = [
        name
        for name in sorted(bodies)
        if components[name].get("type") == "object"
        and components[name].get("additionalProperties") is not False
    ]
    assert not open_bodies


@pytest.mark.django_db
def test_an_unknown_field_is_a_clear_422(api_as: Any) -> None:
    from tests.factories import UserFactory

    client = api_as(UserFactory(phone_number="+573109990031", roles=["client"]))
    response = client.patch("/api/users/me", {"first_name": "Ana", "nickname": "Anita"})
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"] == [
        {"field": "nickname", "message": "Este campo no se admite.", "type": "extra_forbidden"}
    ]
    # A body that is not an object is refused too (it used to read as "no changes").
    assert client.patch("/api/users/me", "AAA").status_code == 422


@pytest.mark.django_db
def test_the_cart_limit_is_in_the_schema_and_enforced_by_it(
    api_as: Any, openapi: dict[str, Any]
) -> None:
    from django.conf import settings

    from tests.factories import UserFactory

    limit = settings.SHOP_MAX_LINE_QUANTITY
    quantity = openapi["components"]["schemas"]["CartQuantityIn"]["properties"]["quantity"]
    assert quantity["maximum"] == limit
    client = api_as(UserFactory(phone_number="+573109990032", roles=["client"]))
    response = client.post(
        "/api/shop/cart/items",
        {"product_id": "8e4a5b77-0000-4000-8000-000000000000", "quantity": limit + 1},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "quantity"


def test_every_operation_field_and_parameter_is_described(openapi: dict[str, Any]) -> None:
    from platform_core.schemas import document_fields

    undocumented = [
        key for key, _method, op in operations(openapi) if not (op.get("description") or "").strip()
    ]
    assert not undocumented, undocumented
    # document_fields already ran on this schema: anything it reports now has no description.
    assert document_fields(openapi, {}) == []
    tags = {tag["name"]: tag.get("description") for tag in openapi.get("tags", [])}
    used = {tag for _key, _method, op in operations(openapi) for tag in op.get("tags", [])}
    assert used <= set(tags) and all(tags[name] for name in used), tags


def test_a_missing_description_is_reported() -> None:
    from platform_core.schemas import document_fields

    schema = {
        "components": {"schemas": {"ThingOut": {"properties": {"id": {}, "mystery": {}}}}},
        "paths": {"/x": {"get": {"parameters": [{"name": "zzz", "in": "query", "schema": {}}]}}},
    }
    assert document_fields(schema, {"id": "Identifier."}) == ["ThingOut.mystery", "GET /x zzz"]
    assert schema["components"]["schemas"]["ThingOut"]["properties"]["id"]["description"]


def _body_examples(operation: dict[str, Any]) -> list[tuple[dict[str, Any], Any]]:
    content = ((operation.get("requestBody") or {}).get("content")) or {}
    found = []
    for media in content.values():
        if "example" in media:
            found.append((media["schema"], media["example"]))
        for named in (media.get("examples") or {}).values():
            found.append((media["schema"], named["value"]))
    return found


def test_every_request_body_has_an_example_its_schema_accepts(openapi: dict[str, Any]) -> None:
    from jsonschema import Draft202012Validator

    from platform_core.schemas import document_request_examples

    with_body = [key for key, _m, op in operations(openapi) if op.get("requestBody")]
    assert len(with_body) > 25
    # The API already ran document_request_examples: what it reports has no example.
    assert document_request_examples(openapi) == []
    without = [
        key for key, _m, op in operations(openapi) if key in with_body and not _body_examples(op)
    ]
    assert not without, without
    wrong = []
    for key, _method, op in operations(openapi):
        for body_schema, example in _body_examples(op):
            validator = Draft202012Validator(
                {**body_schema, "components": openapi["components"]},
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
            wrong += [f"{key}: {error.message}" for error in validator.iter_errors(example)]
    assert not wrong, wrong
    checkout = next(op for key, _m, op in operations(openapi) if key == "POST /api/shop/checkout/")
    examples = checkout["requestBody"]["content"]["application/json"]["examples"]
    assert {value["value"]["fulfilment"] for value in examples.values()} == {"pickup", "delivery"}


def test_a_request_body_without_an_example_is_reported() -> None:
    from platform_core.schemas import document_request_examples

    schema = {
        "components": {"schemas": {"AIn": {"examples": [{"a": 1}]}, "BIn": {}}},
        "paths": {
            "/a": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/AIn"}}
                        }
                    }
                }
            },
            "/b": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/BIn"}}
                        }
                    }
                }
            },
        },
    }
    assert document_request_examples(schema) == ["POST /b"]
    assert schema["paths"]["/a"]["post"]["requestBody"]["content"]["application/json"][
        "example"
    ] == {"a": 1}
