"""Money as a person reads it: Colombian pesos, thousands with dots, no decimals."""

from __future__ import annotations

from typing import Any


def format_cop(cents: Any, *, empty: str = "-") -> str:
    """6_200_000 cents -> "$ 62.000"; negative amounts keep their sign ("-$ 5.000").

    Centavos are not shown: COP prices and payments are whole pesos in practice (a
    remainder is rounded half up so a display never under-states an amount)."""
    if cents is None or cents == "":
        return empty
    try:
        value = int(cents)
    except (TypeError, ValueError):
        return empty
    sign = "-" if value < 0 else ""
    pesos = (abs(value) + 50) // 100
    return f"{sign}$ {pesos:,}".replace(",", ".")
