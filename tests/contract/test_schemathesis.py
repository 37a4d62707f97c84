"""Schema fuzzing: Schemathesis drives every operation of /api/openapi.json in-process (WSGI),
as a client and as staff, on the demo data. No response may be a 5xx, and every documented
response must match its schema and content type.

Path parameters are half the time replaced by real identifiers (taken from the list
endpoints after seeding, plus an appointment and an order the client creates), so detail
operations are exercised on real objects and not only on random UUIDs (404).

Runs in well under a minute; the number of examples per operation comes from
SCHEMATHESIS_MAX_EXAMPLES (default 12). Derandomized: the same code gives the same cases,
so CI is reproducible (set SCHEMATHESIS_SEED_RANDOM=1 to explore new inputs locally).
"""

from __future__ import annotations

import json
import os
import re
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import CHECKS as CHECK_REGISTRY
from schemathesis.checks import load_all_checks
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.openapi.checks import RejectedPositiveData
from scripts.contract.postman import _path_variables

from tests.factories import UserFactory

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))
REPORT_PATH = Path(os.environ.get("SCHEMATHESIS_REPORT", "var/schemathesis-report.txt"))
# Every status must be documented (errors included: the schema documents each operation's
# error responses), and every body, error bodies included, must match its schema.
load_all_checks()
# Every check Schemathesis has, except the stateful ones (they follow links between
# operations, which this schema does not declare): use_after_free,
# ensure_resource_availability, object_level_authorization.
STATEFUL_CHECKS = {"use_after_free", "ensure_resource_availability", "object_level_authorization"}
# Codes of the rules the schema states as a format Schemathesis cannot generate by itself in
# its coverage phase (it builds boundary strings from the pattern and ignores custom formats).
FORMAT_RULES = {
    "invalid_phone": "phone",
    "weak_password": "password",
    "card_rejected": "wompi-token",
}


def _rule_of_a_named_format(case: Any, response: Any) -> bool:
    """A 422 for a value the schema marks with a format that says it may be refused: the
    schema states the rule (docs/e2e.md, "Exclusions")."""
    if response.status_code != 422:
        return False
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return False
    formats = _formats_in(
        case.operation.definition.raw.get("requestBody") or {},
        case.operation.schema.raw_schema.get("components", {}).get("schemas", {}),
    )
    return FORMAT_RULES.get(code) in formats


def _formats_in(node: Any, components: dict[str, Any], seen: frozenset = frozenset()) -> set:
    """Every ``format`` in a schema fragment, following $refs to components."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        name = ref.rsplit("/", 1)[-1]
        if ref and name not in seen:
            found |= _formats_in(components.get(name, {}), components, seen | {name})
        if isinstance(node.get("format"), str):
            found.add(node["format"])
        for value in node.values():
            found |= _formats_in(value, components, seen)
    elif isinstance(node, list):
        for value in node:
            found |= _formats_in(value, components, seen)
    return found


def _a_stated_date_range(case: Any, response: Any) -> bool:
    """A 422 whose every detail is a date outside the range the schema states with
    ``formatMinimum``/``formatMaximum``, keywords Schemathesis does not generate from (it
    sends years 1 to 9999): the schema states the rule (docs/e2e.md, "Exclusions"); or text
    holding U+0000, which no input accepts."""
    if response.status_code != 422:
        return False
    try:
        details = response.json()["error"]["details"]
        kinds = {detail["type"] for detail in details}
    except (ValueError, KeyError, TypeError):
        return False
    # No text may hold U+0000 (docs/api.md "Supported ranges"): a rule of the whole API,
    # which JSON Schema could only state as a pattern on every string. A body may break it
    # and a stated date range at once (a random run did).
    if not details or kinds - {"date_out_of_range", "string_contains_nul"}:
        return False
    if kinds == {"string_contains_nul"}:
        return True
    components = case.operation.schema.raw_schema.get("components", {}).get("schemas", {})
    return "formatMinimum" in json.dumps(
        [case.operation.definition.raw, _formats_bodies(case, components)]
    )


def _formats_bodies(case: Any, components: dict[str, Any]) -> list[Any]:
    body = case.operation.definition.raw.get("requestBody") or {}
    refs = {part.rsplit("/", 1)[-1] for part in re.findall(r'"\$ref": "([^"]+)"', json.dumps(body))}
    return [components.get(name, {}) for name in refs]


def positive_data_acceptance(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis' check, except for rules stated as a format or a date range (above)."""
    try:
        return _positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if _rule_of_a_named_format(case, response) or _a_stated_date_range(case, response):
            return None
        raise


_checks = {c.__name__: c for c in CHECK_REGISTRY.get_all() if c.__name__ not in STATEFUL_CHECKS}
_positive_data_acceptance = _checks.pop("positive_data_acceptance")
CHECKS = [*_checks.values(), positive_data_acceptance]


# Formats the schema names beyond JSON Schema's (platform_core.schemas): which strings are
# valid phone numbers (libphonenumber) and acceptable new passwords (Django's validators)
# cannot be written as a pattern, so the fuzzer is told how to make valid ones; invalid ones
# still come from negative mode and must be refused.
schemathesis.openapi.format(
    "phone",
    st.integers(0, 9_999_999).flatmap(
        lambda n: st.sampled_from([f"+57300{n:07d}", f"300{n:07d}", f"+57 310 {n:07d}"])
    ),
)
schemathesis.openapi.format(
    "password", st.from_regex(r"[A-Za-z]{8,12}-[0-9]{2}[!#%]", fullmatch=True)
)
# A card token only Wompi can issue: the shape of one (the sandbox refuses it as unknown).
schemathesis.openapi.format(
    "wompi-token", st.from_regex(r"tok_test_[0-9]{5}_[a-f0-9]{12}", fullmatch=True)
)


def _bearer(user: Any) -> dict[str, str]:
    from ninja_jwt.tokens import RefreshToken

    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


def _get(client: Client, path: str, headers: dict[str, str]) -> Any:
    response = client.get(path, headers=headers)
    return response.json() if response.status_code == 200 else None


def _first_slot(client: Client, headers: dict[str, str]) -> tuple[str, str] | None:
    services = _get(client, "/api/booking/services?page_size=50", headers) or {"items": []}
    for service in services["items"]:
        start = date.today() + timedelta(days=3)
        body = _get(
            client,
            f"/api/booking/availability?service={service['code']}"
            f"&date_from={start}&date_to={start + timedelta(days=6)}",
            headers,
        )
        if body and body["slots"]:
            return service["code"], body["slots"][0]["start"]
    return None


def _make_client_objects(client: Client, headers: dict[str, str]) -> None:
    """An appointment and an order of the client's own, for detail/cancel operations."""
    slot = _first_slot(client, headers)
    if slot is not None:
        client.post(
            "/api/booking/appointments",
            data=json.dumps({"service": slot[0], "start": slot[1]}),
            content_type="application/json",
            headers=headers,
        )
    products = _get(client, "/api/shop/products?page_size=5", headers) or {"items": []}
    if products["items"]:
        client.post(
            "/api/shop/cart/items",
            data=json.dumps({"product_id": products["items"][0]["id"], "quantity": 1}),
            content_type="application/json",
            headers=headers,
        )
        client.post(
            "/api/shop/checkout",
            data=json.dumps({"fulfilment": "pickup"}),
            content_type="application/json",
            headers=headers,
        )


def _identifier_pool(
    openapi: dict[str, Any], client: Client, headers: list[dict[str, str]]
) -> dict[str, list[str]]:
    """Real values for each path variable, read from the parent list endpoints."""
    _, children = _path_variables(openapi)
    pool: dict[str, list[str]] = {}
    for parent, names in children.items():
        for auth in headers:
            body = _get(client, f"{parent}?page_size=5", auth)
            items = body.get("items", []) if isinstance(body, dict) else (body or [])
            for item in items if isinstance(items, list) else []:
                for name in names:
                    for key in (name, "id", "public_id", "code", "slug"):
                        if isinstance(item, dict) and item.get(key) is not None:
                            values = pool.setdefault(name, [])
                            if str(item[key]) not in values:
                                values.append(str(item[key]))
                            break
    return pool


@pytest.fixture
def fuzz_context(db: Any, settings: Any) -> Iterator[dict[str, Any]]:
    settings.RATELIMIT_ENABLED = False  # one loopback client; limits have their own tests
    settings.DEBUG = True  # the development outbox is part of the schema
    # Fast hashing: fuzzing sends hundreds of logins; the hasher is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    client_user = UserFactory(phone_number="+573109990001", roles=["client"])
    staff_user = UserFactory(phone_number="+573109990002", roles=["admin"], is_staff=True)
    # Anonymous too: authenticated operations answer 401, and that body is checked as well.
    auth = {"client": _bearer(client_user), "staff": _bearer(staff_user), "anonymous": {}}
    http = Client()
    _make_client_objects(http, auth["client"])
    openapi = http.get("/api/openapi.json").json()
    yield {
        "auth": auth,
        "pool": _identifier_pool(openapi, http, list(auth.values())),
        "stats": Counter(),  # generated cases, and responses by status class
    }


def _headline(failure: str) -> str:
    """'as client: ST101 Server error [500]' out of a Schemathesis failure text."""
    role = failure.split(":", 1)[0]
    titles = re.findall(r"^- (.+)$", failure, flags=re.MULTILINE)
    statuses = re.findall(r"^\[(\d{3})\]", failure, flags=re.MULTILINE)
    return f"{role}: {', '.join(titles) or failure.splitlines()[-1][:120]} {statuses[:1]}"


def _real_identifiers(case: Any, pool: dict[str, list[str]]) -> None:
    """Half the generated path parameters become real identifiers (deterministically). Not
    in a case whose path is invalid on purpose: a real id there turns it into a valid request,
    which the negative-data check then reports as accepted (ST201)."""
    meta = getattr(case, "meta", None)
    if meta is not None and meta.is_negative_at(ParameterLocation.PATH):
        return
    for name, value in dict(case.path_parameters or {}).items():
        values = pool.get(name)
        digest = zlib.crc32(repr(value).encode())
        if values and digest % 2 == 0:
            case.path_parameters[name] = values[digest // 2 % len(values)]


def _fuzz_operation(operation: Any, context: dict[str, Any]) -> list[str]:
    """Run Schemathesis' three phases on one operation: the schema's examples, the coverage
    phase (boundary values of every field and parameter, missing required ones, wrong types,
    unsupported methods, other content types) and random fuzzing in positive and negative
    mode. Return readable failures (empty when it holds)."""
    failures: list[str] = []

    roles = list(context["auth"].items())
    public = not operation.definition.raw.get("security")

    def run(case: Any) -> None:
        _real_identifiers(case, context["pool"])
        # Each case of an authenticated operation is sent as a client, as staff and
        # anonymously; a public operation's cases take the three identities in turn (the
        # token changes nothing there but the cost), so each identity still meets each one.
        context["stats"]["cases"] += 1
        turn = context["stats"]["cases"] % len(roles)
        # A case whose headers are invalid on purpose (e.g. Authorization left out) is sent
        # with its own headers only: adding a token would make it a valid request, which the
        # negative-data check reports as accepted (ST201).
        negative_headers = case.meta is not None and case.meta.is_negative_at(
            ParameterLocation.HEADER
        )
        for role, headers in roles[turn : turn + 1] if public else roles:
            try:
                response = case.call_and_validate(
                    headers=None if negative_headers else headers, checks=CHECKS
                )
                context["stats"][f"{response.status_code // 100}xx"] += 1
            except BaseException as exc:  # noqa: BLE001 - collected and reported below
                if len(failures) < 3:
                    failures.append(f"as {role}: {case.method} {case.formatted_path}\n{exc}")

    test = create_test(
        operation=operation,
        test_func=run,
        config=HypothesisTestConfig(
            project=operation.schema.config,
            modes=list(HypothesisTestMode),
            settings=hypothesis_settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                derandomize=not os.environ.get("SCHEMATHESIS_SEED_RANDOM"),
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],
            ),
        ),
    )
    _cap_coverage(test)
    test()
    return failures


# The coverage phase makes a case per boundary of every field: hundreds for the sign-up body.
# All request-shape probes (unsupported methods, content types, missing parameters) are kept;
# of the value boundaries, an even sample of at most MAX_COVERAGE per operation
# (SCHEMATHESIS_MAX_COVERAGE=0 keeps them all).
MAX_COVERAGE = int(os.environ.get("SCHEMATHESIS_MAX_COVERAGE", "40"))
SHAPE_PROBES = {"unspecified_http_method", "malformed_content_type", "unsupported_content_type"}
SHAPE_PROBES |= {"missing_parameter", "object_unexpected_properties"}


def _scenario(example: Any) -> str:
    data = getattr(
        getattr(getattr(example.kwargs.get("case"), "meta", None), "phase", None), "data", None
    )
    return str(getattr(data, "scenario", ""))


def _cap_coverage(test: Any) -> None:
    examples = getattr(test, "hypothesis_explicit_examples", None)
    if not examples or not MAX_COVERAGE:
        return
    values = [e for e in examples if _scenario(e) and _scenario(e) not in SHAPE_PROBES]
    if len(values) <= MAX_COVERAGE:
        return
    step = len(values) / MAX_COVERAGE
    kept = {id(values[int(i * step)]) for i in range(MAX_COVERAGE)}
    value_ids = {id(e) for e in values}
    examples[:] = [e for e in examples if id(e) in kept or id(e) not in value_ids]


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """Requests through the WSGI handler must not close the test transaction's connection
    (django.test.Client does the same)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_every_operation_conforms_to_its_schema(
    fuzz_context: dict[str, Any], keep_test_connection: None
) -> None:
    from django.core.wsgi import get_wsgi_application

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    report: dict[str, list[str]] = {}
    operations = 0
    timings: dict[str, float] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        started = time.monotonic()
        failures = _fuzz_operation(operation, fuzz_context)
        timings[operation.label] = time.monotonic() - started
        if failures:
            report[operation.label] = failures
    slowest = sorted(timings.items(), key=lambda kv: -kv[1])[:5]
    print("slowest operations:", ", ".join(f"{k} {v:.1f}s" for k, v in slowest))
    stats = fuzz_context["stats"]
    print(
        f"{operations} operations, {stats['cases']} cases x {len(fuzz_context['auth'])} roles:",
        ", ".join(f"{k} {v}" for k, v in sorted(stats.items()) if k != "cases"),
    )
    assert operations > 10
    full = "\n\n".join(f"{label}:\n" + "\n".join(items) for label, items in sorted(report.items()))
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text(full or "no failures\n", encoding="utf-8")
    summary = [
        f"{label}: " + "; ".join(sorted({_headline(item) for item in items}))
        for label, items in sorted(report.items())
    ]
    assert not report, (
        f"{len(report)} of {operations} operations fail (full report in {REPORT_PATH}):\n"
        + "\n".join(summary)
    )
