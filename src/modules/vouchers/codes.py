"""Gift-card codes: unguessable, checksum-validated, stored only as a digest.

A code is 15 random symbols of Crockford's base-32 alphabet (75 bits: no I, L, O or U, so
nothing reads as another symbol) plus one Luhn mod 32 check symbol, shown in groups of four
(``7Q2K-M9XH-3TBD-PW4J``). The check symbol rejects a mistyped code (any single wrong symbol,
most swapped neighbours) before the database is asked, so typos do not count as guesses.

The database keeps the SHA-256 of the normalised code (an unkeyed digest: 75 random bits
cannot be brute-forced offline, and no key rotation can orphan a card) and the last four
symbols for masked display. docs/vouchers.md.
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
RANDOM_SYMBOLS = 15
LENGTH = RANDOM_SYMBOLS + 1
_INDEX = {symbol: i for i, symbol in enumerate(ALPHABET)}
# What people type for the symbols Crockford leaves out.
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _check_symbol(body: str) -> str:
    """Luhn mod N over the alphabet (N = 32), computed right to left."""
    n = len(ALPHABET)
    total = 0
    factor = 2
    for symbol in reversed(body):
        addend = factor * _INDEX[symbol]
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def generate() -> str:
    """A new code, normalised (no dashes)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return body + _check_symbol(body)


def normalise(raw: str) -> str | None:
    """The canonical form of what a person typed, or None when it cannot be a code
    (wrong length, a foreign symbol or a failed check symbol)."""
    text = "".join(ch for ch in str(raw or "").upper() if ch not in " -.").translate(_ALIASES)
    if len(text) != LENGTH or any(ch not in _INDEX for ch in text):
        return None
    if _check_symbol(text[:-1]) != text[-1]:
        return None
    return text


def digest(code: str) -> str:
    """The stored form of a normalised code."""
    return hashlib.sha256(code.encode()).hexdigest()


def display(code: str) -> str:
    """``7Q2KM9XH3TBDPW4J`` -> ``7Q2K-M9XH-3TBD-PW4J``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def masked(hint: str) -> str:
    return f"····{hint}"
