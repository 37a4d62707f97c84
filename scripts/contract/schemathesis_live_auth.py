"""Schemathesis hooks for a run against a live server as one identity (docs/e2e.md,
"Schema fuzzing against a live server"):
``SCHEMATHESIS_HOOKS=scripts.contract.schemathesis_live_auth``.

``FUZZ_ROLE``: ``client`` (demo client), ``staff`` (demo admin) or ``anon`` (no token).
``BASE_URL``: the server (set by ``scripts.contract.live_server``). The access token lives
15 minutes, so it is fetched again every 10.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from typing import Any

import schemathesis

DEMO_ACCOUNTS = {  # seed_demo's accounts (development only, docs/identity.md)
    "client": ("+573000000005", "StudioZens-Cliente-2026!"),
    "staff": ("+573000000001", "StudioZens-Staff-2026!"),
}
ROLE = os.environ.get("FUZZ_ROLE", "anon")
TOKEN_SECONDS = 600


def _log_in(base_url: str, phone: str, password: str) -> str:
    request = urllib.request.Request(
        base_url.rstrip("/") + "/api/users/token/",
        data=json.dumps({"phone_number": phone, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["access"])


if ROLE in DEMO_ACCOUNTS:

    @schemathesis.auth()
    class DemoJWT:
        def __init__(self) -> None:
            self.token = ""
            self.fetched = 0.0

        def get(self, case: Any, context: Any) -> str:
            if not self.token or time.monotonic() - self.fetched > TOKEN_SECONDS:
                self.token = _log_in(os.environ["BASE_URL"], *DEMO_ACCOUNTS[ROLE])
                self.fetched = time.monotonic()
            return self.token

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


if __name__ == "__main__":  # a hooks module, not a command: `--help` (or any run) explains it
    print(__doc__)
