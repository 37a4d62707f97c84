"""The current request id and client IP, readable anywhere (logs, audit, Sentry, Celery
headers) without passing the request down through every service call."""

from __future__ import annotations

import contextvars
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_client_ip: contextvars.ContextVar[str] = contextvars.ContextVar("client_ip", default="")


def get_request_id() -> str:
    return _request_id.get()


def set_request_id(value: str | None = None) -> contextvars.Token[str]:
    return _request_id.set(value or uuid.uuid4().hex)


def reset_request_id(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)


def get_client_ip() -> str:
    """The current request's client IP ("" outside a request)."""
    return _client_ip.get()


def set_client_ip(value: str) -> contextvars.Token[str]:
    return _client_ip.set(value)


def reset_client_ip(token: contextvars.Token[str]) -> None:
    _client_ip.reset(token)
