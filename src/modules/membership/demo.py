"""Demo data: the default VIP plan (idempotent)."""

from __future__ import annotations

from typing import Any


def seed(stdout: Any) -> None:
    from modules.membership.services import ensure_default_plan

    plan = ensure_default_plan()
    stdout.write(f"membership: VIP plan {plan.code} ({plan.price_cents} COP cents)\n")
