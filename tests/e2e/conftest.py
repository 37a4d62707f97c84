"""The e2e stack: real processes on loopback, on their own PostgreSQL database and Redis db.

- the production ASGI app under gunicorn with uvicorn workers (gunicorn.conf.py),
- a Celery worker consuming every queue through Redis (not eager),
- Celery beat with django-celery-beat's DatabaseScheduler, on the PeriodicTask rows that
  `sync_periodic_tasks` writes, with the intervals of the tasks the journey waits for
  shortened in the e2e database (BEAT_EVERY_SECONDS) before beat starts,
- the local Wompi sandbox (`manage.py wompi_sandbox`): its own HTTP API and Web Checkout,
  posting signed events to the app's webhook,
- the local Twilio fake (`manage.py twilio_fake`): the real SDK is pointed at it with
  TWILIO_API_BASE_URL; Verify (OTP codes) and the Messages API (SMS, WhatsApp) are read back
  from its `GET /__requests`; the outbox (`GET /api/core/dev/outbox`) still records deliveries,
- the local Gemini fake (`manage.py gemini_fake`, GEMINI_BASE_URL): a scripted model that
  answers with real function calls through the real google-genai SDK.

Tests talk to them over HTTP only. Skipped without PostgreSQL and Redis.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest
from django.conf import settings
from scripts.contract.live_server import (
    Proc,
    base_env,
    free_port,
    manage,
    shorten_schedules,
    start_celery_beat,
    start_celery_worker,
    start_gunicorn,
    stop_children_on_signals,
    wait_http,
)

# Beat entries (by task) run every few seconds instead of every 1-5 minutes, so that what
# the journey waits for happens through beat -> worker within the run. The other entries
# keep their production schedules (they do not come due during a run).
BEAT_EVERY_SECONDS = {
    "booking.send_reminders": 2,  # production: 300 s
    "shop.expire_orders": 2,  # production: 60 s
    "booking.waitlist_cascade": 2,  # production: 60 s
    "booking.charge_due_fees": 2,  # production: 300 s (races the worker's charge: one wins)
}
# The waitlist offer is business-initiated (the client may not have written in 24 h): it
# goes out as an approved WhatsApp Content template, as it must in production.
WAITLIST_OFFER_CONTENT = {
    "sid": "HX" + "e2e1" * 8,
    "variables": ["service", "when", "therapist", "until"],
}
# An unpaid order is held this long (production: 30 min): the journey leaves one unpaid.
ORDER_HOLD_MINUTES = 1


def _e2e_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    name = parts.path.lstrip("/") + "_e2e"
    return urlunsplit(parts._replace(path=f"/{name}"))


def _e2e_redis_url() -> str:
    if os.environ.get("E2E_REDIS_URL"):
        return os.environ["E2E_REDIS_URL"]
    # Mirrored from REDIS_URL's db (0 -> 15, 1 -> 14, ...): two checkouts on one Redis with
    # their own REDIS_URL db do not flush each other's e2e queues.
    parts = urlsplit(settings.REDIS_URL)
    db = int(parts.path.lstrip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{15 - db % 16}"))


def _recreate_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@dataclass
class Stack:
    base_url: str
    wompi_url: str
    twilio_url: str
    gemini_url: str
    env: dict[str, str]
    procs: list[Proc] = field(default_factory=list)

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def manage(self, *args: str) -> str:
        return manage(*args, env=self.env)

    def run_python(self, code: str, *args: str) -> str:
        """A short-lived Django process on the stack's settings (operators' one-off jobs)."""
        import subprocess

        result = subprocess.run(
            [sys.executable, "-c", code, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def book_earlier(self, appointment_id: str, *, days: int) -> None:
        """Move a booking's creation back (the one write the journey makes behind the API):
        the reminder rule skips a reminder whose moment had passed when the booking was made,
        and its offsets are whole hours, so only a booking made "days ago" has one due now."""
        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
            updated = conn.execute(
                "UPDATE booking_appointment SET created_at = created_at - make_interval(days => %s)"
                " WHERE public_id = %s",
                (days, uuid.UUID(appointment_id)),
            ).rowcount
        assert updated == 1, appointment_id

    def twilio_received(self, kind: str = "message") -> list[dict[str, Any]]:
        """What the Twilio fake received (oldest first): kind message/verification/..."""
        items = httpx.get(f"{self.twilio_url}/__requests", timeout=10).json()
        return [item for item in items if item["kind"] == kind]

    def gemini_received(self) -> list[dict[str, Any]]:
        return list(httpx.get(f"{self.gemini_url}/__requests", timeout=10).json())

    def logs(self) -> str:
        return "\n\n".join(f"--- {p.name}\n{p.tail(60)}" for p in self.procs)


def eventually(
    probe: Callable[[], Any], *, timeout: float = 30, interval: float = 0.3, what: str = ""
) -> Any:
    """Poll until probe() returns a truthy value (asynchronous work: worker, webhooks)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or probe}: {last!r}")


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    if not settings.USING_POSTGRES or not settings.REDIS_URL:
        pytest.skip("the e2e stack needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)")
    # `make e2e` stopped with SIGTERM runs the teardowns as Ctrl-C does (no process left).
    stop_children_on_signals()
    database_url, redis_url = _e2e_database_url(), _e2e_redis_url()
    _recreate_database(database_url)
    _flush_redis(redis_url)
    web_port, wompi_port = free_port(), free_port()
    twilio_port, gemini_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{web_port}"
    wompi_url = f"http://127.0.0.1:{wompi_port}"
    twilio_url = f"http://127.0.0.1:{twilio_port}"
    gemini_url = f"http://127.0.0.1:{gemini_port}"
    env = base_env(
        DJANGO_ENV="development",
        SEED_DEMO_ACTIVITY="false",  # the journey books near now on an empty agenda
        DEBUG="true",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        CELERY_RESULT_BACKEND=redis_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        SITE_URL=base_url,
        NOTIFICATIONS_BACKEND="twilio",
        WOMPI_ADAPTER="wompi",
        WOMPI_BASE_URL=f"{wompi_url}/v1",
        WOMPI_CHECKOUT_URL=f"{wompi_url}/p/",
        WOMPI_PAYOUT_BASE_URL=f"{wompi_url}/payouts/v1",
        LOG_LEVEL="WARNING",
        # Shortened schedule: the erasure code is requested seconds after the sign-up's.
        OTP_RESEND_COOLDOWN_SECONDS="1",
        ORDER_HOLD_MINUTES=str(ORDER_HOLD_MINUTES),
        # The reminder offsets also include 48 h, so that the first free slot always has a
        # reminder due (Sunday is closed: from Saturday afternoon it is Monday, up to ~40 h).
        BOOKING_REMINDER_HOURS="48,24,2",
        # Twilio and Gemini: the real SDKs, pointed at the local fakes.
        TWILIO_API_BASE_URL=twilio_url,
        TWILIO_ACCOUNT_SID="AC" + "e2e0" * 8,
        TWILIO_AUTH_TOKEN="e2e-twilio-auth-token",  # also signs the inbound WhatsApp webhook
        TWILIO_VERIFY_SERVICE_SID="VA" + "e2e0" * 8,
        TWILIO_PHONE_NUMBER="+15005550006",
        TWILIO_WHATSAPP_NUMBER="+14155238886",
        TWILIO_MESSAGING_SERVICE_SID="",
        TWILIO_CONTENT_SIDS=json.dumps({"booking_waitlist_offer": WAITLIST_OFFER_CONTENT}),
        GEMINI_API_KEY="e2e-gemini-key",
        GEMINI_BASE_URL=gemini_url,
        ASSISTANT_GEMINI_ATTEMPTS="1",
    )
    manage("migrate", "--noinput", env=env)
    manage("seed_demo", env=env)
    manage("sync_periodic_tasks", env=env)  # what deploys run (migrate does it too)
    shorten_schedules(env, BEAT_EVERY_SECONDS)
    stack = Stack(
        base_url=base_url,
        wompi_url=wompi_url,
        twilio_url=twilio_url,
        gemini_url=gemini_url,
        env=env,
    )
    try:
        sandbox = Proc(
            "wompi-sandbox",
            [
                *(sys.executable, "manage.py", "wompi_sandbox"),
                *("--port", str(wompi_port)),
                *("--webhook-url", f"{base_url}/api/finances/webhooks/wompi/"),
            ],
            env,
        )
        stack.procs.append(sandbox)
        twilio = Proc(
            "twilio-fake",
            [sys.executable, "manage.py", "twilio_fake", "--port", str(twilio_port)],
            env,
        )
        stack.procs.append(twilio)
        gemini = Proc(
            "gemini-fake",
            [sys.executable, "manage.py", "gemini_fake", "--port", str(gemini_port)],
            env,
        )
        stack.procs.append(gemini)
        stack.procs.append(start_celery_worker(env))
        # INFO: its log lists every "Sending due task" (var/contract-logs/celery-beat-*.log).
        stack.procs.append(start_celery_beat({**env, "LOG_LEVEL": "INFO"}))
        stack.procs.append(start_gunicorn(env, port=web_port, workers=2))
        public_key = env.get("WOMPI_PUBLIC_KEY", "pub_test_local_sandbox")
        wait_http(f"{wompi_url}/v1/merchants/{public_key}", proc=sandbox, timeout=30)
        wait_http(f"{twilio_url}/__requests", proc=twilio, timeout=30)
        wait_http(f"{gemini_url}/__requests", proc=gemini, timeout=30)
        yield stack
    finally:
        for proc in reversed(stack.procs):
            proc.stop()
