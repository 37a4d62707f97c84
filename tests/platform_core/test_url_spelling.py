"""One URL convention: every operation ends with a slash, and the other spelling of any /api/
path answers the same resource (no redirect, no HTML, never a 500), for every method."""

from __future__ import annotations

import re
import uuid

import pytest

from studiozens.api import api as ninja_api

pytestmark = pytest.mark.django_db

_METHODS = ("get", "post", "put", "patch", "delete")


def _operations() -> list[tuple[str, str]]:
    schema = ninja_api.get_openapi_schema()
    return [
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in _METHODS
    ]


def _concrete(path: str) -> str:
    # Any value of the right shape: the route must resolve; the object need not exist.
    def sample(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(uuid.uuid4()) if name == "public_id" else "1"

    return re.sub(r"\{([^}]+)\}", sample, path)


def test_every_operation_is_spelled_with_a_trailing_slash() -> None:
    wrong = [f"{m.upper()} {p}" for m, p in _operations() if not p.endswith("/")]
    assert wrong == []


@pytest.mark.parametrize("method,path", _operations())
def test_the_other_spelling_answers_the_same_operation(client, method: str, path: str) -> None:
    concrete = _concrete(path)
    canonical = getattr(client, method)(concrete, content_type="application/json")
    other = getattr(client, method)(concrete.rstrip("/"), content_type="application/json")
    assert other.status_code == canonical.status_code, (method, path)
    assert other.status_code not in (301, 302, 307, 308) and other.status_code < 500
    assert other["Content-Type"].startswith("application/json"), (method, path)


def test_post_without_the_slash_keeps_its_body(api) -> None:
    body = {"phone_number": "+573001112233", "password": "x"}
    with_slash = api.post("/api/users/token/", body)
    without = api.post("/api/users/token", body)
    assert with_slash.status_code == without.status_code == 401
    assert without.json()["error"]["code"] == with_slash.json()["error"]["code"]


def test_a_slash_added_to_a_slashless_document_still_resolves(client) -> None:
    assert client.get("/api/openapi.json/").status_code == 200


@pytest.mark.parametrize("method", _METHODS)
def test_an_unknown_path_is_a_json_404_in_either_spelling(client, method: str) -> None:
    for path in ("/api/nothing/here", "/api/nothing/here/", "/api/users/me/nope"):
        response = getattr(client, method)(path)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "not_found"
