"""gunicorn imports the app once in the master and forks the workers from it (preload_app in
gunicorn.conf.py). That is only safe while importing the app opens nothing a child would share
with its siblings: no database connection, no socket (Redis, a provider), no thread."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

from tests.app_process import last_line_printed_by

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, os, threading
import studiozens.asgi
from django.db import connections
sockets = []
for fd in os.listdir("/proc/self/fd"):
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        continue
    if target.startswith("socket:"):
        sockets.append(target)
print(json.dumps({
    "connections": [alias for alias in connections if connections[alias].connection is not None],
    "threads": [t.name for t in threading.enumerate() if t is not threading.main_thread()],
    "sockets": sockets,
}))
"""


def test_gunicorn_preloads_the_app() -> None:
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["preload_app"] is True
    assert config["max_requests"] >= 1000


def test_importing_the_app_opens_no_connection_socket_or_thread() -> None:
    opened = json.loads(last_line_printed_by(PROBE))
    assert opened == {"connections": [], "threads": [], "sockets": []}
