"""The developer's payout destination (WOMPI_DEVELOPER_DESTINATION) and the production check
that it can be paid. Pure Python: the settings run the check (``settings_check`` in plugin.py)
before Django is set up.

Wompi's payouts API ("pagos a terceros") pays a bank account, never an e-mail address: each
transaction needs legalIdType (CC, NIT or CE), legalId, bankId (a bank UUID from
``GET /banks``), accountType (AHORROS or CORRIENTE), accountNumber, name and email.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

REQUIRED = ("legalIdType", "legalId", "bankId", "accountType", "accountNumber", "name", "email")
LEGAL_ID_TYPES = ("CC", "NIT", "CE")
ACCOUNT_TYPES = ("AHORROS", "CORRIENTE")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
WHAT_WOMPI_NEEDS = (
    "Wompi pays a Colombian bank account: set WOMPI_DEVELOPER_DESTINATION to JSON or "
    "key=value;... with legalIdType (CC, NIT or CE), legalId, bankId (UUID from Wompi's "
    "GET /banks), accountType (AHORROS or CORRIENTE), accountNumber, name and email"
)


def parse(raw: str) -> dict[str, str]:
    """A JSON object or ``key=value;key=value``; ``{}`` for anything else (an e-mail)."""
    raw = (raw or "").strip()
    if not raw:
        return {}
    if raw.startswith("{"):
        try:
            data = json.loads(raw)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    pairs = (item.split("=", 1) for item in raw.split(";") if "=" in item)
    return {k.strip(): v.strip() for k, v in pairs}


def problems(raw: str) -> list[str]:
    """Why ``raw`` cannot be paid (empty list: it can)."""
    dest = parse(raw)
    if not dest:
        shown = "empty" if not (raw or "").strip() else "not a bank account"
        if "@" in (raw or "") and "=" not in (raw or ""):
            shown = "an e-mail address, which Wompi cannot pay"
        return [f"WOMPI_DEVELOPER_DESTINATION is {shown}"]
    found = []
    missing = [key for key in REQUIRED if not dest.get(key)]
    if missing:
        found.append(f"WOMPI_DEVELOPER_DESTINATION lacks {', '.join(missing)}")
    if dest.get("legalIdType") and dest["legalIdType"] not in LEGAL_ID_TYPES:
        found.append(f"legalIdType must be one of {', '.join(LEGAL_ID_TYPES)}")
    if dest.get("accountType") and dest["accountType"] not in ACCOUNT_TYPES:
        found.append(f"accountType must be one of {', '.join(ACCOUNT_TYPES)}")
    if dest.get("bankId") and not _UUID.match(dest["bankId"]):
        found.append("bankId must be the bank's UUID from Wompi's GET /banks")
    if dest.get("accountNumber") and not dest["accountNumber"].isdigit():
        found.append("accountNumber must be digits only")
    if dest.get("email") and "@" not in dest["email"]:
        found.append("email must be an e-mail address")
    return found


def settings_check(values: Mapping[str, Any]) -> list[str]:
    """Production: with a commission configured, the payout must be possible."""
    if float(values.get("DEVELOPER_COMMISSION_PERCENT") or 0) <= 0:
        return []
    found = [
        f"{name} is required when DEVELOPER_COMMISSION_PERCENT > 0"
        for name in (
            "WOMPI_PAYOUT_PRIVATE_KEY",
            "WOMPI_PAYOUT_USER_PRINCIPAL_ID",
            "WOMPI_PAYOUT_ACCOUNT_ID",
        )
        if not values.get(name)
    ]
    bad = problems(str(values.get("WOMPI_DEVELOPER_DESTINATION") or ""))
    if bad:
        found.append("; ".join(bad) + ". " + WHAT_WOMPI_NEEDS)
    return found
