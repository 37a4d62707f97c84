"""The few words the assistant reacts to before any understanding: confirmations,
refusals, sign-up, the menu, asking for a person, and a verification code."""

from __future__ import annotations

import re
import unicodedata

CONFIRM_WORDS = frozenset(
    {
        "si",
        "si confirmo",
        "si por favor",
        "si senor",
        "si senora",
        "confirmo",
        "confirmar",
        "confirmado",
        "dale",
        "de acuerdo",
        "listo",
        "ok",
        "okay",
        "claro",
        "claro que si",
        "si claro",
        "de una",
    }
)


DENY_WORDS = frozenset(
    {"no", "no gracias", "no confirmo", "cancelar", "cancela", "mejor no", "no quiero", "nop"}
)


SIGNUP_WORDS = frozenset(
    {
        "registrarme",
        "registro",
        "registrar",
        "quiero registrarme",
        "crear cuenta",
        "crear mi cuenta",
    }
)


MENU_WORDS = frozenset({"menu", "0", "opciones"})


_HANDOFF = re.compile(
    r"\b(asesor|asesora|humano|humana|agente)\b"
    r"|^(una )?persona$"
    r"|\bhablar con (una |alguna )?persona\b"
)


VERIFICATION_CODE = re.compile(r"^\d{4,8}$")


def normalize_text(text: str) -> str:
    """Lower-case, no accents, no punctuation, single spaces: for keyword matching only."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = re.sub(r"[^\w\s]", " ", plain)
    return " ".join(plain.split())


def is_confirmation(text: str) -> bool:
    return normalize_text(text) in CONFIRM_WORDS


def wants_handoff(text: str) -> bool:
    return bool(_HANDOFF.search(normalize_text(text)))
