"""Hostile inputs against every operation of the schema, as anonymous, client and staff.

For each operation: malformed JSON, malformed and unsupported content types, an oversize
body, the other spelling of its path, and boundary values in every typed body field and
parameter, one at a time (empty, huge, negative, NUL bytes, lone surrogates, 10 000-character
strings, years 1 and 9999, naive datetimes, wrong JSON types). Every answer must be below 500
and, when it is an error, in the one error shape (JSON `{"error": {"code", "message",
"details"}}`). Failures are collected over the whole schema and reported together.

Behaviour owned by the hardening work (issue 14, engineer `harden`) is listed in PENDING and
checked by strict xfail tests: when it lands they XPASS and fail, and the entry must go.
docs/e2e.md ("Hostile inputs") explains the suite and how to run it against gunicorn.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.security.conftest import Answer, Target

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "client", "staff")
METHODS = ("get", "post", "put", "patch", "delete")
JSON = {"Content-Type": "application/json"}
LONG = "A" * 10_000
LONE_SURROGATE = "\ud800"
TODAY = date.today()

# Bodies that are not JSON a parser can read, sent as application/json.
MALFORMED_JSON: dict[str, bytes] = {
    "truncated": b'{"a": ',
    "not-utf8": b"\xff\xfe\xfa",
    "nul-byte": b"\x00",
    "deep-nesting": b"[" * 100_000 + b"]" * 100_000,
    "huge-number": b'{"x": 1' + b"0" * 5_000 + b"}",
    "nan": b'{"x": NaN}',
    "lone-surrogate": b'"\\ud800"',
    "scalar": b"42",
    "list": b"[]",
    "null": b"null",
    "empty": b"",
}
# Content types a JSON operation does not take, with a body that would otherwise be fine.
CONTENT_TYPES: dict[str, str] = {
    "multipart-no-boundary": "multipart/form-data",
    "multipart-bad-boundary": "multipart/form-data; boundary=",
    "form": "application/x-www-form-urlencoded",
    "text": "text/plain",
    "xml": "application/xml",
    "json-bad-charset": "application/json; charset=klingon",
    "none": "",
}
OVERSIZE = 6 * 1024 * 1024  # above DATA_UPLOAD_MAX_MEMORY_SIZE (5 MB)

# What fails today because the hardening work has not landed yet: (operation, case) ->
# the missing behaviour. Keep it in sync with main (rebase), never grow it for new bugs.
# Patterns (fnmatch) over "METHOD /path" and the case name.
PENDING: dict[tuple[str, str], str] = {}  # all landed on 2026-12-06 (issue 14, harden)


def _pending_reason(key: tuple[str, str]) -> str | None:
    for (operation, case), reason in PENDING.items():
        if fnmatch(key[0], operation) and fnmatch(key[1], case):
            return f"harden: {reason}"
    return None


# --- Reading the schema -------------------------------------------------------------------------
def _resolve(node: Any, openapi: dict[str, Any]) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = openapi["components"]["schemas"][name]
    return node


def operations(openapi: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in sorted(openapi["paths"].items()):
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def _body_schema(operation: dict[str, Any], openapi: dict[str, Any]) -> dict[str, Any] | None:
    content = (operation.get("requestBody") or {}).get("content") or {}
    media = content.get("application/json")
    return _resolve(media["schema"], openapi) if media else None


def _first_variant(schema: dict[str, Any], openapi: dict[str, Any]) -> dict[str, Any]:
    schema = _resolve(schema, openapi)
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            non_null = [s for s in schema[key] if _resolve(s, openapi).get("type") != "null"]
            return _first_variant((non_null or schema[key])[0], openapi)
    return schema


def _valid_value(name: str, schema: dict[str, Any], target: Target) -> Any:
    """A plausible valid value for a field or parameter (the baseline one field deviates
    from)."""
    schema = _first_variant(schema, target.openapi)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    if schema.get("examples"):
        return schema["examples"][0]
    if name in target.identifiers:
        return target.identifiers[name]
    kind = schema.get("type")
    fmt = schema.get("format")
    if name == "service":
        return target.identifiers.get("code", "MASAJE-60")
    if kind == "string":
        if fmt == "uuid":
            return str(uuid.uuid4())
        if fmt == "date":
            return str(TODAY + timedelta(days=3))
        if fmt == "date-time":
            return f"{TODAY + timedelta(days=3)}T10:00:00-05:00"
        if fmt == "phone":
            return "+573001234567"
        return "x" * max(1, int(schema.get("minLength", 1)))
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return _valid_object(schema, target)
    return "x"


def _valid_object(schema: dict[str, Any], target: Target) -> dict[str, Any]:
    schema = _first_variant(schema, target.openapi)
    properties = schema.get("properties") or {}
    return {
        name: _valid_value(name, properties[name], target)
        for name in schema.get("required", [])
        if name in properties
    }


def _boundary_values(schema: dict[str, Any], target: Target) -> dict[str, Any]:
    """Hostile values for one JSON field, by its declared type."""
    schema = _first_variant(schema, target.openapi)
    kind = schema.get("type")
    values: dict[str, Any] = {
        "null": None,
        "empty-string": "",
        "nul-byte": "a\x00b",
        "lone-surrogate": f"a{LONE_SURROGATE}b",
        "long-string": LONG,
        "object": {"a": 1},
        "list": ["a"],
    }
    if kind in ("integer", "number"):
        values |= {
            "negative": -1,
            "zero": 0,
            "int32-overflow": 2**31,
            "int64-overflow": 2**63,
            "int64-underflow": -(2**63) - 1,
            "huge-int": 10**100,
            "float": 1.5,
            "numeric-string": "1",
        }
    if kind == "boolean":
        values |= {"int-as-bool": 1, "string-as-bool": "true"}
    if kind == "string":
        values |= {
            "year-1": "0001-01-01",
            "year-9999": "9999-12-31",
            "datetime-year-1": "0001-01-01T00:00:00Z",
            "datetime-year-9999": "9999-12-31T23:59:59-05:00",
            "naive-datetime": f"{TODAY + timedelta(days=3)}T10:00:00",
            "spaces": "   ",
            "number": 1,
        }
    if kind == "array":
        values |= {"huge-array": ["a"] * 10_000, "nested": [[[]]]}
    return values


def _query_values() -> dict[str, str]:
    """Hostile query/path values, already URL-encoded."""
    return {
        "empty": "",
        "long-string": LONG,
        "nul-byte": "a%00b",
        "lone-surrogate": "a%ED%A0%80b",  # a surrogate's UTF-8 form: invalid UTF-8
        "negative": "-1",
        "huge-int": "9" * 40,
        "year-1": "0001-01-01",
        "year-9999": "9999-12-31",
        "year-0": "0000-00-00",
        "naive-datetime": quote(f"{TODAY + timedelta(days=3)}T10:00:00"),
        "datetime-year-9999": quote("9999-12-31T23:59:59+00:00"),
        "float": "1.5",
        "bool-word": "maybe",
        "array": "a&{name}=b",
    }


def _path(path: str, operation: dict[str, Any], target: Target, **override: str) -> str:
    for parameter in operation.get("parameters") or []:
        if parameter["in"] == "path":
            name = parameter["name"]
            value = override.get(name) or quote(
                str(_valid_value(name, parameter.get("schema") or {}, target)), safe=""
            )
            path = path.replace("{" + name + "}", value)
    return path


def _query(operation: dict[str, Any], target: Target, **override: str) -> str:
    parts = []
    for parameter in operation.get("parameters") or []:
        if parameter["in"] != "query":
            continue
        name = parameter["name"]
        if name in override:
            parts.append(f"{name}={override[name].replace('{name}', name)}")
        elif parameter.get("required"):
            value = _valid_value(name, parameter.get("schema") or {}, target)
            parts.append(f"{name}={quote(str(value), safe='')}")
    return ("?" + "&".join(parts)) if parts else ""


# --- The answer ---------------------------------------------------------------------------------
def problem(answer: Answer) -> str | None:
    """Why this answer is not acceptable for a hostile request, or None."""
    if answer.status >= 500:
        return f"{answer.status}: {answer.body[:200]!r}"
    if answer.status < 400:
        return None
    content_type = answer.headers.get("Content-Type", "")
    if not content_type.startswith("application/json"):
        return f"{answer.status} with {content_type or 'no content type'}: {answer.body[:120]!r}"
    try:
        body = answer.json()
    except ValueError:
        return f"{answer.status} with a body that is not JSON: {answer.body[:120]!r}"
    error = body.get("error") if isinstance(body, dict) else None
    if (
        not isinstance(error, dict)
        or set(error) != {"code", "message", "details"}
        or not isinstance(error["code"], str)
        or not isinstance(error["message"], str)
        or not error["message"]
    ):
        return f"{answer.status} not in the error shape: {answer.body[:160]!r}"
    return None


class Findings:
    def __init__(self) -> None:
        self.failures: dict[tuple[str, str], str] = {}
        self.pending: dict[tuple[str, str], str] = {}
        self.requests = 0
        self.roles: dict[str, int] = {}

    def check(self, operation: str, case: str, answer: Answer, role: str = "") -> None:
        self.requests += 1
        self.roles[role] = self.roles.get(role, 0) + 1
        reason = problem(answer)
        if reason is not None and role:
            reason = f"as {role}: {reason}"
        key = (operation, case)
        if reason is None:
            return
        if _pending_reason(key):
            self.pending.setdefault(key, reason)
        else:
            self.failures.setdefault(key, reason)

    def report(self) -> str:
        return "\n".join(
            f"{op} [{case}]: {why}" for (op, case), why in sorted(self.failures.items())
        )


class Roles:
    """Which identity sends the next case. Every case as every identity costs three times
    the time for little more: an authenticated operation answers 401 to anonymous before it
    reads anything. So the cases of an operation take the identities in turn (client and
    staff for authenticated operations, plus anonymous on every fourth case; all three for
    public ones); HOSTILE_EVERY_ROLE=1 sends every case as all three."""

    def __init__(self) -> None:
        self.turn = 0

    def __call__(self, operation: dict[str, Any]) -> list[str]:
        if os.environ.get("HOSTILE_EVERY_ROLE"):
            return list(ROLES)
        self.turn += 1
        if not operation.get("security"):
            return [ROLES[self.turn % 3]]
        return ["anonymous"] if self.turn % 4 == 0 else [("client", "staff")[self.turn % 2]]


def _send(
    target: Target, role: str, method: str, path: str, body: bytes | None, content_type: str
) -> Answer:
    headers = dict(target.auth[role])
    if content_type:
        headers["Content-Type"] = content_type
    return target.send(method, path, body=body, headers=headers)


class Attack:
    """Sends cases and collects the findings of one run."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.findings = Findings()
        self.roles = Roles()

    def __call__(
        self,
        method: str,
        path: str,
        operation: dict[str, Any],
        url: str,
        case: str,
        body: bytes | None,
        content_type: str = "application/json",
    ) -> None:
        for role in self.roles(operation):
            answer = _send(self.target, role, method, url, body, content_type)
            self.findings.check(f"{method} {path}", case, answer, role)
            # Refused for another reason first (401, or 404 on a random id) is fine; 2xx or
            # 422 means the 6 MB were read despite the limit.
            if case == "oversize" and (answer.status < 400 or answer.status == 422):
                key = (f"{method} {path}", case)
                found = self.findings.pending if _pending_reason(key) else self.findings.failures
                found.setdefault(key, f"as {role}: {answer.status} instead of 413")


def _run_bodies(target: Target) -> Findings:
    attack = Attack(target)
    for method, path, operation in operations(target.openapi):
        if method == "GET":
            continue
        url = _path(path, operation, target) + _query(operation, target)
        schema = _body_schema(operation, target.openapi)
        good = json.dumps(_valid_object(schema, target) if schema else {}).encode()
        for case, raw in MALFORMED_JSON.items():
            attack(method, path, operation, url, f"json:{case}", raw)
        for case, content_type in CONTENT_TYPES.items():
            attack(method, path, operation, url, f"content-type:{case}", good, content_type)
    return attack.findings


def _run_oversize(target: Target) -> Findings:
    attack = Attack(target)
    body = b'{"x": "' + b"A" * OVERSIZE + b'"}'
    for method, path, operation in operations(target.openapi):
        if method != "GET":
            url = _path(path, operation, target) + _query(operation, target)
            attack(method, path, operation, url, "oversize", body)
    return attack.findings


def _run_other_spelling(target: Target) -> Findings:
    attack = Attack(target)
    for method, path, operation in operations(target.openapi):
        url = _path(path, operation, target)
        other = url[:-1] if url.endswith("/") else url + "/"
        schema = _body_schema(operation, target.openapi)
        body = json.dumps(_valid_object(schema, target)).encode() if schema else None
        attack(method, path, operation, other + _query(operation, target), "other-spelling", body)
    return attack.findings


def _run_boundaries(target: Target) -> Findings:
    attack = Attack(target)
    for method, path, operation in operations(target.openapi):
        schema = _body_schema(operation, target.openapi)
        base = _valid_object(schema, target) if schema else None
        url = _path(path, operation, target)
        query = _query(operation, target)
        # Body fields, one at a time.
        if schema is not None:
            variant = _first_variant(schema, target.openapi)
            for name, field_schema in (variant.get("properties") or {}).items():
                for case, value in _boundary_values(field_schema, target).items():
                    raw = json.dumps({**(base or {}), name: value}).encode()
                    attack(method, path, operation, url + query, f"body.{name}:{case}", raw)
        # Query and path parameters, one at a time.
        raw_base = json.dumps(base).encode() if base is not None else None
        for parameter in operation.get("parameters") or []:
            name, where = parameter["name"], parameter["in"]
            for case, value in _query_values().items():
                if where == "query":
                    full = url + _query(operation, target, **{name: value})
                elif where == "path" and case not in ("empty", "array"):
                    full = _path(path, operation, target, **{name: value}) + query
                else:
                    continue
                attack(method, path, operation, full, f"{where}.{name}:{case}", raw_base)
    return attack.findings


RUNS = {
    "bodies": _run_bodies,
    "oversize": _run_oversize,
    "other-spelling": _run_other_spelling,
    "boundaries": _run_boundaries,
}
_RESULTS: dict[str, Findings] = {}


def _findings(target: Target, run: str) -> Findings:
    if run not in _RESULTS:
        _RESULTS[run] = RUNS[run](target)
    return _RESULTS[run]


@pytest.mark.parametrize("run", list(RUNS))
def test_hostile_inputs_get_a_clear_answer(target: Target, run: str) -> None:
    findings = _findings(target, run)
    print(
        f"{run}: {findings.requests} requests",
        ", ".join(f"{role} {n}" for role, n in sorted(findings.roles.items())),
        f"({len(findings.pending)} pending hardening)",
    )
    assert set(findings.roles) == set(ROLES)
    report = Path("var") / f"hostile-{run}.txt"
    report.parent.mkdir(exist_ok=True)
    report.write_text(findings.report() or "no failures\n", encoding="utf-8")
    assert not findings.failures, (
        f"{len(findings.failures)} hostile {run} cases got a 5xx or a bad error:\n"
        + findings.report()
    )
