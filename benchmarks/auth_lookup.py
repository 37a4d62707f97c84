"""The bearer token's user look-up: ninja-jwt's ORM ``get()`` against
``platform_core.authentication.JWTAuth`` (the statement compiled once), interleaved.

    DATABASE_URL=postgres://... uv run python benchmarks/auth_lookup.py [ROUNDS]

Both load the same user by the token's ``sub`` in one query; ROUNDS (default 30) alternating
batches of 100 look-ups each, thread-CPU per look-up (median and best batch).
"""

from __future__ import annotations

import statistics
import sys
import time

import profile_mix as pm  # sets Django up
from django.contrib.auth import get_user_model
from ninja_jwt.authentication import JWTAuth as NinjaJWTAuth
from ninja_jwt.tokens import AccessToken

from platform_core.authentication import JWTAuth


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with pm.inprocess.throwaway_database("authlookup"):
        user = get_user_model().objects.create(phone_number="+573015550000", is_active=True)
        token = AccessToken.for_user(user)
        contenders = {"ninja-jwt ORM get()": NinjaJWTAuth(), "compiled once": JWTAuth()}
        cpu_ms: dict[str, list[float]] = {name: [] for name in contenders}
        for auth in contenders.values():  # warm-up: compilation, connection, caches
            for _ in range(200):
                auth.get_user(token)
        for _ in range(rounds):
            for name, auth in contenders.items():
                start = time.thread_time()
                for _ in range(100):
                    auth.get_user(token)
                cpu_ms[name].append((time.thread_time() - start) * 10)
    for name, samples in cpu_ms.items():
        print(
            f"{name:20s} {statistics.median(samples):.3f} ms per look-up "
            f"(best batch {min(samples):.3f})"
        )


if __name__ == "__main__":
    main()
