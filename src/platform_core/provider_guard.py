"""No provider call while a transaction holds row locks (Wompi, Twilio, Gemini).

A call to a provider can take seconds (timeouts, retries, backoff). Made inside a transaction
it keeps every row that transaction locked (``select_for_update``, and every row it updated)
locked for that long: other requests queue behind it, and a slow provider becomes a stalled
spa. The rule (docs/architecture.md): decide under the lock, commit, call the provider, record
the result in a second short transaction.

The local adapters that stand in for the providers in development and tests (Wompi's
in-process sandbox, the memory and console messaging adapters, the Twilio and Gemini fakes)
call :func:`check` on every request, so a call made under a lock fails loudly there instead of
passing unnoticed.

"Holds row locks" is read as "inside an atomic block the code itself opened": a transaction
is the only place a row lock lives, and nothing in this project locks rows outside one. The
atomic blocks a test framework opens around each test (Django's ``TestCase`` and
pytest-django's ``db`` fixture mark theirs ``_from_testcase``) are the test's baseline, not
the code's, and do not count. Violations are also remembered (:func:`violations`), because a
caller may catch the error (a provider failure is often an expected, handled case): the test
suite fails any test during which one happened.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections


class ProviderCallUnderLock(AssertionError):
    """A provider was called inside a transaction the code opened (row locks held)."""


_lock = threading.Lock()
_violations: list[str] = []


def open_atomic_blocks(using: str = DEFAULT_DB_ALIAS) -> int:
    """How many atomic blocks the code (not a test framework) has open on this thread's
    connection: 0 when a provider call is allowed."""
    connection = connections[using]
    if not connection.in_atomic_block:
        return 0
    return sum(1 for block in connection.atomic_blocks if not _from_test_framework(block))


def _from_test_framework(block: Any) -> bool:
    return bool(getattr(block, "_from_testcase", False))


def check(provider: str, operation: str = "") -> None:
    """Raise ProviderCallUnderLock (and remember it) when called inside a transaction."""
    depth = open_atomic_blocks()
    if not depth:
        return
    what = f"{provider} {operation}".strip()
    message = (
        f"{what} called inside {depth} open transaction(s): a provider call must not "
        "happen while row locks are held (decide under the lock, call after commit)"
    )
    with _lock:
        _violations.append(message)
    raise ProviderCallUnderLock(message)


def violations() -> list[str]:
    with _lock:
        return list(_violations)


def clear_violations() -> None:
    with _lock:
        _violations.clear()
