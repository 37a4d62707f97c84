"""Build a Postman v2.1 collection from the OpenAPI schema, deterministically.

Layout of the collection:

1. ``00 · Session`` — the flow a frontend follows: health, sign up, read the OTP from the
   DEBUG-only development outbox (``GET /api/core/dev/outbox/``), verify (tokens), log in,
   refresh. It stores ``access_token``/``refresh_token`` in collection variables; every other
   request authenticates with ``Authorization: Bearer {{access_token}}`` (collection auth).
2. One folder per OpenAPI tag with every other operation, an example body built from the
   schema, and tests: never a 5xx, the status is one the schema documents for that operation
   (errors included: every operation documents its error responses), an error body has the
   ``{"error": {...}}`` shape, the required keys of a 2xx body are present.
   A list request stores the first item's id in the variable its detail requests use.
3. ``99 · Teardown`` — the requests that end the session (logout, erasure) run last.

Nothing here reads the clock or a random source, so the same schema gives the same file.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

POSTMAN_SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
COLLECTION_NAME = "StudioZens API"
METHOD_ORDER = ("get", "post", "put", "patch", "delete")
PLACEHOLDER_UUID = "00000000-0000-4000-8000-000000000000"

# The session flow. The collection cannot run without these operations, so their absence
# from the schema is an error rather than a silently shorter collection.
HEALTH = ("get", "/api/core/health/")
REGISTER = ("post", "/api/users/register/")
OUTBOX = ("get", "/api/core/dev/outbox/")
VERIFY = ("post", "/api/users/verify/")
LOGIN = ("post", "/api/users/token/")
REFRESH = ("post", "/api/users/token/refresh/")
SESSION_OPERATIONS = (HEALTH, REGISTER, OUTBOX, VERIFY, LOGIN, REFRESH)
# Requests that end the session run after everything else.
TEARDOWN_OPERATIONS = (("post", "/api/users/logout/"), ("delete", "/api/users/me/"))
# Webhooks are called by providers with their own signatures, not by frontends; their
# requests document the shape and expect the signature check's 4xx.

# Body fields filled from collection variables rather than from schema examples.
FIELD_VARIABLES = {
    "phone_number": "{{phone}}",
    "password": "{{password}}",
    "refresh": "{{refresh_token}}",
    "start": "{{slot_start}}",
}
# Values read from one response for the requests after it (JSON pointer as a tuple).
FLOW_CAPTURES: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("get", "/api/booking/availability/"): {"slot_start": ("slots", "0", "start")},
}


class SchemaError(ValueError):
    """The schema lacks something the collection needs."""


# --- JSON-schema helpers ------------------------------------------------------------------------
def _resolve(schema: Mapping[str, Any], node: Any, depth: int = 0) -> Any:
    """Follow a local $ref (#/components/...)."""
    while isinstance(node, Mapping) and "$ref" in node and depth < 50:
        parts = node["$ref"].lstrip("#/").split("/")
        target: Any = schema
        for part in parts:
            target = target[part]
        node = target
        depth += 1
    return node


def _first_concrete(schema: Mapping[str, Any], options: Iterable[Any]) -> Any:
    options = [_resolve(schema, o) for o in options]
    for option in options:
        if isinstance(option, Mapping) and option.get("type") != "null":
            return option
    return options[0] if options else {}


def _string_example(node: Mapping[str, Any], name: str) -> str:
    fmt = node.get("format", "")
    by_format = {
        "date-time": "2030-01-15T10:00:00-05:00",
        "date": "2030-01-15",
        "time": "10:00:00",
        "uuid": PLACEHOLDER_UUID,
        "email": "cliente@example.com",
        "uri": "https://example.com/",
        "binary": "",
    }
    if fmt in by_format:
        return by_format[fmt]
    lowered = name.lower()
    if "email" in lowered:
        return "cliente@example.com"
    if "phone" in lowered:
        return "+573001234567"
    if lowered.endswith("_at") or lowered in {"start", "end", "starts_at", "ends_at"}:
        return "2030-01-15T10:00:00-05:00"
    if lowered.startswith("date") or lowered.endswith("date"):
        return "2030-01-15"
    text = name.replace("_", " ").strip() or "texto"
    min_length = int(node.get("minLength", 0) or 0)
    max_length = node.get("maxLength")
    if len(text) < min_length:
        text = (text + " ") * (min_length // max(len(text), 1) + 1)
    if max_length is not None:
        text = text[: int(max_length)]
    return text


def example_for(
    schema: Mapping[str, Any],
    node: Any,
    *,
    name: str = "",
    variables: Mapping[str, str] = FIELD_VARIABLES,
    depth: int = 0,
) -> Any:
    """A deterministic example value for a JSON-schema node."""
    node = _resolve(schema, node)
    if not isinstance(node, Mapping) or depth > 8:
        return None
    if name in variables:
        return variables[name]
    for key in ("example", "const"):
        if key in node:
            return node[key]
    # A body's own example (platform_core.schemas.body_example) is for readers; the collection
    # builds bodies field by field so the flow's variables (phone, slot, codes) fill them.
    if node.get("examples") and "properties" not in node:
        return node["examples"][0]
    if "default" in node:  # an optional field: its default (None included) is the example
        return node["default"]
    if node.get("enum"):
        return node["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in node:
            return example_for(
                schema,
                _first_concrete(schema, node[key]),
                name=name,
                variables=variables,
                depth=depth + 1,
            )
    if "allOf" in node:
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            value = example_for(schema, part, name=name, variables=variables, depth=depth + 1)
            if isinstance(value, dict):
                merged.update(value)
            elif value is not None:
                return value
        return merged
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in node:
        # Optional properties without a default (None, stripped from the schema) are left out:
        # sending a placeholder for them would change the request's meaning.
        required = set(node.get("required", []))
        return {
            prop: example_for(schema, sub, name=prop, variables=variables, depth=depth + 1)
            for prop, sub in node.get("properties", {}).items()
            if prop in required or "default" in _resolve(schema, sub)
        }
    if kind == "array":
        return [example_for(schema, node.get("items", {}), name=name, depth=depth + 1)]
    if kind == "integer":
        if "minimum" in node:
            return int(node["minimum"])
        if "exclusiveMinimum" in node:
            return int(node["exclusiveMinimum"]) + 1
        return 1
    if kind == "number":
        return node.get("minimum", 1)
    if kind == "boolean":
        return True
    if kind == "string":
        return _string_example(node, name)
    return None


def _body_schema(operation: Mapping[str, Any]) -> tuple[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    for media in ("application/json", "multipart/form-data", "application/x-www-form-urlencoded"):
        if media in content:
            return media, content[media].get("schema", {})
    return None


def _success_status(operation: Mapping[str, Any]) -> int | None:
    codes = sorted(int(c) for c in operation.get("responses", {}) if c.isdigit())
    return next((c for c in codes if 200 <= c < 300), None)


def _required_keys(schema: Mapping[str, Any], operation: Mapping[str, Any], status: int) -> list:
    response = operation.get("responses", {}).get(str(status), {})
    body = response.get("content", {}).get("application/json", {}).get("schema")
    body = _resolve(schema, body)
    if not isinstance(body, Mapping) or body.get("type") not in (None, "object"):
        return []
    return sorted(body.get("required", []))


def _is_public(operation: Mapping[str, Any]) -> bool:
    return not operation.get("security")


# --- Postman building blocks --------------------------------------------------------------------
def _script(lines: list[str]) -> list[str]:
    return [line for line in lines if line is not None]


def _test_event(lines: list[str]) -> dict[str, Any]:
    return {"listen": "test", "script": {"type": "text/javascript", "exec": _script(lines)}}


def _prerequest_event(lines: list[str]) -> dict[str, Any]:
    return {"listen": "prerequest", "script": {"type": "text/javascript", "exec": _script(lines)}}


def _path_variable_name(segment: str) -> str:
    return segment[1:-1].split(":")[-1]


def _url(path: str, query: list[dict[str, Any]]) -> dict[str, Any]:
    segments = [s for s in path.split("/") if s]
    postman_segments = []
    variables = []
    for segment in segments:
        if segment.startswith("{") and segment.endswith("}"):
            var = _path_variable_name(segment)
            postman_segments.append(f":{var}")
            variables.append({"key": var, "value": f"{{{{{var}}}}}"})
        else:
            postman_segments.append(segment)
    raw = "{{baseUrl}}/" + "/".join(postman_segments) + ("/" if path.endswith("/") else "")
    enabled = [q for q in query if not q.get("disabled")]
    if enabled:
        raw += "?" + "&".join(f"{q['key']}={q['value']}" for q in enabled)
    url: dict[str, Any] = {
        "raw": raw,
        "host": ["{{baseUrl}}"],
        "path": postman_segments + ([""] if path.endswith("/") else []),
    }
    if query:
        url["query"] = query
    if variables:
        url["variable"] = variables
    return url


def _resource_variables(children: Mapping[str, list[str]]) -> dict[str, str]:
    """Field names that mean "an id of that resource": the path variables themselves, and the
    singular of a list's last segment (``service`` -> the ``code`` of /booking/services/{code})."""
    aliases: dict[str, str] = {}
    for parent, names in sorted(children.items()):
        for name in names:
            if name.endswith("_id"):  # "code" or "reference" in a body mean something else
                aliases.setdefault(name, f"{{{{{name}}}}}")
        resource = parent.rstrip("/").rsplit("/", 1)[-1]
        if resource.endswith("s") and len(names) == 1:
            aliases.setdefault(resource[:-1], f"{{{{{names[0]}}}}}")
    return aliases


def _date_variable(param: Mapping[str, Any], node: Mapping[str, Any]) -> str | None:
    """Dates in queries are relative to the run (see the collection's pre-request script)."""
    if node.get("format") != "date" and "date" not in param["name"]:
        return None
    name = param["name"].lower()
    return "{{next_week}}" if name.endswith(("_to", "until", "end")) else "{{today}}"


def _query(
    schema: Mapping[str, Any], operation: Mapping[str, Any], variables: Mapping[str, str]
) -> list[dict[str, Any]]:
    query = []
    for param in operation.get("parameters", []):
        param = _resolve(schema, param)
        if param.get("in") != "query":
            continue
        name = param["name"]
        node = _resolve(schema, param.get("schema", {}))
        date_variable = _date_variable(param, node)
        if name in variables:
            value: Any = variables[name]
        elif date_variable:
            value = date_variable
        else:
            value = example_for(schema, node, name=name, variables={})
        if isinstance(value, bool):
            value = "true" if value else "false"
        entry: dict[str, Any] = {"key": name, "value": "" if value is None else str(value)}
        if not param.get("required"):
            entry["disabled"] = True
        if param.get("description"):
            entry["description"] = param["description"]
        query.append(entry)
    return query


def _status_tests(
    schema: Mapping[str, Any],
    method: str,
    path: str,
    operation: Mapping[str, Any],
) -> list[str]:
    documented = sorted({int(c) for c in operation.get("responses", {}) if c.isdigit()})
    allowed = documented  # the schema documents each operation's errors too
    success = _success_status(operation)
    lines = [
        "pm.test('never a server error', function () {",
        "    pm.expect(pm.response.code).to.be.below(500);",
        "});",
        f"pm.test('status is documented ({', '.join(map(str, allowed))})', function () {{",
        f"    pm.expect(pm.response.code).to.be.oneOf({json.dumps(allowed)});",
        "});",
    ]
    has_path_vars = "{" in path
    if method == "get" and not has_path_vars and success is not None:
        # Nothing in the request can be wrong: a public read must succeed; an authenticated
        # one succeeds, is refused for the role (staff-only lists) or finds nothing of the
        # user's yet (a singleton such as "my VIP membership").
        expected = [success] if _is_public(operation) else [success, 403, 404]
        lines += [
            f"pm.test('status is {' or '.join(map(str, expected))}', function () {{",
            f"    pm.expect(pm.response.code).to.be.oneOf({json.dumps(expected)});",
            "});",
        ]
    if success is not None:
        required = _required_keys(schema, operation, success)
        if required:
            lines += [
                f"if (pm.response.code === {success}) {{",
                "    pm.test('2xx body has the documented keys', function () {",
                "        const body = pm.response.json();",
                f"        pm.expect(body).to.include.all.keys({json.dumps(required)});",
                "    });",
                "}",
            ]
    return lines


def _creation_capture(path_vars: set[str], path: str, children: dict[str, list[str]]) -> list[str]:
    """After a 2xx write: store the ids of what it created (``{"order": {"id"}}`` -> order_id,
    or the body's own id for the variable of this path's detail requests)."""
    direct = children.get(path, [])
    lines = [
        "if (pm.response.code >= 200 && pm.response.code < 300 && pm.response.text()) {",
        "    const body = pm.response.json();",
        f"    const known = {json.dumps(sorted(path_vars))};",
        "    Object.keys(body || {}).forEach(function (key) {",
        "        const value = body[key];",
        "        if (value && typeof value === 'object' && value.id !== undefined",
        "                && known.indexOf(key + '_id') >= 0) {",
        "            pm.collectionVariables.set(key + '_id', String(value.id));",
        "        }",
        "    });",
    ]
    for name in direct:
        lines.append(
            f"    if (body && body.id !== undefined) {{ pm.collectionVariables.set("
            f"{json.dumps(name)}, String(body.id)); }}"
        )
    lines.append("}")
    return lines


def _flow_capture(method: str, path: str) -> list[str]:
    lines = []
    for variable, pointer in FLOW_CAPTURES.get((method, path), {}).items():
        expression = "body" + "".join(
            f"[{json.dumps(p) if not p.isdigit() else p}]" for p in pointer
        )
        lines += [
            "if (pm.response.code === 200) {",
            "    const body = pm.response.json();",
            "    try {",
            f"        pm.collectionVariables.set({json.dumps(variable)}, String({expression}));",
            "    } catch (e) { /* nothing to capture: the next requests answer 4xx */ }",
            "}",
        ]
    return lines


def _capture_script(children: dict[str, list[str]], path: str) -> list[str]:
    """After a list request: store the first item's identifiers for its detail requests."""
    names = children.get(path, [])
    if not names:
        return []
    lines = [
        "if (pm.response.code === 200) {",
        "    const body = pm.response.json();",
        "    const first = Array.isArray(body) ? body[0] : (body.items || [])[0];",
        "    if (first) {",
    ]
    for name in names:
        candidates = [name, "id", "public_id", "code", "slug"]
        lines.append(
            f"        const v_{name} = {json.dumps(candidates)}"
            ".map(function (k) { return first[k]; })"
            ".find(function (v) { return v !== undefined && v !== null; });"
        )
        lines.append(
            f"        if (v_{name} !== undefined) {{ pm.collectionVariables.set("
            f"{json.dumps(name)}, String(v_{name})); }}"
        )
    lines += ["    }", "}"]
    return lines


def _request_item(
    schema: Mapping[str, Any],
    method: str,
    path: str,
    operation: Mapping[str, Any],
    *,
    path_vars: set[str],
    children: dict[str, list[str]],
    variables: Mapping[str, str] | None = None,
    body_override: Any = None,
    query_override: list[dict[str, Any]] | None = None,
    extra_tests: list[str] | None = None,
    prerequest: list[str] | None = None,
) -> dict[str, Any]:
    summary = operation.get("summary") or operation.get("operationId", "")
    request: dict[str, Any] = {
        "method": method.upper(),
        "header": [{"key": "Accept", "value": "application/json"}],
        "url": _url(
            path,
            query_override
            if query_override is not None
            else _query(schema, operation, variables or {}),
        ),
        "description": (operation.get("description") or summary).strip(),
    }
    if _is_public(operation):
        request["auth"] = {"type": "noauth"}
    body = _body_schema(operation)
    if body is not None:
        media, body_node = body
        value = (
            body_override
            if body_override is not None
            else example_for(
                schema, body_node, name="", variables={**(variables or {}), **FIELD_VARIABLES}
            )
        )
        if media == "application/json":
            request["header"].append({"key": "Content-Type", "value": "application/json"})
            request["body"] = {
                "mode": "raw",
                # Sorted like the schema file, so the text is the same however it was loaded.
                "raw": json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True),
                "options": {"raw": {"language": "json"}},
            }
        else:
            fields = value if isinstance(value, dict) else {}
            mode = "formdata" if media == "multipart/form-data" else "urlencoded"
            request["body"] = {
                "mode": mode,
                mode: [
                    {"key": k, "value": "" if v is None else str(v), "type": "text"}
                    for k, v in fields.items()
                ],
            }
    tests = _status_tests(schema, method, path, operation)
    if method == "get":
        tests += _capture_script(children, path)
    elif method in ("post", "put") and "{" not in path:
        tests += _creation_capture(path_vars, path, children)
    tests += _flow_capture(method, path)
    tests += extra_tests or []
    events = []
    if prerequest:
        events.append(_prerequest_event(prerequest))
    events.append(_test_event(tests))
    return {
        "name": f"{method.upper()} {path} — {summary}",
        "request": request,
        "event": events,
        "response": [],
    }


def _flow_rank(
    method: str, path: str, operation: Mapping[str, Any], variables: Mapping[str, str]
) -> int:
    """Reads of existing data first (they set the ids), then reads that need those ids in
    their query, then writes that create things, then everything on a specific object, then
    bulk deletes."""
    if "{" in path:
        return 3
    if method == "get":
        needs = any(
            p.get("in") == "query" and p.get("required") and p.get("name") in variables
            for p in operation.get("parameters", [])
        )
        return 1 if needs else 0
    return 4 if method == "delete" else 2


def _operations(
    schema: Mapping[str, Any], variables: Mapping[str, str] | None = None
) -> list[tuple[str, str, Mapping[str, Any]]]:
    ops = []
    for path in sorted(schema.get("paths", {})):
        item = schema["paths"][path]
        for method in METHOD_ORDER:
            if method in item:
                ops.append((method, path, item[method]))
    return sorted(
        ops,
        key=lambda op: (
            _flow_rank(op[0], op[1], op[2], variables or {}),
            op[1],
            METHOD_ORDER.index(op[0]),
        ),
    )


def _path_variables(schema: Mapping[str, Any]) -> tuple[set[str], dict[str, list[str]]]:
    """All path-variable names, and for each list path the variables its children use."""
    names: set[str] = set()
    children: dict[str, list[str]] = {}
    get_paths = {p for p, item in schema.get("paths", {}).items() if "get" in item}
    for path in sorted(schema.get("paths", {})):
        segments = path.rstrip("/").split("/")
        for i, segment in enumerate(segments):
            if segment.startswith("{") and segment.endswith("}"):
                var = _path_variable_name(segment)
                names.add(var)
                parent = "/".join(segments[:i])
                for candidate in (parent, parent + "/"):
                    if candidate in get_paths and var not in children.setdefault(candidate, []):
                        children[candidate].append(var)
    return names, children


def _session_folder(
    schema: Mapping[str, Any], path_vars: set[str], children: dict[str, list[str]]
) -> dict[str, Any]:
    paths = schema.get("paths", {})
    missing = [f"{m.upper()} {p}" for m, p in SESSION_OPERATIONS if m not in paths.get(p, {})]
    if missing:
        raise SchemaError(f"the session flow needs {', '.join(missing)}")

    def item(op: tuple[str, str], **kwargs: Any) -> dict[str, Any]:
        method, path = op
        return _request_item(
            schema,
            method,
            path,
            paths[path][method],
            path_vars=path_vars,
            children=children,
            **kwargs,
        )

    register = item(
        REGISTER,
        body_override={
            "phone_number": "{{phone}}",
            "password": "{{password}}",
            "first_name": "Ana",
            "last_name": "Pruebas",
            "email": "",
            "accept_terms": True,
            "accept_data_policy": True,
        },
        prerequest=[
            "// A fresh Colombian mobile number per run, so the sign-up never collides.",
            "const digits = String(Math.floor(Math.random() * 1e7)).padStart(7, '0');",
            "pm.collectionVariables.set('phone', '+57300' + digits);",
            "pm.collectionVariables.set('phone_query', encodeURIComponent('+57300' + digits));",
        ],
        extra_tests=[
            "pm.test('sign-up accepted', function () { pm.response.to.have.status(202); });"
        ],
    )
    outbox = item(
        OUTBOX,
        query_override=[
            {"key": "to", "value": "{{phone_query}}"},
            {"key": "page_size", "value": "5"},
        ],
        extra_tests=[
            "pm.test('the OTP is in the development outbox (DEBUG)', function () {",
            "    pm.response.to.have.status(200);",
            "    const items = pm.response.json().items;",
            "    pm.expect(items.length).to.be.above(0);",
            "    const match = /\\b(\\d{4,8})\\b/.exec(items[0].body);",
            "    pm.expect(match, 'a numeric code in the message').to.not.equal(null);",
            "    pm.collectionVariables.set('otp_code', match[1]);",
            "});",
        ],
    )
    store_tokens = [
        "pm.test('returns a token pair', function () {",
        "    pm.response.to.have.status(200);",
        "    const body = pm.response.json();",
        "    pm.expect(body.access).to.be.a('string').and.not.empty;",
        "    pm.expect(body.refresh).to.be.a('string').and.not.empty;",
        "    pm.collectionVariables.set('access_token', body.access);",
        "    pm.collectionVariables.set('refresh_token', body.refresh);",
        "});",
    ]
    verify = item(
        VERIFY,
        body_override={"phone_number": "{{phone}}", "code": "{{otp_code}}"},
        extra_tests=store_tokens,
    )
    login = item(
        LOGIN,
        body_override={"phone_number": "{{phone}}", "password": "{{password}}"},
        extra_tests=store_tokens,
    )
    refresh = item(
        REFRESH, body_override={"refresh": "{{refresh_token}}"}, extra_tests=store_tokens
    )
    return {
        "name": "00 · Session",
        "description": (
            "Sign up, read the OTP from the development outbox (DEBUG only; in production the "
            "code arrives by SMS/WhatsApp), verify, log in and refresh. Sets access_token."
        ),
        "item": [item(HEALTH), register, outbox, verify, login, refresh],
    }


def build_collection(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The whole collection for an OpenAPI schema (dict in, dict out; no I/O)."""
    path_vars, children = _path_variables(schema)
    variables = _resource_variables(children)
    session = _session_folder(schema, path_vars, children)
    skip = set(SESSION_OPERATIONS) | set(TEARDOWN_OPERATIONS)
    folders: dict[str, list[dict[str, Any]]] = {}
    teardown = []
    for method, path, operation in _operations(schema, variables):
        if (method, path) in skip and (method, path) not in TEARDOWN_OPERATIONS:
            continue
        request = _request_item(
            schema,
            method,
            path,
            operation,
            path_vars=path_vars,
            children=children,
            variables=variables,
        )
        if (method, path) in TEARDOWN_OPERATIONS:
            teardown.append(request)
            continue
        tag = (operation.get("tags") or ["default"])[0]
        folders.setdefault(tag, []).append(request)

    items = [session]
    items += [{"name": tag, "item": folders[tag]} for tag in sorted(folders)]
    if teardown:
        items.append({"name": "99 · Teardown", "item": teardown})
    info = schema.get("info", {})
    variables = [
        {"key": "access_token", "value": ""},
        {"key": "refresh_token", "value": ""},
        {"key": "otp_code", "value": ""},
        {"key": "phone", "value": ""},
        {"key": "phone_query", "value": ""},
        {"key": "today", "value": ""},
        {"key": "next_week", "value": ""},
        {"key": "slot_start", "value": "2030-01-15T10:00:00-05:00"},
    ]
    variables += [
        {"key": name, "value": PLACEHOLDER_UUID} for name in sorted(path_vars - {"phone"})
    ]
    return {
        "info": {
            "_postman_id": str(uuid.uuid5(uuid.NAMESPACE_URL, "studiozens/postman/collection")),
            "name": COLLECTION_NAME,
            "description": (
                f"{info.get('description', '')}\n\nGenerated from docs/openapi.json "
                f"(API {info.get('version', '')}) by scripts/contract/postman.py — do not edit; "
                "run `make contract`."
            ).strip(),
            "schema": POSTMAN_SCHEMA,
        },
        "auth": {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{access_token}}", "type": "string"}],
        },
        "event": [
            _prerequest_event(
                [
                    "// Dates relative to the run, on Bogotá's calendar (UTC-5, no DST).",
                    "const bogota = new Date(Date.now() - 5 * 3600 * 1000);",
                    "const day = function (offset) {",
                    "    const d = new Date(bogota.getTime() + offset * 86400 * 1000);",
                    "    return d.toISOString().slice(0, 10);",
                    "};",
                    "pm.collectionVariables.set('today', day(1));",
                    "pm.collectionVariables.set('next_week', day(7));",
                ]
            ),
            _test_event(
                [
                    '// Every error has the one shape {"error": {code, message, details}}.',
                    "if (pm.response.code >= 400) {",
                    "    pm.test('error body has the one shape', function () {",
                    "        const body = pm.response.json();",
                    "        pm.expect(body).to.have.property('error');",
                    "        const keys = ['code', 'message', 'details'];",
                    "        pm.expect(body.error).to.include.all.keys(keys);",
                    "    });",
                    "}",
                ]
            ),
        ],
        "variable": variables,
        "item": items,
    }


def build_environment() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "studiozens/postman/environment/local")),
        "name": "StudioZens local",
        "values": [
            {
                "key": "baseUrl",
                "value": "http://127.0.0.1:8000",
                "type": "default",
                "enabled": True,
            },
            {"key": "password", "value": "Zen-Clave-2030!", "type": "secret", "enabled": True},
        ],
        "_postman_variable_scope": "environment",
    }


if __name__ == "__main__":
    import sys

    print(__doc__.strip() + "\n\nA library of scripts/contract/generate.py: run that instead.")
    sys.exit(0 if {"-h", "--help"} & set(sys.argv[1:]) else 2)
