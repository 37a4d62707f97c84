"""Idempotency keys for POST endpoints that opt in.

    @router.post("/orders/", response={201: OrderOut})
    @idempotent("shop.create_order")
    def create_order(request, payload: OrderIn): ...

The same ``Idempotency-Key`` from the same user (and scope) replays the stored status
and body for 24 h (header ``Idempotent-Replayed: true``); the same key with a different
request body answers 409 ``idempotency_key_reused``. Concurrent duplicates run the view
once: the key row is inserted under a unique constraint before the view runs, and the
loser waits for the winner's stored response.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import json
import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.decorators import decorate_view

from platform_core.errors import Conflict, ValidationFailed

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
# Visible ASCII only (a UUID is typical): control characters such as NUL cannot be stored.
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1," + str(MAX_KEY_LENGTH) + "}$")


def _user_id(request: HttpRequest) -> int | None:
    for candidate in (getattr(request, "auth", None), getattr(request, "user", None)):
        if getattr(candidate, "is_authenticated", False) and getattr(candidate, "pk", None):
            return int(candidate.pk)
    return None


def request_fingerprint(request: HttpRequest) -> str:
    """sha256 of method, path, query and body (JSON canonicalised so key order does not
    matter; the query's parameters sorted). A query is part of the request (the waitlist's
    ``?accept_policy=true``): the same key with another query is another request."""
    body = request.body or b""
    with contextlib.suppress(ValueError):
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    target = request.path
    if request.GET:  # without a query the hash is what it always was (stored keys still match)
        target += "?" + urlencode(sorted(request.GET.lists()), doseq=True)
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b"\n" + target.encode() + b"\n" + body)
    return digest.hexdigest()


def _replay(row: Any) -> HttpResponse:
    response = HttpResponse(
        bytes(row.response_body or b""),
        status=row.status_code,
        content_type=row.content_type or "application/json",
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _claim(user_id: int, scope: str, key: str, fingerprint: str) -> Any:
    """Insert the key row (we own the work) or return the existing row."""
    from platform_core.models import IdempotencyKey

    now = timezone.now()
    stale_running = now - timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(
                    user_id=user_id, scope=scope, key=key, request_hash=fingerprint, created_at=now
                )
            return None
        except IntegrityError:
            row = IdempotencyKey.objects.filter(user_id=user_id, scope=scope, key=key).first()
            if row is None:
                continue  # deleted meanwhile: try to insert again
            expired = row.created_at < now - TTL
            abandoned = row.completed_at is None and row.created_at < stale_running
            if expired or abandoned:
                IdempotencyKey.objects.filter(pk=row.pk, created_at=row.created_at).delete()
                continue
            return row
    raise Conflict(_("No pudimos procesar la solicitud. Intenta de nuevo."))


def _await_result(row: Any) -> Any:
    from platform_core.models import IdempotencyKey

    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    while row is not None and row.completed_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
        row = IdempotencyKey.objects.filter(pk=row.pk).first()
    return row


def _remember_operation(run: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps the bound ``Operation.run`` so the view wrapper can render its result
    exactly as Ninja would (the operation bound to the API is only known here)."""
    operation = getattr(run, "__self__", None)

    @functools.wraps(run)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        request._sz_operation = operation  # type: ignore[attr-defined]
        return run(request, *args, **kwargs)

    return wrapped


_PARAMETER = "idempotency_key"


def _header_parameter() -> inspect.Parameter:
    from ninja import Header

    return inspect.Parameter(
        _PARAMETER,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=str | None,
        default=Header(
            None,
            alias=HEADER,
            min_length=1,
            max_length=MAX_KEY_LENGTH,
            pattern=_VALID_KEY.pattern,
            description=(
                "Makes a retry safe: the same key (and body) within 24 h replays the first "
                "answer (header Idempotent-Replayed: true) instead of acting twice; a "
                "different body answers 409 idempotency_key_reused. Use a fresh UUID v4 per "
                "user action (1-255 visible ASCII characters)."
            ),
            examples=["9f1c2b7e-4d3a-4e8b-9a61-0c2f5d7e8b14"],
        ),
    )


def idempotent(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for a Ninja POST view, placed UNDER ``@router.post(...)``."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            kwargs.pop(_PARAMETER, None)  # declared for the schema; read from the headers
            key = request.headers.get(HEADER, "").strip()
            user_id = _user_id(request)
            if not key or user_id is None:
                return view(request, *args, **kwargs)
            if not _VALID_KEY.match(key):
                raise ValidationFailed(
                    _("La llave de idempotencia debe tener de 1 a 255 caracteres visibles."),
                    code="invalid_idempotency_key",
                )
            return _run_once(view, request, scope, user_id, key, args, kwargs)

        # Ninja resolves string annotations (``from __future__ import annotations``) with
        # the wrapper's globals, which are this module's: hand it the resolved signature.
        # The header is declared as a parameter, so the schema shows it (with its rule) on
        # every operation that accepts it.
        with contextlib.suppress(NameError, TypeError):
            signature = inspect.signature(view, eval_str=True)
            wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
                parameters=[*signature.parameters.values(), _header_parameter()]
            )
        return decorate_view(_remember_operation)(wrapper)

    return decorator


def _run_once(
    view: Callable[..., Any],
    request: HttpRequest,
    scope: str,
    user_id: int,
    key: str,
    args: tuple,
    kwargs: dict,
) -> Any:
    from platform_core.models import IdempotencyKey

    fingerprint = request_fingerprint(request)
    existing = _claim(user_id, scope, key, fingerprint)
    if existing is not None:
        if existing.request_hash != fingerprint:
            raise Conflict(
                _("Esta llave de idempotencia ya se usó con otra solicitud."),
                code="idempotency_key_reused",
            )
        existing = _await_result(existing)
        if existing is None or existing.completed_at is None:
            raise Conflict(
                _("Una solicitud idéntica aún se está procesando. Intenta en unos segundos."),
                code="idempotency_request_in_progress",
            )
        return _replay(existing)

    claimed = IdempotencyKey.objects.filter(user_id=user_id, scope=scope, key=key)
    try:
        result = view(request, *args, **kwargs)
        # Render exactly as Ninja would, so the stored body is the one the client saw.
        operation = getattr(request, "_sz_operation", None)
        if operation is not None and not isinstance(result, HttpResponse):
            temporal = operation.api.create_temporal_response(request)
            response = operation._result_to_response(request, result, temporal)
        else:
            response = result
    except BaseException:
        # Nothing was stored: the client may retry with the same key.
        claimed.delete()
        raise
    if isinstance(response, HttpResponse) and response.status_code < 500:
        claimed.update(
            status_code=response.status_code,
            response_body=bytes(response.content),
            content_type=response.get("Content-Type", "application/json")[:100],
            completed_at=timezone.now(),
        )
    else:
        claimed.delete()
    return response


def prune_expired() -> int:
    from platform_core.models import IdempotencyKey

    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - TTL).delete()
    return deleted
