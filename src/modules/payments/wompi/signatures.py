"""Wompi's integrity signature and event checksum (see shared/reference/wompi.md)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any


class MalformedEvent(ValueError):
    """The event body lacks a field the checksum needs."""


def integrity_signature(
    reference: str,
    amount_in_cents: int,
    currency: str,
    secret: str,
    expiration_time: str | None = None,
) -> str:
    """sha256(reference + amount + currency [+ expiration] + integrity secret), hex."""
    parts = [reference, str(int(amount_in_cents)), currency]
    if expiration_time:
        parts.append(expiration_time)
    parts.append(secret)
    return hashlib.sha256("".join(parts).encode()).hexdigest()


def format_expiration(value: datetime) -> str:
    """ISO-8601 UTC with milliseconds, the format Wompi signs: 2023-06-09T20:28:50.000Z."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _render(value: Any) -> str:
    # The docs don't say how null renders; an empty string is the only sane reading.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve_path(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise MalformedEvent(f"missing property {path!r}")
        node = node[part]
    if isinstance(node, Mapping | list):
        raise MalformedEvent(f"property {path!r} is not a scalar")
    return node


def checksum_string(
    data: Mapping[str, Any], properties: Sequence[str], timestamp: int | str, secret: str
) -> str:
    values = "".join(_render(resolve_path(data, prop)) for prop in properties)
    return f"{values}{timestamp}{secret}"


def event_checksum(
    data: Mapping[str, Any], properties: Sequence[str], timestamp: int | str, secret: str
) -> str:
    """SHA-256 hex of the property values (read inside ``data``) + timestamp + secret."""
    return hashlib.sha256(checksum_string(data, properties, timestamp, secret).encode()).hexdigest()


def parse_signed_event(body: Any) -> tuple[dict[str, Any], list[str], str, int | str]:
    """Return (data, properties, checksum, timestamp) or raise MalformedEvent."""
    if not isinstance(body, dict):
        raise MalformedEvent("body is not an object")
    data = body.get("data")
    signature = body.get("signature")
    timestamp = body.get("timestamp")
    if not isinstance(data, dict) or not isinstance(signature, dict):
        raise MalformedEvent("data and signature are required")
    properties = signature.get("properties")
    checksum = signature.get("checksum")
    if (
        not isinstance(properties, list)
        or not properties
        or not all(isinstance(p, str) and p for p in properties)
    ):
        raise MalformedEvent("signature.properties must be a non-empty list of strings")
    if not isinstance(checksum, str) or not checksum:
        raise MalformedEvent("signature.checksum is required")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int | str) or timestamp == "":
        raise MalformedEvent("timestamp is required")
    if not isinstance(body.get("event"), str):
        raise MalformedEvent("event is required")
    return data, properties, checksum, timestamp


def _same(expected: str, given: str) -> bool:
    # bytes so a non-ASCII forgery cannot raise inside compare_digest
    return hmac.compare_digest(expected.lower().encode(), given.strip().lower().encode())


def verify_event(body: Any, secret: str, header_checksum: str | None = None) -> bool:
    """True if the body's checksum (and the X-Event-Checksum header, if sent) is valid.

    Raises MalformedEvent when a required field is missing. Comparison is constant-time
    and case-insensitive.
    """
    data, properties, checksum, timestamp = parse_signed_event(body)
    expected = event_checksum(data, properties, timestamp, secret)
    ok = _same(expected, checksum)
    if header_checksum:
        ok = _same(expected, header_checksum) and ok
    return bool(ok and secret)


def sign_event(body: dict[str, Any], secret: str) -> dict[str, Any]:
    """Fill ``signature.checksum`` of an event body in place (the sandbox emits events)."""
    sig = body["signature"]
    sig["checksum"] = event_checksum(body["data"], sig["properties"], body["timestamp"], secret)
    return body
