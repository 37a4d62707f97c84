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
        # What people in Bogotá type for an explicit yes ("siii dale porfa", "sisas").
        "si dale",
        "dale si",
        "si si",
        "sisas",
        "si de una",
        "dale pues",
        "listo dale",
        "dale listo",
        "si listo",
        "listo si",
        "hagale",
        "si hagale",
        "si senorita",
        "perfecto",
        "si perfecto",
        "perfecto si",
        "si confirmado",
        "obvio",
        "si obvio",
        "ok dale",
        "ok perfecto",
        "perfecto ok",
        "listo perfecto",
        "perfecto listo",
        "dale perfecto",
        "perfecto dale",
        "ok si",
        "si ok",
    }
)


DENY_WORDS = frozenset(
    {
        "no",
        "no gracias",
        "no confirmo",
        "cancelar",
        "cancela",
        "mejor no",
        "no mejor no",
        "no no",
        "no quiero",
        "nop",
        "nel",
        "no senorita",
        "ya no",
        "todavia no",
        "aun no",
    }
)


# The answer to a question sent outside the conversation (a freed slot offered from the
# waitlist): WhatsApp quick replies ("Sí, lo quiero", "No, gracias") and what people type.
# Politeness at the end ("gracias", "por favor") is dropped before matching.
YES_WORDS = CONFIRM_WORDS | {
    "acepto",
    "lo acepto",
    "si acepto",
    "si lo acepto",
    "lo quiero",
    "si lo quiero",
    "si quiero",
    "quiero el cupo",
    "si quiero el cupo",
    "lo tomo",
    "si lo tomo",
    "me lo quedo",
    "si me lo quedo",
    "me sirve",
    "si me sirve",
    "si dale",
    "dale si",
    "listo si",
    "si listo",
    "si de una",
    "perfecto",
    "si perfecto",
}
NO_WORDS = DENY_WORDS | {
    "no puedo",
    "no me sirve",
    "no lo quiero",
    "no lo tomo",
    "no quiero el cupo",
    "paso",
    "ahora no",
    "no por ahora",
    "esta vez no",
    "no esta vez",
    "no me queda",
    "no alcanzo",
}
_POLITE_TAIL = re.compile(r"(\s+(muchas\s+)?gracias|\s+por\s*favor|\s+porfa)+$")
_THUMBS_UP = ("\U0001f44d", "\U0001f44c")  # 👍 👌 (any skin tone)


def answer_to_question(text: str) -> bool | None:
    """True for a yes, False for a no, None for anything else (a question, a request)."""
    if text.strip().startswith(_THUMBS_UP) and not normalize_text(text):
        return True
    core = _answer_core(text)
    if core in YES_WORDS:
        return True
    if core in NO_WORDS:
        return False
    return None


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


def _answer_core(text: str) -> str:
    """The yes/no part of an answer: letters typed long collapsed ("siii" → "si", "nooo" →
    "no", "okk" → "ok") and politeness at the end dropped ("dale porfa", "sí gracias")."""
    collapsed = re.sub(r"([a-z])\1+", r"\1", normalize_text(text))
    return _POLITE_TAIL.sub("", collapsed)


def is_confirmation(text: str) -> bool:
    """An explicit yes to the pending proposal, and nothing else ("sí pero mañana" is not)."""
    return _answer_core(text) in CONFIRM_WORDS


def is_refusal(text: str) -> bool:
    return _answer_core(text) in DENY_WORDS


def wants_handoff(text: str) -> bool:
    return bool(_HANDOFF.search(normalize_text(text)))
