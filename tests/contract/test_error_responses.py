"""Every operation documents the errors it can answer with, in the one error shape.

The schema's error responses come from generic rules (platform_core.api_errors) plus the
statuses the API builder declares (studiozens.api.ERROR_STATUSES); Schemathesis checks that
no operation answers with an undocumented status and that error bodies match
(test_schemathesis.py). These tests pin the rules and the bookkeeping.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from ninja import NinjaAPI
from pydantic import ValidationError

from platform_core import api_errors
from studiozens.api import ERROR_STATUSES, api

ERROR_REF = "#/components/schemas/ErrorResponse"


def _schema() -> dict[str, Any]:
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/")))


def test_declared_statuses_name_existing_operations() -> None:
    assert api_errors.unknown_operations(_schema(), ERROR_STATUSES) == []


def test_error_components_do_not_shadow_a_module_schema() -> None:
    plain = NinjaAPI.get_openapi_schema(api, path_prefix="/api/")
    names = set(plain["components"].get("schemas", {}))
    assert not names & {"ErrorResponse", "ErrorDetail"}


def test_every_operation_documents_its_errors() -> None:
    schema = _schema()
    responses = schema["components"]["responses"]
    operations = list(api_errors.operations(schema))
    assert len(operations) > 40
    for key, method, operation in operations:
        documented = operation["responses"]
        statuses = {int(code) for code in documented}
        parameters = operation.get("parameters") or []
        takes_nothing = not (parameters or "requestBody" in operation or operation.get("security"))
        if not (method == "get" and takes_nothing):  # GET /api/, health: nothing can be wrong
            assert any(400 <= s < 500 for s in statuses), key
        if operation.get("security"):
            assert {401, 403} <= statuses, key
        if any(p["in"] == "path" for p in parameters):
            assert 404 in statuses, key
        if parameters or operation.get("requestBody"):
            assert 422 in statuses, key
        for code, response in documented.items():
            if int(code) < 400:
                continue
            if key == "GET /api/core/health/ready/":  # readiness answers 503 with its checks
                continue
            name = response["$ref"].rsplit("/", 1)[-1]
            content = responses[name]["content"]["application/json"]
            assert content["schema"] == {"$ref": ERROR_REF}, (key, code)


def test_generic_rules() -> None:
    rules = api_errors.generic_error_statuses
    assert rules("get", {}) == set()
    assert rules("get", {"security": [{"JWTAuth": []}]}) == {401, 403}
    path_id = {"parameters": [{"in": "path", "name": "id"}]}
    assert rules("get", path_id) == {404, 422}
    assert rules("post", {"requestBody": {}}) == {400, 409, 413, 422}
    json_body = {"requestBody": {"content": {"application/json": {}}}}
    assert rules("post", json_body) == {400, 409, 413, 415, 422}
    assert rules("delete", {}) == {409}


@pytest.mark.django_db
def test_error_bodies_match_the_documented_schema() -> None:
    """The handlers' bodies are ErrorResponse (the model the schema's component comes from;
    Schemathesis validates the served bodies against the JSON schema itself)."""
    component = _schema()["components"]["schemas"]["ErrorResponse"]
    assert component["required"] == ["error"]
    client = Client()
    answers = [
        client.get("/api/users/me"),  # 401
        client.get("/api/shop/products/not-a-uuid"),  # 422 with field details
        client.get("/api/shop/products/00000000-0000-4000-8000-000000000000"),  # 404
        client.post("/api/users/token/", data="{", content_type="application/json"),  # 400
        client.get("/api/no-such-route"),  # 404 from the middleware
        client.post("/api/users/token/", data="{}", content_type="text/plain"),  # 415
        client.post(  # 413 from the body-limit middleware
            "/api/users/token/", data="x" * (2 << 20), content_type="application/json"
        ),
    ]
    assert [r.status_code for r in answers] == [401, 422, 404, 400, 404, 415, 413]
    for response in answers:
        api_errors.ErrorResponse.model_validate(response.json())
    details = answers[1].json()["error"]["details"]
    assert details and {"field", "message", "type"} <= set(details[0])
    with pytest.raises(ValidationError):
        api_errors.ErrorResponse.model_validate({"detail": "Not Found"})  # ninja's default
