"""Memory of the production web and Celery worker processes (Render Starter: 512 MB, 0.5 CPU).

    uv run python benchmarks/memory.py            # or: make memory

Runs the services as render.yaml starts them (its startCommands), in an install like Render's
build (``uv sync --frozen --no-dev`` into var/memory-venv; ``--dev-venv`` to skip), with
render.yaml's static environment (env group + the service's own values: DB_POOL_MAX_SIZE=4,
WEB_CONCURRENCY=3, LOG_LEVEL, ...) and the production template's secrets filled by the secrets
script, against PostgreSQL and Redis:

- the web service (gunicorn + uvicorn workers);
- the Celery worker (prefork, --concurrency 2, the five queues);
- local fakes standing in for the providers, reached through the REAL adapters and SDKs:
  ``manage.py twilio_fake`` (TWILIO_API_BASE_URL: Verify v2 and the Messages API),
  ``manage.py gemini_fake`` (GEMINI_BASE_URL) and ``manage.py wompi_sandbox``
  (WOMPI_BASE_URL / WOMPI_CHECKOUT_URL); a small "Render proxy" forwards the sandbox's signed
  payment webhooks with ``X-Forwarded-Proto: https``; SENTRY_DSN points at a local sink, so
  the Sentry SDK is initialised as in production (the events it receives are printed).

Warm-up (what a worker has loaded after real traffic, not after anonymous 401s):
``bin/predeploy`` (migrate, periodic tasks), ``seed_demo`` (catalog, therapists),
``create_admin`` (staff); then keep-alive connections are pinned to each web worker (the
worker owning the server side of each connection is read from /proc), and on EVERY worker:
a client registers (the Celery worker starts a Twilio Verify verification at the fake), a
wrong code and the real code are checked synchronously through Twilio Verify (loads
``twilio.rest`` in that worker), client and staff log in, the client books with a deposit and
pays in the sandbox, fills a cart and checks out and pays, writes to the WhatsApp assistant
(signed webhook; the menu and a Gemini turn run in the Celery ``bot`` queue), staff moves the
paid order; then every GET route of /api/openapi.json and every POST route (empty body) is
requested as anonymous, as the client and as staff, ``--rounds`` times (path parameters
filled with the objects created above), ``--per-worker`` connections at once per worker.
Status histograms per identity are printed. The Celery worker is then brought to its steady
state (every pool child has run a Gemini turn), and pinged with ``platform_core.ping``.

Then the RSS (VmRSS) and PSS (smaps_rollup) of the gunicorn master and each worker, and of
the Celery main process and its pool children, are printed with the totals and the RSS each
had when idle after start-up.
Web targets: <= 150 MB RSS per worker, <= 460 MB RSS for the workers together.
Celery: the PSS total (shared pages counted once) must stay under 512 MB.
Exit status 1 when a target is missed, a response was a 5xx, a worker was recycled, or the
warm-up did not reach every worker.

The benchmark owns its database and Redis db and resets both on each run: the database is
DATABASE_URL's (or ``MEMORY_DATABASE_URL``'s) with ``_mem`` appended to the name unless it
already ends so, dropped and re-created; Redis is REDIS_URL's server, db 11
(``MEMORY_REDIS_URL`` to choose), flushed. Process logs: var/contract-logs/.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from env_inventory import blueprint_env, filled_production_env, load_blueprint  # noqa: E402
from scripts.contract.live_server import Proc, free_port, manage, wait_http  # noqa: E402

WORKER_TARGET_MB = 150.0
TOTAL_TARGET_MB = 460.0
RENDER_LIMIT_MB = 512.0
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/studiozens"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_DB = "11"
PUBLIC_HOST = "api.studiozens.co"  # render.yaml's SITE_URL host (signatures use it)
ADMIN_PHONE, ADMIN_PASSWORD = "+573009990001", "Memoria-Staff-2030!"
CLIENT_PASSWORD = "Memoria-Zen-2030!"
APPROVED_CARD = "4242424242424242"  # the sandbox approves this card
IDENTITIES = ("anonymous", "client", "staff")
QUESTION = "¿tienen masaje relajante el sábado en la tarde?"  # a Gemini turn (function calls)


# --- Environment and commands, from render.yaml ----------------------------------------------


def render_service(kind: str, python: Path) -> tuple[list[str], dict[str, str]]:
    """(startCommand argv with .venv/bin replaced by ``python``'s bin, static env)."""
    doc = load_blueprint()
    envs = blueprint_env(doc)
    for service in doc["services"]:
        command = service.get("startCommand", "")
        # The Celery worker starts through bin/worker (its queues come from the plugins).
        is_worker = command.startswith("bin/worker ")
        if service["type"] == kind and (kind == "web" or is_worker):
            bindir = python.parent
            argv = [
                str(bindir / part.removeprefix(".venv/bin/"))
                if part.startswith(".venv/bin/")
                else part
                for part in shlex.split(command)
            ]
            static = {
                key: str(decl["value"])
                for key, decl in envs[service["name"]].items()
                if "value" in decl
            }
            if is_worker:
                argv[0] = str(ROOT / argv[0])
                static["VENV_BIN"] = str(bindir)  # where bin/worker finds python and celery
            return argv, static
    raise SystemExit(f"render.yaml has no {kind} service")


def benchmark_urls() -> tuple[str, str]:
    """The benchmark's own database (name ends in _mem) and Redis db (11): both are reset."""
    db = os.environ.get("MEMORY_DATABASE_URL") or os.environ.get("DATABASE_URL")
    parts = urlsplit(db or DEFAULT_DATABASE_URL)
    name = parts.path.lstrip("/")
    if not name.endswith("_mem"):
        name += "_mem"
    database_url = urlunsplit(parts._replace(path=f"/{name}"))
    redis_url = os.environ.get("MEMORY_REDIS_URL")
    if not redis_url:
        parts = urlsplit(os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)
        redis_url = urlunsplit(parts._replace(path=f"/{REDIS_DB}"))
    return database_url, redis_url


def reset_stores(database_url: str, redis_url: str) -> None:
    import psycopg
    import redis

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(redis_url).flushdb()


def production_python(dev_venv: bool) -> Path:
    """The interpreter of an install like Render's build (``uv sync --frozen --no-dev``) in
    var/memory-venv: dev-only packages change what the SDKs import (Sentry instruments every
    library it finds), so the figures are taken without them."""
    if dev_venv:
        return Path(sys.executable)
    uv = shutil.which("uv")
    if uv is None:
        print("WARNING: uv not found: measuring with this interpreter's environment (dev deps)")
        return Path(sys.executable)
    venv = ROOT / "var" / "memory-venv"
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["UV_PROJECT_ENVIRONMENT"] = str(venv)
    subprocess.run([uv, "sync", "--frozen", "--no-dev", "--quiet"], cwd=ROOT, env=env, check=True)
    return venv / "bin" / "python"


def base_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    for name in ("MALLOC_ARENA_MAX", "PYTHONMALLOC"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


# --- /proc ---------------------------------------------------------------------------------------


def proc_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MB from /proc (psutil is not a dependency)."""
    rss = pss = 0.0
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    if match:
        rss = int(match.group(1)) / 1024
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        match = re.search(r"^Pss:\s+(\d+) kB", rollup, re.M)
        if match:
            pss = int(match.group(1)) / 1024
    except OSError:
        pss = float("nan")
    return rss, pss


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def maps_mention(pid: int, needle: str) -> bool:
    try:
        return needle in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def server_socket_inode(server_port: int, client_port: int) -> int | None:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if (
                int(local.rsplit(":", 1)[1], 16) == server_port
                and int(remote.rsplit(":", 1)[1], 16) == client_port
            ):
                return int(fields[9])
    return None


def socket_owner(inode: int, pids: list[int]) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) == target:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


# --- HTTP: keep-alive connections pinned to one web worker ------------------------------------


class Pinned:
    """A keep-alive connection whose server side is owned by the web worker ``pid``.

    gunicorn's workers share the listening socket, so which worker serves a connection is the
    kernel's choice; new connections are opened until one lands on ``pid`` (checked in /proc).
    Idle connections are re-pinned before uvicorn's keep-alive timeout closes them."""

    def __init__(self, port: int, pid: int, workers: list[int]) -> None:
        self.port, self.pid, self.workers = port, pid, workers
        self.conn: http.client.HTTPConnection | None = None
        self.last = 0.0
        self.ip = fake_ip()
        self.requests = 0

    def _pin(self) -> None:
        if self.conn is not None:
            self.conn.close()
        for _ in range(400):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request("GET", "/api/core/health/", headers={"X-Forwarded-Proto": "https"})
            conn.getresponse().read()
            client_port = conn.sock.getsockname()[1]
            inode = server_socket_inode(self.port, client_port)
            owner = socket_owner(inode, self.workers) if inode else None
            if owner == self.pid:
                self.conn, self.last = conn, time.monotonic()
                return
            conn.close()
        raise SystemExit(f"could not open a connection served by worker {self.pid}")

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        token: str = "",
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        data, hdrs = b"", {"X-Forwarded-Proto": "https", "X-Forwarded-For": self.ip}
        if form is not None:
            data = urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        hdrs.update(headers or {})
        for attempt in (1, 2):
            if self.conn is None or time.monotonic() - self.last > 3:
                self._pin()
            assert self.conn is not None
            try:
                self.conn.request(method, path, body=data or None, headers=hdrs)
                response = self.conn.getresponse()
                raw = response.read()
            except (http.client.RemoteDisconnected, ConnectionError):
                self.conn = None  # closed by the server while idle: nothing was processed
                if attempt == 2:
                    raise
                continue
            self.last = time.monotonic()
            self.requests += 1
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = None
            return response.status, payload
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def fake_ip() -> str:
    """A client address for X-Forwarded-For (Render's proxy adds the real one): rate limits
    are per client IP, and production traffic comes from many."""
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def get_json(url: str) -> Any:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def post_form(url: str, form: dict[str, str]) -> int:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        conn.request("POST", parts.path, body=urlencode(form), headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def eventually(probe: Any, timeout: float = 60, interval: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    return None


class SentrySink(ThreadingHTTPServer):
    """A local Sentry ingest: SENTRY_DSN points here, so the SDK is initialised as in
    production (render.yaml asks the operator for the DSN); counts the envelopes received."""

    daemon_threads = True

    def __init__(self) -> None:
        self.events: list[str] = []
        super().__init__(("127.0.0.1", 0), _SinkHandler)

    @property
    def dsn(self) -> str:
        return f"http://{uuid.uuid4().hex}@127.0.0.1:{self.server_address[1]}/1"


class _SinkHandler(BaseHTTPRequestHandler):
    server: SentrySink

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.events.extend(_event_summaries(body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _event_summaries(envelope: bytes) -> list[str]:
    """One line per event item of a Sentry envelope: logger and exception or message."""
    out = []
    lines = envelope.split(b"\n")
    for header, payload in zip(lines[1::2], lines[2::2], strict=False):
        try:
            if json.loads(header).get("type") != "event":
                continue
            event = json.loads(payload)
        except ValueError:
            continue
        values = (event.get("exception") or {}).get("values") or [{}]
        what = f"{values[-1].get('type', '')}: {values[-1].get('value', '')}".strip(": ")
        message = (event.get("logentry") or {}).get("message") or event.get("message") or ""
        out.append(f"{event.get('logger', '?')}: {what or message}"[:200])
    return out


class RenderProxy(ThreadingHTTPServer):
    """Forwards to gunicorn adding X-Forwarded-Proto/For, as Render's proxy does (the Wompi
    sandbox posts its signed events here; without the header production redirects to https)."""

    daemon_threads = True

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.statuses: Counter[int] = Counter()
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class _ProxyHandler(BaseHTTPRequestHandler):
    server: RenderProxy

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        headers.update({"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.10"})
        conn = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=60)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        self.server.statuses[response.status] += 1
        self.send_response(response.status)
        self.send_header("Content-Type", response.getheader("Content-Type") or "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _forward

    def log_message(self, format: str, *args: Any) -> None:
        pass


# --- The warm-up ----------------------------------------------------------------------


class Stack:
    def __init__(self, env: dict[str, str], twilio_url: str, wompi_url: str) -> None:
        self.env, self.twilio_url, self.wompi_url = env, twilio_url, wompi_url

    def twilio(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in get_json(f"{self.twilio_url}/__requests") if r["kind"] == kind]


class WorkerWarmup:
    """Everything one web worker serves during the warm-up, over connections pinned to it."""

    def __init__(self, stack: Stack, conns: list[Pinned]) -> None:
        self.stack, self.conns, self.conn = stack, conns, conns[0]
        self.pid = conns[0].pid
        self.phone = f"+57310{random.randint(0, 9_999_999):07d}"
        self.client = self.staff = ""
        self.ids: dict[str, str] = {}
        self.steps: list[tuple[str, int]] = []
        self.verified = False
        self.histogram: dict[str, Counter[int]] = {name: Counter() for name in IDENTITIES}

    def step(self, label: str, status: int) -> int:
        self.steps.append((label, status))
        return status

    def sign_up(self) -> None:
        c = self.conn
        status, _ = c.request(
            "POST",
            "/api/users/register/",
            body={
                "phone_number": self.phone,
                "password": CLIENT_PASSWORD,
                "first_name": "Memo",
                "last_name": "Ria",
                "accept_terms": True,
                "accept_data_policy": True,
            },
        )
        self.step("register", status)
        # The Celery worker starts a Twilio Verify verification at the fake (identity task).
        started = eventually(
            lambda: [v for v in self.stack.twilio("verification") if v["form"]["To"] == self.phone]
        )
        if not started:
            self.step("verification started at Twilio: no", 0)
            return
        code = str(started[-1]["code"])
        wrong = "000000" if code != "000000" else "111111"
        body = {"phone_number": self.phone, "code": wrong}
        self.step("verify(wrong)", c.request("POST", "/api/users/verify/", body=body)[0])
        body = {"phone_number": self.phone, "code": code}
        status, tokens = c.request("POST", "/api/users/verify/", body=body)
        self.verified = self.step("verify", status) == 200
        body = {"phone_number": self.phone, "password": CLIENT_PASSWORD}
        status, tokens = c.request("POST", "/api/users/token/", body=body)
        if self.step("login", status) == 200:
            self.client = tokens["access"]
        body = {"phone_number": ADMIN_PHONE, "password": ADMIN_PASSWORD}
        status, tokens = c.request("POST", "/api/users/token/", body=body)
        if self.step("staff login", status) == 200:
            self.staff = tokens["access"]
        status, me = c.request("GET", "/api/users/me/", token=self.client)
        if status == 200:
            self.ids["public_id"] = str(me.get("public_id") or me.get("id") or "")

    def pay(self, label: str, checkout_url: str) -> None:
        """What the browser does on Wompi's Web Checkout: the sandbox then posts a signed
        event through the proxy to the app's webhook."""
        form = dict(parse_qsl(urlsplit(checkout_url).query))
        form.update(type="CARD", number=APPROVED_CARD, cvc="123", card_holder="Memo Ria")
        self.step(label, post_form(f"{self.stack.wompi_url}/p/", form))

    def book(self, index: int) -> None:
        c, token = self.conn, self.client
        status, services = c.request("GET", "/api/booking/services/", token=token)
        codes = [s["code"] for s in (services or {}).get("items", [])] if status == 200 else []
        code = "MASAJE-RELAX-60" if "MASAJE-RELAX-60" in codes else (codes or ["?"])[0]
        self.ids["code"] = code
        start = date.today() + timedelta(days=2 + index)
        query = urlencode(
            {"service": code, "date_from": start, "date_to": start + timedelta(days=6)}
        )
        status, found = c.request("GET", f"/api/booking/availability/?{query}", token=token)
        slots = (found or {}).get("slots", []) if status == 200 else []
        if not slots:
            self.step("availability (no slots)", status)
            return
        slot = slots[(index * 5) % len(slots)]
        request = {"service": code, "start": slot["start"], "therapist": slot["therapists"][0]}
        status, body = c.request("POST", "/api/booking/appointments/", body=request, token=token)
        if self.step("book", status) == 201:
            self.ids["appointment_id"] = str(body["appointment"]["id"])
            self.ids["reference"] = body["checkout"]["reference"]
            self.pay("pay deposit", body["checkout"]["checkout_url"])

    def shop(self) -> None:
        c, token = self.conn, self.client
        status, products = c.request("GET", "/api/shop/products/?page_size=50", token=token)
        items = (products or {}).get("items", []) if status == 200 else []
        available = [p for p in items if p.get("availability") != "out_of_stock"]
        if not available:
            self.step("products (none available)", status)
            return
        product = random.choice(available)
        self.ids["product_id"] = str(product["id"])
        body = {"product_id": product["id"], "quantity": 1}
        self.step("cart", c.request("POST", "/api/shop/cart/items/", body=body, token=token)[0])
        key = {"Idempotency-Key": str(uuid.uuid4())}
        status, body = c.request(
            "POST", "/api/shop/checkout/", body={"fulfilment": "pickup"}, token=token, headers=key
        )
        if self.step("checkout", status) == 201:
            self.ids["order_id"] = str(body["order"]["id"])
            self.pay("pay order", body["payment"]["checkout_url"])

    def whatsapp(self, text: str) -> None:
        from twilio.request_validator import RequestValidator

        path = "/api/assistant/webhooks/whatsapp/"
        params = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "AccountSid": self.stack.env["TWILIO_ACCOUNT_SID"],
            "From": f"whatsapp:{self.phone}",
            "To": f"whatsapp:{self.stack.env['TWILIO_WHATSAPP_NUMBER']}",
            "Body": text,
            "NumMedia": "0",
            "ProfileName": "Memo",
            "WaId": self.phone.lstrip("+"),
        }
        url = self.stack.env["SITE_URL"] + path
        signature = RequestValidator(self.stack.env["TWILIO_AUTH_TOKEN"]).compute_signature(
            url, params
        )
        status, _ = self.conn.request(
            "POST", path, form=params, headers={"X-Twilio-Signature": signature}
        )
        self.step(f"whatsapp {text.split()[0]!r}", status)

    def fulfil(self) -> None:
        order = self.ids.get("order_id")
        if not order:
            return

        def paid() -> bool:
            status, body = self.conn.request("GET", f"/api/shop/orders/{order}/", token=self.client)
            return status == 200 and body["status"] == "PAID"

        if not eventually(paid, timeout=30, interval=0.5):
            self.step("order paid by webhook: no", 0)
            return
        path, body = f"/api/shop/orders/{order}/status/", {"status": "PREPARING"}
        status, _ = self.conn.request("POST", path, body=body, token=self.staff)
        self.step("staff: order PREPARING", status)

    def flows(self, index: int) -> None:
        self.sign_up()
        if not self.client:
            return
        self.book(index)
        self.shop()
        self.whatsapp("menu")
        self.whatsapp(QUESTION)
        self.fulfil()

    def routes(self, conn: Pinned, table: list[tuple[str, str]], rounds: int) -> None:
        tokens = {"anonymous": "", "client": self.client, "staff": self.staff}
        for _ in range(rounds):
            for identity in IDENTITIES:
                conn.ip = fake_ip()
                for method, template in table:
                    path = fill(template, self.ids)
                    body = {} if method == "POST" else None
                    status, _ = conn.request(method, path, body=body, token=tokens[identity])
                    self.histogram[identity][status] += 1


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def login_burst(port: int, workers: list[int], warmups: list[Any], count: int, rounds: int) -> str:
    """``count`` password logins at once on every worker (each on its own pinned
    connection), ``rounds`` times: Argon2id needs 19 MiB per hash in progress; the
    per-process hashing bound (PASSWORD_HASH_CONCURRENCY) decides how many run at once.
    Returns a report with each worker's RSS before/after and its peak (VmHWM)."""
    before = {pid: proc_mb(pid)[0] for pid in workers}
    statuses: Counter[int] = Counter()
    slowest = 0.0
    lock = threading.Lock()
    started = time.monotonic()

    def login(conn: Pinned, phone: str) -> None:
        nonlocal slowest
        t0 = time.monotonic()
        body = {"phone_number": phone, "password": CLIENT_PASSWORD}
        status, _ = conn.request("POST", "/api/users/token/", body=body)
        with lock:
            statuses[status] += 1
            slowest = max(slowest, time.monotonic() - t0)

    for _ in range(rounds):
        jobs = []
        for w in warmups:
            if not w.client:
                continue
            conns = [Pinned(port, w.pid, workers) for _ in range(count)]
            run_threads([c._pin for c in conns])
            jobs += [lambda c=c, phone=w.phone: login(c, phone) for c in conns]
        run_threads(jobs)
    lines = [
        f"{count} concurrent password logins per worker x {rounds} rounds "
        f"({time.monotonic() - started:.1f} s, slowest {slowest * 1000:.0f} ms): "
        f"statuses {dict(sorted(statuses.items()))}"
    ]
    for pid in workers:
        lines.append(
            f"  worker {pid}: RSS {before[pid]:.1f} -> {proc_mb(pid)[0]:.1f} MB, "
            f"peak (VmHWM) {peak_rss_mb(pid):.1f} MB"
        )
    return "\n".join(lines)


def fill(template: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: ids.get(m.group(1)) or str(uuid.uuid4()), template)


def route_table(conn: Pinned) -> list[tuple[str, str]]:
    status, schema = conn.request("GET", "/api/openapi.json")
    if status != 200:
        raise SystemExit(f"/api/openapi.json answered {status}")
    return [
        (method.upper(), path)
        for path, ops in schema["paths"].items()
        for method in ("get", "post")
        if method in ops
    ]


def run_threads(targets: list[Any]) -> None:
    errors: list[BaseException] = []

    def wrap(fn: Any) -> Any:
        def run() -> None:
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        return run

    threads = [threading.Thread(target=wrap(fn)) for fn in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def drain_celery(redis_url: str, queues: list[str], timeout: float = 120) -> bool:
    """True once the worker's queues and the unacked set stay empty for 3 s."""
    import redis

    client = redis.Redis.from_url(redis_url)
    quiet_since: float | None = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = sum(client.llen(q) for q in queues) + client.hlen("unacked")
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= 3:
            return True
        time.sleep(0.5)
    return False


# --- Reports --------------------------------------------------------------------------


def import_time(python: Path, env: dict[str, str]) -> float:
    code = (
        "import sys, time; sys.path.insert(0, 'src'); t = time.perf_counter();"
        "from studiozens.asgi import application; import studiozens.urls;"
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [str(python), "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def report(
    title: str,
    main_pid: int,
    kids: list[int],
    labels: tuple[str, str, str],
    boot: dict[int, float],
) -> dict[str, Any]:
    """Print RSS/PSS now (and RSS when idle after start-up) of a main process and its kids."""
    print(f"\n{title}")
    print(f"{'process':<22}{'RSS MB':>10}{'PSS MB':>10}{'RSS at boot':>13}")

    def line(label: str, rss: float, pss: float, booted: float | None) -> None:
        at_boot = f"{booted:>13.1f}" if booted is not None else f"{'':>13}"
        print(f"{label:<22}{rss:>10.1f}{pss:>10.1f}{at_boot}")

    main_rss, main_pss = proc_mb(main_pid)
    line(f"{labels[0]} {main_pid}", main_rss, main_pss, boot.get(main_pid))
    rss_sum = pss_sum = worst = 0.0
    for pid in kids:
        rss, pss = proc_mb(pid)
        rss_sum, pss_sum, worst = rss_sum + rss, pss_sum + pss, max(worst, rss)
        line(f"{labels[1]} {pid}", rss, pss, boot.get(pid))
    line(f"{labels[2]} total", rss_sum, pss_sum, None)
    line("all processes", rss_sum + main_rss, pss_sum + main_pss, None)
    return {
        "worst": worst,
        "kids_rss": rss_sum,
        "all_rss": rss_sum + main_rss,
        "all_pss": pss_sum + main_pss,
    }


def boot_rss(*pids: int) -> dict[int, float]:
    found = {}
    for pid in pids:
        found[pid] = proc_mb(pid)[0]
        for kid in children(pid):
            found[kid] = proc_mb(kid)[0]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, help="web workers (default: render.yaml's)")
    parser.add_argument("--rounds", type=int, default=3, help="passes over every route")
    parser.add_argument(
        "--per-worker", type=int, default=2, help="concurrent connections per web worker"
    )
    parser.add_argument(
        "--logins",
        type=int,
        default=10,
        help="concurrent password logins per web worker after the warm-up (0: none)",
    )
    parser.add_argument("--login-rounds", type=int, default=3)
    parser.add_argument(
        "--celery",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="report the Celery worker's memory (the worker always runs: it sends the OTPs)",
    )
    parser.add_argument(
        "--dev-venv",
        action="store_true",
        help="run the services with this interpreter's environment instead of var/memory-venv",
    )
    args = parser.parse_args()

    python = production_python(args.dev_venv)
    web_argv, web_static = render_service("web", python)
    celery_argv, celery_static = render_service("worker", python)
    database_url, redis_url = benchmark_urls()
    port = free_port()
    twilio_port, gemini_port, wompi_port = free_port(), free_port(), free_port()
    twilio_url = f"http://127.0.0.1:{twilio_port}"
    gemini_url = f"http://127.0.0.1:{gemini_port}"
    wompi_url = f"http://127.0.0.1:{wompi_port}"

    common = base_environment()
    common.update(filled_production_env())
    local = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SENTRY_DSN": "",  # set below for the web and Celery processes only
        # The real adapters and SDKs, pointed at the local fakes.
        "TWILIO_API_BASE_URL": twilio_url,
        "GEMINI_BASE_URL": gemini_url,
        "WOMPI_BASE_URL": f"{wompi_url}/v1",
        "WOMPI_CHECKOUT_URL": f"{wompi_url}/p/",
        "WOMPI_PAYOUT_BASE_URL": f"{wompi_url}/payouts/v1",
    }
    common.update(local)
    web_env = {**common, **web_static, **local}
    web_env.update(
        ALLOWED_HOSTS=web_static.get("ALLOWED_HOSTS", PUBLIC_HOST) + ",127.0.0.1,localhost",
        PORT=str(port),
    )
    if args.workers:
        web_env["WEB_CONCURRENCY"] = str(args.workers)
    workers_wanted = int(web_env.get("WEB_CONCURRENCY", "3"))
    celery_env = {**common, **celery_static, **local, "ALLOWED_HOSTS": web_env["ALLOWED_HOSTS"]}
    fake_env = {**common, "DJANGO_ENV": "development", "DEBUG": "false"}
    sentry = SentrySink()
    threading.Thread(target=sentry.serve_forever, daemon=True).start()
    web_env["SENTRY_DSN"] = celery_env["SENTRY_DSN"] = sentry.dsn
    shown = ", ".join(f"{k}={web_env[k]}" for k in ("WEB_CONCURRENCY", "DB_POOL_MAX_SIZE"))
    print(f"python {python}")
    print(f"database {database_url} (re-created)  redis {redis_url} (flushed)")
    print(f"web: {' '.join(Path(a).name if '/' in a else a for a in web_argv)}  [{shown}]")
    print(f"celery: {' '.join(Path(a).name if '/' in a else a for a in celery_argv)}")

    reset_stores(database_url, redis_url)
    admin = {"ADMIN_PHONE": ADMIN_PHONE, "ADMIN_PASSWORD": ADMIN_PASSWORD}
    for command in (
        ["bin/predeploy"],  # render.yaml's preDeployCommand: migrate, sync_periodic_tasks
        [str(python), "manage.py", "seed_demo"],
        [str(python), "manage.py", "create_admin"],
    ):
        done = subprocess.run(
            command, cwd=ROOT, env={**web_env, **admin, "PYTHON": str(python)},
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    seconds = import_time(python, web_env)
    print(f"import time of the app (studiozens.asgi + urls): {seconds:.2f} s")

    proxy = RenderProxy(port)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    webhook = f"http://127.0.0.1:{proxy.server_address[1]}/api/finances/webhooks/wompi/"
    procs: list[Proc] = []
    try:
        fakes = [
            ("twilio-fake", ["twilio_fake", "--port", str(twilio_port)], twilio_url),
            ("gemini-fake", ["gemini_fake", "--port", str(gemini_port)], gemini_url),
            (
                "wompi-sandbox",
                ["wompi_sandbox", "--port", str(wompi_port), "--webhook-url", webhook],
                f"{wompi_url}/v1/merchants/{common['WOMPI_PUBLIC_KEY']}",
            ),
        ]
        for name, command, _ in fakes:
            procs.append(Proc(name, [sys.executable, "manage.py", *command], fake_env))
        for (_, _, url), proc in zip(fakes, procs, strict=True):
            wait_http(url if "merchants" in url else f"{url}/__requests", proc=proc, timeout=60)
        celery = Proc("memory-celery", celery_argv, celery_env)
        procs.append(celery)
        started = time.monotonic()
        web = Proc("memory-gunicorn", web_argv, web_env)
        procs.append(web)
        wait_http(f"http://127.0.0.1:{port}/api/core/health/", proc=web, timeout=120)
        print(f"gunicorn ready (first 200 from /api/core/health/) after "
              f"{time.monotonic() - started:.1f} s")  # fmt: skip

        def booted() -> list[int] | None:
            found = children(web.popen.pid)
            return found if len(found) == workers_wanted else None

        workers = eventually(booted, 60)
        if not workers:
            raise SystemExit(f"gunicorn did not start {workers_wanted} workers")

        stack = Stack(celery_env, twilio_url, wompi_url)
        warmups = [
            WorkerWarmup(stack, [Pinned(port, pid, workers) for _ in range(args.per_worker)])
            for pid in workers
        ]
        run_threads([w.conn._pin for w in warmups])  # every worker has served a request
        if not eventually(lambda: "ready." in celery.tail(200), 60):
            raise SystemExit(f"the Celery worker did not start:\n{celery.tail()}")
        time.sleep(1)
        boot = boot_rss(web.popen.pid, celery.popen.pid)
        table = route_table(warmups[0].conn)
        t0 = time.monotonic()
        run_threads([lambda w=w, i=i: w.flows(i) for i, w in enumerate(warmups)])
        print(f"flows on every worker ({time.monotonic() - t0:.1f} s):")
        for w in warmups:
            print(f"  worker {w.pid}: " + ", ".join(f"{label} {code}" for label, code in w.steps))
        t0 = time.monotonic()
        jobs = []
        for w in warmups:
            for k, conn in enumerate(w.conns):
                share = args.rounds // len(w.conns) + (k < args.rounds % len(w.conns))
                jobs.append(lambda w=w, conn=conn, n=share: w.routes(conn, table, n))
        run_threads(jobs)
        gets = sum(1 for m, _ in table if m == "GET")
        print(
            f"warmed {gets} GET + {len(table) - gets} POST (empty body) routes x "
            f"{len(IDENTITIES)} identities x {args.rounds} rounds on every worker "
            f"({time.monotonic() - t0:.1f} s); statuses:"
        )
        errors = 0
        for identity in IDENTITIES:
            total: Counter[int] = Counter()
            for w in warmups:
                total.update(w.histogram[identity])
            errors += sum(n for status, n in total.items() if status >= 500)
            print(f"  {identity:<10} {dict(sorted(total.items()))}")
        errors += sum(code >= 500 for w in warmups for _, code in w.steps)
        if args.logins:
            print(login_burst(port, workers, warmups, args.logins, args.login_rounds))
        handled = {w.pid: sum(c.requests for c in w.conns) for w in warmups}
        print(f"requests served per worker: {handled}")
        for w in warmups:
            for conn in w.conns:
                conn.close()

        queues = manage("celery_queues", env=celery_env).strip().split(",")
        drained = drain_celery(redis_url, queues)
        # Steady state of the Celery worker: every pool child has run a Gemini turn (nothing
        # recycles the children). With a fast fake one child may take all the bot tasks, so
        # more questions are sent, from every client at once, until each child has one.
        for _ in range(8):
            kids = children(celery.popen.pid)
            if all(maps_mention(pid, "/aiohttp/") for pid in kids):
                break
            run_threads([lambda w=w: w.whatsapp(QUESTION) for w in warmups if w.client])
            drained = drain_celery(redis_url, queues)
        bot_replies = len([m for m in stack.twilio("message") if "whatsapp:" in m["form"]["To"]])
        messages = len(stack.twilio("message"))
        pings = [
            subprocess.run(
                [sys.executable, "manage.py", "celery_ping", "--timeout", "30"],
                cwd=ROOT, env=celery_env, capture_output=True, check=False,
            ).returncode == 0
            for _ in range(3)
        ]  # fmt: skip
        gemini = len(get_json(f"{gemini_url}/__requests"))
        print(
            f"celery: queues drained {drained}; Twilio fake received {messages} messages "
            f"({bot_replies} WhatsApp), Gemini fake {gemini} requests; platform_core.ping "
            f"answered {sum(pings)}/3"
        )
        webhooks = dict(sorted(proxy.statuses.items()))
        errors += sum(n for status, n in webhooks.items() if status >= 500)
        print(f"Wompi webhooks through the proxy: {webhooks}; 5xx responses in all: {errors}")
        print(f"events received by the Sentry sink: {len(sentry.events)}")
        for line, count in Counter(sentry.events).most_common():
            print(f"  {count} x {line}")
        time.sleep(1)

        now = children(web.popen.pid)
        recycled = sorted(set(workers) - set(now))
        web_fig = report(
            f"web service ({len(now)} uvicorn workers)",
            web.popen.pid,
            now,
            ("master", "worker", "workers"),
            boot,
        )
        ok_web = (
            web_fig["worst"] <= WORKER_TARGET_MB
            and web_fig["kids_rss"] <= TOTAL_TARGET_MB
            and len(now) == workers_wanted
        )
        print(
            f"targets: RSS per worker <= {WORKER_TARGET_MB:.0f} MB (max {web_fig['worst']:.1f}), "
            f"workers' RSS total <= {TOTAL_TARGET_MB:.0f} MB ({web_fig['kids_rss']:.1f}) -> "
            f"{'PASS' if ok_web else 'FAIL'}; all processes' PSS {web_fig['all_pss']:.1f} MB "
            f"of {RENDER_LIMIT_MB:.0f}"
        )
        missing = [f"{w.pid}: {label}" for w in warmups for label, code in w.steps if not code]
        warm_ok = (
            not recycled
            and not errors
            and not missing
            and all(w.verified and w.client and w.staff for w in warmups)
        )
        if missing:
            print(f"WARNING: flows that did not complete: {missing}")
        if recycled:
            print(f"WARNING: workers {recycled} were recycled during the run (max_requests)")
        if not all(w.verified for w in warmups):
            print("WARNING: not every worker checked a Twilio Verify code")

        ok_celery = True
        if args.celery:
            kids = children(celery.popen.pid)
            genai = {pid: maps_mention(pid, "/aiohttp/") for pid in kids}
            fig = report(
                "celery worker (prefork, concurrency 2)",
                celery.popen.pid,
                kids,
                ("main", "child", "children"),
                boot,
            )
            ok_celery = fig["all_pss"] <= RENDER_LIMIT_MB
            print(
                f"celery total: RSS {fig['all_rss']:.1f} MB (shared pages counted per process), "
                f"PSS {fig['all_pss']:.1f} MB of {RENDER_LIMIT_MB:.0f} -> "
                f"{'PASS' if ok_celery else 'FAIL'}; children that loaded google-genai "
                f"(aiohttp mapped): {sum(genai.values())}/{len(kids)}"
            )
        return 0 if ok_web and ok_celery and warm_ok else 1
    finally:
        for proc in reversed(procs):
            proc.stop(timeout=30)
        proxy.shutdown()
        sentry.shutdown()


if __name__ == "__main__":
    sys.exit(main())
