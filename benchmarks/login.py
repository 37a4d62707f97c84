"""Login cost: CPU time of ``POST /api/users/token/`` with the production password hashers.

    DATABASE_URL=postgres://... uv run python benchmarks/login.py [--runs 40]
    (or: make login-bench)

A throw-away PostgreSQL database (``<name>_login``), one active client, logins through
Django's test client (middleware, Ninja, the renderer, the JWT pair, the audit row).
Printed: p50 / p95 of the process's CPU time and of the wall time per login, for

- Argon2id (m=19456 KiB, t=2, p=1: the stored hash of every new or upgraded password);
- the first login of an account still holding Django 5.2's PBKDF2 hash (1,000,000
  iterations): verified once, then re-hashed with Argon2id (one run per account);
- the hash function alone (``check_password``), Argon2id and PBKDF2.

Issue 21's target: login p50 <= 60 ms of CPU on the development machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import inprocess

inprocess.setup(DJANGO_ENV="development", DEBUG="false", RATELIMIT_ENABLED="false")

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password  # noqa: E402
from django.test import Client  # noqa: E402

PASSWORD = "Ingreso-Zen-2030!"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def timed(fn: object, runs: int) -> tuple[list[float], list[float]]:
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()  # type: ignore[operator]
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    return cpu, wall


def show(label: str, cpu: list[float], wall: list[float]) -> None:
    print(
        f"{label:44s} CPU p50 {statistics.median(cpu):6.1f} ms  p95 {pct(cpu, 0.95):6.1f} ms"
        f" | wall p50 {statistics.median(wall):6.1f} ms  p95 {pct(wall, 0.95):6.1f} ms"
        f"  (n={len(cpu)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"hashers: {settings.PASSWORD_HASHERS}")
    with inprocess.throwaway_database("login"):
        User = get_user_model()
        user = User.objects.create(phone_number="+573015550001", is_active=True)
        user.set_password(PASSWORD)
        user.save()
        http = Client()
        body = json.dumps({"phone_number": user.phone_number, "password": PASSWORD})

        def login() -> None:
            response = http.post("/api/users/token/", body, content_type="application/json")
            assert response.status_code == 200, response.content

        login()  # warm-up
        show("login, Argon2id hash", *timed(login, args.runs))

        legacy_users = []
        for n in range(min(args.runs, 10)):
            legacy = User.objects.create(phone_number=f"+57302555{n:04d}", is_active=True)
            legacy.password = PBKDF2PasswordHasher().encode(PASSWORD, f"legacysalt{n:04d}")
            legacy.save()
            legacy_users.append(legacy)
        pending = iter(legacy_users)

        def first_login() -> None:
            account = next(pending)
            payload = json.dumps({"phone_number": account.phone_number, "password": PASSWORD})
            response = http.post("/api/users/token/", payload, content_type="application/json")
            assert response.status_code == 200, response.content

        show("first login with a PBKDF2 hash (upgraded)", *timed(first_login, len(legacy_users)))
        upgraded = User.objects.filter(pk__in=[u.pk for u in legacy_users])
        print(f"  hashes now: {sorted({u.password.split('$')[1] for u in upgraded})}")

        argon = User.objects.get(pk=user.pk).password
        show("check_password alone, Argon2id", *timed(lambda: check_password(PASSWORD, argon),
                                                      args.runs))  # fmt: skip
        pbkdf2 = PBKDF2PasswordHasher().encode(PASSWORD, "benchsalt000")
        show("check_password alone, PBKDF2 (1,000,000)", *timed(
            lambda: check_password(PASSWORD, pbkdf2), min(args.runs, 10)))  # fmt: skip


if __name__ == "__main__":
    main()
