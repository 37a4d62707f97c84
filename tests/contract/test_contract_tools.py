"""The contract generator is deterministic and its drift check catches an unregenerated change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scripts.contract import generate
from scripts.contract.postman import (
    PLACEHOLDER_UUID,
    SchemaError,
    build_collection,
    example_for,
)

from tests.contract.sample_api import build_sample_api

ROOT = Path(__file__).resolve().parents[2]
HAS_NODE_TOOLS = (ROOT / generate.TS_BIN).exists()
needs_node = pytest.mark.skipif(
    not HAS_NODE_TOOLS, reason="run `npm ci --prefix clients/typescript` for the TypeScript checks"
)


def _requests(collection: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for folder in collection["item"]:
        for item in folder["item"]:
            found[item["name"].split(" — ")[0]] = item
    return found


def _tests(item: dict[str, Any]) -> str:
    return "\n".join(
        line
        for event in item["event"]
        if event["listen"] == "test"
        for line in event["script"]["exec"]
    )


def test_generation_is_deterministic_and_canonical() -> None:
    first = generate.render_python_artifacts(build_sample_api())
    second = generate.render_python_artifacts(build_sample_api())
    assert first == second
    text = first[generate.OPENAPI_PATH]
    assert text.endswith("}\n")
    assert text == generate.dump_json(json.loads(text))  # sorted keys, stable indent


def test_check_detects_an_endpoint_added_without_regenerating(tmp_path: Path) -> None:
    committed = generate.render_python_artifacts(build_sample_api())
    generate.write_artifacts(committed, root=tmp_path)
    assert generate.diff_artifacts(committed, root=tmp_path) == {}

    changed = generate.render_python_artifacts(build_sample_api(extra_endpoint=True))
    drift = generate.diff_artifacts(changed, root=tmp_path)

    assert set(drift) == {generate.OPENAPI_PATH, generate.COLLECTION_PATH}
    assert '+    "/api/shop/wishlist/": {' in drift[generate.OPENAPI_PATH]
    assert "GET /api/shop/wishlist/ — My wishlist" in drift[generate.COLLECTION_PATH]


def test_main_check_fails_on_drift_and_passes_after_regeneration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(generate, "ROOT", tmp_path)
    monkeypatch.setattr(generate, "load_schema", lambda: build_sample_api())
    assert generate.main(["--skip-typescript"]) == 0

    monkeypatch.setattr(generate, "load_schema", lambda: build_sample_api(extra_endpoint=True))
    assert generate.main(["--check", "--skip-typescript"]) == 1
    out = capsys.readouterr().out
    assert "contract drift in docs/openapi.json" in out
    assert "Run `make contract`" in out

    assert generate.main(["--skip-typescript"]) == 0
    assert generate.main(["--check", "--skip-typescript"]) == 0


@needs_node
def test_typescript_types_follow_the_schema() -> None:
    before = generate.render_typescript(generate.dump_json(build_sample_api()))
    after = generate.render_typescript(generate.dump_json(build_sample_api(extra_endpoint=True)))
    assert '"/api/shop/products/{product_id}/": {' in before
    assert "/api/shop/wishlist" not in before
    assert '"/api/shop/wishlist/": {' in after


def test_missing_typescript_tool_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="npm ci --prefix clients/typescript"):
        generate.render_typescript("{}", root=tmp_path)


def test_committed_artifacts_are_consistent_with_the_committed_schema() -> None:
    """docs/postman/* and the TypeScript types are regenerated whenever docs/openapi.json is."""
    committed = ROOT / generate.OPENAPI_PATH
    if not committed.exists():  # pragma: no cover - only before the first `make contract`
        pytest.skip("docs/openapi.json is not generated yet")
    schema = json.loads(committed.read_text(encoding="utf-8"))
    fresh = generate.render_all(
        schema, typescript=HAS_NODE_TOOLS, ts_renderer=generate.render_typescript
    )
    assert generate.diff_artifacts(fresh, root=ROOT) == {}


def test_collection_runs_the_session_flow_first_and_authenticates_with_the_token() -> None:
    collection = build_collection(build_sample_api())
    session = collection["item"][0]
    assert session["name"] == "00 · Session"
    names = [item["name"].split(" — ")[0] for item in session["item"]]
    assert names == [
        "GET /api/core/health/",
        "POST /api/users/register/",
        "GET /api/core/dev/outbox/",
        "POST /api/users/verify/",
        "POST /api/users/token/",
        "POST /api/users/token/refresh/",
    ]
    assert collection["auth"]["bearer"][0]["value"] == "{{access_token}}"
    verify = session["item"][3]
    assert "pm.collectionVariables.set('access_token', body.access);" in _tests(verify)
    assert collection["item"][-1]["name"] == "99 · Teardown"
    assert [i["name"].split(" — ")[0] for i in collection["item"][-1]["item"]] == [
        "POST /api/users/logout/"
    ]


def test_requests_carry_examples_status_tests_and_chained_ids() -> None:
    requests = _requests(build_collection(build_sample_api()))
    listing = requests["GET /api/shop/products/"]
    detail = requests["GET /api/shop/products/{product_id}/"]
    add = requests["POST /api/shop/cart/items/"]

    assert listing["request"]["auth"] == {"type": "noauth"}
    assert "auth" not in add["request"]  # inherits the collection's bearer token
    assert 'pm.collectionVariables.set("product_id"' in _tests(listing)
    assert "pm.expect(pm.response.code).to.be.oneOf([200]);" in _tests(listing)
    assert detail["request"]["url"]["raw"] == "{{baseUrl}}/api/shop/products/:product_id/"
    assert detail["request"]["url"]["variable"] == [
        {"key": "product_id", "value": "{{product_id}}"}
    ]
    assert "to.be.below(500)" in _tests(detail)
    # A body field naming a resource takes the id a list request stored.
    assert json.loads(add["request"]["body"]["raw"]) == {
        "product_id": "{{product_id}}",
        "quantity": 1,
    }
    assert 'to.include.all.keys(["lines"])' in _tests(add)


def test_requests_run_in_flow_order_and_writes_store_what_they_create() -> None:
    collection = build_collection(build_sample_api(extra_endpoint=True))
    shop = next(folder for folder in collection["item"] if folder["name"] == "shop")
    assert [item["name"].split(" — ")[0] for item in shop["item"]] == [
        "GET /api/shop/products/",  # reads of existing data first: they set the ids
        "GET /api/shop/wishlist/",
        "POST /api/shop/cart/items/",  # then writes that create things
        "GET /api/shop/products/{product_id}/",  # then requests on one object
    ]
    add = shop["item"][2]
    assert "pm.collectionVariables.set(key + '_id', String(value.id));" in _tests(add)
    assert collection["variable"][0] == {"key": "access_token", "value": ""}
    assert {"key": "product_id", "value": PLACEHOLDER_UUID} in collection["variable"]
    prerequest = collection["event"][0]["script"]["exec"]
    assert "pm.collectionVariables.set('today', day(1));" in prerequest


def test_the_session_flow_is_required() -> None:
    schema = build_sample_api()
    del schema["paths"]["/api/users/verify/"]
    with pytest.raises(SchemaError, match="POST /api/users/verify/"):
        build_collection(schema)


@pytest.mark.parametrize(
    ("node", "name", "expected"),
    [
        ({"type": "string", "format": "date-time"}, "x", "2030-01-15T10:00:00-05:00"),
        ({"type": "string", "format": "date"}, "x", "2030-01-15"),
        ({"type": "string"}, "email", "cliente@example.com"),
        ({"type": "string", "minLength": 12}, "ab", "ab ab ab ab ab ab ab "),
        ({"type": "string", "maxLength": 3}, "reason", "rea"),
        ({"type": "integer", "minimum": 5}, "n", 5),
        ({"type": "integer", "exclusiveMinimum": 0}, "n", 1),
        ({"type": "number"}, "n", 1),
        ({"type": "boolean"}, "b", True),
        ({"enum": ["morning", "evening"]}, "part", "morning"),
        ({"anyOf": [{"type": "null"}, {"type": "integer"}]}, "n", 1),
        ({"type": ["null", "string"], "format": "uuid"}, "id", PLACEHOLDER_UUID),
        ({"type": "array", "items": {"type": "integer"}}, "ids", [1]),
        (
            {
                "allOf": [
                    {
                        "type": "object",
                        "required": ["a"],
                        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                    }
                ]
            },
            "o",
            {"a": 1},  # optional "b" without a default is left out
        ),
        ({"type": "string"}, "password", "{{password}}"),
    ],
)
def test_examples(node: dict[str, Any], name: str, expected: Any) -> None:
    assert example_for({}, node, name=name) == expected
