"""Password hashers: Argon2id with OWASP's parameters, and a per-process bound on hashing.

Argon2id at m=19 MiB, t=2, p=1 is OWASP's first recommendation (Password Storage Cheat
Sheet); Django's own Argon2PasswordHasher defaults (m=100 MiB, t=2, p=8) would cost
100 MiB per concurrent login in a worker whose budget is 150 MB. Measured on the 2-core
development machine (docs/performance.md, "Password hashing"): ~29 ms of CPU per hash, against
~270 ms for Django 5.2's PBKDF2 (1,000,000 iterations), which stays second in
PASSWORD_HASHERS so existing hashes still verify and are re-hashed with Argon2id on the next
successful login (``User.check_password`` passes the setter that does it).

Every hash and verification holds a per-process semaphore (PASSWORD_HASH_CONCURRENCY, 1 by
default): a burst of logins queues for the hasher instead of taking every core and the
memory of N concurrent hashes, so other routes keep their share of the worker. A request
that cannot get the hasher within PASSWORD_HASH_WAIT_SECONDS answers 503 (retry later).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, PBKDF2PasswordHasher
from django.utils.translation import gettext as _

from platform_core.errors import ServiceUnavailable

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def _give_hash_memory_back_to_the_os() -> bool:
    """Argon2 mallocs its 19 MiB per hash. glibc serves a block that large with mmap and
    unmaps it on free, but its *dynamic* threshold then rises to that size, so the next
    hashes come from the calling thread's malloc arena and stay resident. Django runs each
    ASGI request in a new thread, spread over up to 8 arenas per core: measured, a web worker
    grew by ~19 MiB per arena that ever hashed (+60-80 MB after a few logins, +195 MB for 10
    concurrent hashes in an empty process, docs/performance.md). Setting the threshold
    explicitly (to its initial 128 KiB) turns the dynamic adjustment off: hash memory is
    returned on free.
    A no-op where the C library is not glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, 128 * 1024))  # glibc's initial value
    except (OSError, AttributeError):
        return False


MALLOC_TUNED = _give_hash_memory_back_to_the_os()


@cache
def hashing_slots() -> threading.BoundedSemaphore:
    """The process's hashing semaphore (one per worker process, created on first use)."""
    return threading.BoundedSemaphore(max(1, int(settings.PASSWORD_HASH_CONCURRENCY)))


_held = threading.local()


class _Bounded:
    """Runs the hasher's encode/verify while holding one of the process's hashing slots
    (re-entrant per thread: PBKDF2's verify calls its own encode)."""

    def _bounded(self, work: Any, *args: Any) -> Any:
        if getattr(_held, "slot", False):
            return work(*args)
        slots = hashing_slots()
        if not slots.acquire(timeout=float(settings.PASSWORD_HASH_WAIT_SECONDS)):
            raise ServiceUnavailable(
                _(
                    "Estamos atendiendo muchos ingresos a la vez. "
                    "Intenta de nuevo en unos segundos."
                ),
                code="busy",
            )
        _held.slot = True
        try:
            return work(*args)
        finally:
            _held.slot = False
            slots.release()

    def encode(self, password: str, salt: str, *args: Any) -> str:
        return self._bounded(super().encode, password, salt, *args)  # type: ignore[misc]

    def verify(self, password: str, encoded: str) -> bool:
        return self._bounded(super().verify, password, encoded)  # type: ignore[misc]


class StudioZensArgon2Hasher(_Bounded, Argon2PasswordHasher):
    """Argon2id, OWASP parameters (m=19456 KiB, t=2, p=1). Keeps Django's algorithm name
    ("argon2"), so must_update() re-hashes stored hashes whose parameters differ."""

    time_cost = 2
    memory_cost = 19456  # KiB
    parallelism = 1


class BoundedPBKDF2Hasher(_Bounded, PBKDF2PasswordHasher):
    """Django's PBKDF2 (legacy hashes), under the same per-process bound."""
