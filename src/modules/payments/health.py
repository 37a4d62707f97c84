"""Health check: is the Wompi circuit closed?"""

from __future__ import annotations

from modules.payments.wompi.gateway import get_gateway


def wompi_circuit() -> str:
    breaker = get_gateway().breaker
    if breaker is not None and not breaker.allow():
        raise RuntimeError("Wompi circuit is open")
    return "ok"
