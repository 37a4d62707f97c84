"""Understanding Spanish free text without the model: intents, catalog names, dates.

Text is normalised first (lower case, no accents, WhatsApp spellings such as "q", "xfa",
"mñn", "k" expanded, and words one typo away from a keyword corrected with rapidfuzz), then
the intent is read from keyword patterns in a fixed priority order. Service, category and
therapist names are matched fuzzily against the real catalog the tools return.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from modules.assistant import dates

GREETING, PRICES, BOOK, MY_APPOINTMENTS = "greeting", "prices", "book", "my_appointments"
CANCEL, RESCHEDULE, ORDER_STATUS, HOURS = "cancel", "reschedule", "order_status", "hours"
VIP, HUMAN, SHOP, THANKS, UNKNOWN = "vip", "human", "shop", "thanks", "unknown"
GIFT_CARD, PAYMENT = "gift_card", "payment"
INTENTS = (
    GREETING,
    PRICES,
    BOOK,
    MY_APPOINTMENTS,
    CANCEL,
    RESCHEDULE,
    ORDER_STATUS,
    HOURS,
    VIP,
    HUMAN,
    SHOP,
    THANKS,
    GIFT_CARD,
    PAYMENT,
)

# WhatsApp spellings → words (after accents are removed: "mñn" is "mnn").
ABBREVIATIONS = {
    "q": "que",
    "k": "que",
    "ke": "que",
    "xq": "porque",
    "pq": "porque",
    "xfa": "por favor",
    "xfavor": "por favor",
    "porfa": "por favor",
    "porfis": "por favor",
    "pls": "por favor",
    "plis": "por favor",
    "x": "por",
    "d": "de",
    "pa": "para",
    "tb": "tambien",
    "tmb": "tambien",
    "tbn": "tambien",
    "mnn": "manana",
    "mna": "manana",
    "mnna": "manana",
    "mñn": "manana",
    "maniana": "manana",
    "hla": "hola",
    "ola": "hola",
    "holi": "hola",
    "holis": "hola",
    "bns": "buenas",
    "bnas": "buenas",
    "kiero": "quiero",
    "qiero": "quiero",
    "kero": "quiero",
    "cuant": "cuanto",
    "cuanto": "cuanto",
    "qnto": "cuanto",
    "kuanto": "cuanto",
    "cn": "con",
    "sta": "esta",
    "toy": "estoy",
    "ps": "pues",
    "xa": "para",
    "msj": "masaje",
    "pal": "para el",
    "pala": "para la",
    "okk": "ok",
    "oki": "ok",
    "okis": "ok",
    "okey": "ok",
    "okay": "ok",
    "grax": "gracias",
    "grcs": "gracias",
    "grs": "gracias",
    "sisas": "si",
    "cel": "celular",
    # English: the client is answered in Spanish, but understood.
    "hi": "hola",
    "hello": "hola",
    "massage": "masaje",
    "massages": "masajes",
    "price": "precio",
    "prices": "precios",
    "cost": "cuesta",
    "costs": "cuesta",
    "book": "reservar",
    "appointment": "cita",
    "thanks": "gracias",
    "address": "direccion",
    "giftcard": "gift card",
    "hr": "hora",
    "hrs": "horas",
    "dnd": "donde",
    "ubicacion": "ubicacion",
}
# Words the intent patterns rely on: a token one or two typos away is corrected to them.
VOCABULARY = [
    "hola",
    "buenas",
    "buenos",
    "dias",
    "tardes",
    "noches",
    "saludos",
    "precio",
    "precios",
    "cuesta",
    "cuestan",
    "cuanto",
    "vale",
    "valen",
    "valor",
    "tarifa",
    "tarifas",
    "servicios",
    "servicio",
    "reservar",
    "reserva",
    "agendar",
    "agenda",
    "apartar",
    "separar",
    "cita",
    "citas",
    "turno",
    "disponible",
    "disponibilidad",
    "horario",
    "horarios",
    "masaje",
    "masajes",
    "facial",
    "faciales",
    "relajante",
    "piedras",
    "calientes",
    "pareja",
    "hidratante",
    "cancelar",
    "cancela",
    "cancelo",
    "anular",
    "reprogramar",
    "reagendar",
    "cambiar",
    "cambio",
    "mover",
    "aplazar",
    "pedido",
    "pedidos",
    "orden",
    "compra",
    "envio",
    "domicilio",
    "direccion",
    "ubicacion",
    "queda",
    "abren",
    "abierto",
    "cierran",
    "atienden",
    "membresia",
    "suscripcion",
    "asesor",
    "asesora",
    "humano",
    "persona",
    "agente",
    "tienda",
    "productos",
    "producto",
    "gracias",
    "quiero",
    "necesito",
    "sabado",
    "domingo",
    "lunes",
    "martes",
    "miercoles",
    "jueves",
    "viernes",
    "manana",
    "tarde",
    "noche",
    "hoy",
    "pasado",
    "semana",
    "proximo",
    "llego",
    "llegar",
]
# Common words that look like keywords ("tienen" ~ "atienden", "cuando" ~ "cuanto"): kept.
_KEEP = frozenset(
    [
        "tienen",
        "tiene",
        "tienes",
        "cuando",
        "quedan",
        "quede",
        "comprar",
        "compre",
        "donde",
        "estan",
        "puedo",
        "puede",
        "pueden",
        "quisiera",
        "podria",
        "necesito",
        "ahora",
        "otra",
        "otro",
        "dias",
        "cuantos",
        "cuantas",
        "parece",
        "pasa",
        "pasar",
        "paso",
        "cambiarla",
        "cancelarla",
        "moverla",
        "reservas",
        "cupos",
        "cupo",
        "espacio",
        "espacios",
        "hacer",
        "quieren",
        # "atienda" is one letter from "tienda", "facil" from "facial", "bono" and "saldo"
        # from other keywords: people write them meaning themselves.
        "atienda",
        "atiende",
        "atiendan",
        "atender",
        "facil",
        "saldo",
        "bono",
        "bonos",
        "regalo",
        "queja",
        "quejas",
        "reclamo",
        "pesimo",
        "pesima",
        "inutil",
        "cuento",
        "cuenta",
        "pasada",
        "esposo",
        "esposa",
    ]
)
_VOCAB_SET = frozenset(VOCABULARY)
STOPWORDS = frozenset(
    [
        "un",
        "una",
        "unos",
        "unas",
        "el",
        "la",
        "los",
        "las",
        "de",
        "del",
        "al",
        "a",
        "en",
        "y",
        "o",
        "para",
        "por",
        "con",
        "mi",
        "mis",
        "me",
        "que",
        "quiero",
        "pero",
        "necesito",
        "hay",
        "tienen",
        "tienes",
        "como",
        "cual",
        "cuales",
        "min",
        "minutos",
        "hora",
        "horas",
    ]
)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice at most one typo away (ratio >= 82), if any. rapidfuzz is imported here:
    messages are read by the Celery `bot` worker, and the web workers, which import this
    module through the assistant's routes, are spared its 4.6 MB (docs/performance.md)."""
    from rapidfuzz import fuzz, process

    found = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=82)
    return found[0] if found else None


@lru_cache(maxsize=4096)
def _correct(token: str) -> str:
    if token in _VOCAB_SET or token in _KEEP or len(token) < 5 or not token.isalpha():
        return token
    return _closest(token, VOCABULARY) or token


_LINK = re.compile(r"(https?://|www\.)\S+|\b[\w-]+\.(com|co|ly|net|org|me|link|io)(/\S*)?")


def normalize(text: str) -> str:
    """Keyword-matching form: lower case, no accents or punctuation, abbreviations expanded,
    near-miss keywords corrected ("canselar" → "cancelar", "masage" → "masaje")."""
    plain = strip_accents(text)
    plain = _LINK.sub(" ", plain)  # "bit.ly/plata-facil" is no request for a facial
    plain = re.sub(r"\bhow much\b", "cuanto vale", plain)
    plain = re.sub(r"[^\w\s]", " ", plain)
    plain = re.sub(r"([a-z])\1{2,}", r"\1", plain)  # "holaaa" → "hola"
    words = []
    for token in plain.split():
        token = ABBREVIATIONS.get(token, token)
        words.extend(_correct(t) for t in token.split())
    return " ".join(words)


# (intent, pattern) in priority order: the first that matches wins.
_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        HUMAN,
        re.compile(
            r"\b(asesor|asesora|humano|humana|agente)\b|^(una )?persona$"
            r"|\bhablar con (una |alguna |alguien|un )?(persona|alguien)?"
            r"|\b(persona real|atencion humana)\b"
            r"|\b(pasas|pasame|pasan|pasen|comunicas|comunicame|comuniquen|comunicarme|atienda|"
            r"atiendan)\b.*\b(persona|alguien|humano|asesor|asesora)\b"
            r"|\b(persona|alguien) (de verdad|real)\b"
            # A complaint or an insult is answered by a person, not by the menu again.
            r"|\b(queja|quejas|reclamo|reclamos|pesimo|pesima|inutil|estafa|ladrones)\b"
            r"|\bno (sirve|sirven) (para|pa) nada\b"
            # Cancelling the membership or an order has no tool here: a person does it.
            r"|\b(cancel\w*|anul\w*)\b.*\b(membresia|vip|suscripcion|pedido|orden|compra)\b"
            r"|\b(hp|hijueputa|hijue|malparido|malparida|gonorrea|idiota|estupido|estupida|"
            r"mierda|imbecil)\b"
        ),
    ),
    (
        RESCHEDULE,
        re.compile(
            r"\b(reprogram\w*|reagend\w*|aplaz\w*|posponer|pospon\w*)\b"
            r"|\b(cambi\w*|mover|muev\w*|pasar|correr|corre)\b.*\b(cita|hora|fecha|dia|turno|reserva)\b"
            r"|\b(cita|reserva)\b.*\b(para otro dia|a otra hora|de hora|de dia|de fecha)\b"
            # "me la pueden correr pal viernes": "la" is the appointment
            r"|\b(me la|la|mela) (puedes |pueden |podrias |podrian |puede )?"
            r"(cambiar|mover|pasar|correr)\b"
            r"|\b(cambiarla|moverla|pasarla|correrla|cambiarmela|movermela|corrermela)\b"
        ),
    ),
    (
        CANCEL,
        re.compile(
            r"\b(cancel\w*|anul\w*|desagend\w*)\b"
            r"|\bya no (puedo|voy a poder|podre) (ir|asistir|llegar)\b"
            r"|\bno (puedo|voy a poder|podre) (ir|asistir)\b"
        ),
    ),
    (
        ORDER_STATUS,
        re.compile(
            r"\b(pedido|pedidos|orden|ordenes|envio|domicilio)\b"
            r"|\bmi compra\b|\bcompre\b|\bllega mi\b"
        ),
    ),
    (
        MY_APPOINTMENTS,
        re.compile(
            r"\bmis (citas|reservas|turnos)\b"
            r"|\b(cuando|a que horas?|que dia) (es|era|tengo|quedo|quedó) (mi|la) (cita|reserva)\b"
            r"|\btengo (alguna |una )?(cita|reserva)\b"
            r"|\b(ver|consultar|revisar|confirmar|confirma|confirman|confirmas|recordar|recuerda|"
            r"recuerdas|recuerdan)\b( me)? (mi|mis) (cita|citas|reserva|reservas)\b"
            r"|^mi cita$"
        ),
    ),
    (
        GIFT_CARD,
        re.compile(
            r"\b(tarjetas?|bonos?|certificados?|vales?) (de )?regalo\b|\bgift ?cards?\b"
            r"|\bsaldo\b.*\b(tarjeta|bono|codigo)\b|\b(tarjeta|bono)\b.*\bsaldo\b"
            r"|\b(regalar|regalarle) (un|una) (masaje|facial|bono|tarjeta)\b"
        ),
    ),
    (VIP, re.compile(r"\b(vip|membresia|membresias|suscripcion|socio|socia|afiliacion)\b")),
    (
        HOURS,
        re.compile(
            r"\b(horario|horarios|abren|abre|abierto|abiertos|cierran|cierra|atienden)\b"
            r"|\b(direccion|ubicacion|ubicados|ubicadas|queda|quedan|llego|llegar|mapa)\b"
            r"|\bdonde (estan|es el spa|es|los encuentro)\b"
            r"|\ba que hora (abren|cierran|atienden)\b"
        ),
    ),
    (
        PAYMENT,
        re.compile(
            r"\b(nequi|daviplata|pse|efectivo|datafono|transferencia|tarjeta de credito|"
            r"tarjeta debito|tarjeta de debito|medios? de pago|formas? de pago|metodos? de pago)\b"
            r"|\bpagar con\b|\bcomo (pago|se paga|puedo pagar|les pago)\b"
            r"|\breciben (tarjeta|efectivo)\b"
        ),
    ),
    (SHOP, re.compile(r"\b(tienda|productos|producto|aceite|aceites|crema|cremas|comprar)\b")),
    (
        BOOK,
        re.compile(
            r"\b(reserv\w*|agend\w*|apart\w*|separ\w*|sacar (una )?cita|pedir (una )?cita)\b"
            r"|\b(quiero|quisiera|necesito|me gustaria|deseo|puedo|podria) "
            r"(un|una|el|la|hacerme|tomar|ir|pedir)\b"
            r"|\b(cita|turno|espacio|cupo|disponibilidad|disponible|disponibles)\b"
            r"|\b(hay|tienen|tienes|queda|quedan) (cupo|espacio|algo|hora|citas|turno)\b"
        ),
    ),
    (
        PRICES,
        re.compile(
            r"\b(precio|precios|cuesta|cuestan|vale|valen|valor|tarifa|tarifas|cobran)\b"
            r"|\bcuanto (es|sale|seria|cobran)\b|\b(servicios|que hacen|que ofrecen|lista)\b"
        ),
    ),
    (
        THANKS,
        re.compile(
            r"^((ok|listo|bueno|vale|perfecto|super|genial|excelente|dale|de una|si|no) )*"
            r"(muchas |mil |muchisimas )?(gracias|chao|adios|bendiciones|hasta luego)\b"
            r"|^(ok|listo|bueno|vale|perfecto|super|genial|excelente|entendido|de una|"
            r"ok listo|listo ok|vale gracias)$"
        ),
    ),
    (
        GREETING,
        re.compile(
            r"^(hola|buenas|buenos dias|buenas tardes|buenas noches|saludos|hey|buen dia|"
            r"que mas|que tal|alo)\b"
        ),
    ),
]
# Followed by nothing else worth reading ("hola", "hola buenas tardes"): only a greeting.
_ONLY_GREETING = re.compile(
    r"^((hola|buenas|buenos|buen|dias|dia|tardes|noches|saludos|hey|que|mas|tal|como|estas|"
    r"esta|estan|pues|ustedes|alo|zen|por|favor|señorita|senorita|amiga|veci|vecina|\s)+)$"
)


@dataclass
class Match:
    code: str
    name: str
    score: float


@dataclass
class Understanding:
    intent: str
    text: str  # normalised
    when: dates.When = field(default_factory=dates.When)
    service: Match | None = None  # one service clearly named
    category: str = ""  # a category named (or several services tied)
    candidates: list[dict[str, Any]] = field(default_factory=list)  # services to choose from
    therapist: Match | None = None
    injection: bool = False
    asks_price: bool = False  # "cuánto vale ... y tienen espacio el viernes?": both answered


_INJECTION = re.compile(
    r"\b(ignora|ignore|olvida|olvidate)\b.*\b(instrucciones|reglas|anteriores|previas)\b"
    r"|\bsystem prompt\b|\bprompt\b|\beres ahora\b|\bmodo (desarrollador|admin)\b"
    r"|\b(otro|otra) (numero|cliente|persona)\b|\bde (mi|la) (amiga|hermana|mama|esposa|vecina)\b"
    r"|\+?\d{10,12}\b"
)


# An acknowledgement with nothing else ("ok", "listo", "vale", "perfecto"): no request.
_ACK_ONLY = re.compile(
    r"^((ok|listo|bueno|vale|perfecto|super|genial|excelente|entendido|de una|bien|"
    r"muy bien|okay|oka)\s*)+$"
)
# Asking whether someone speaks English: answered (in Spanish) that we write in Spanish.
ENGLISH = re.compile(r"\b(english|speak|ingles)\b")


_PRICE_WORDS = re.compile(r"\b(precio|cuesta|cuestan|vale|valen|valor|cobran|cuanto (es|sale))\b")


def detect_intent(normalized: str) -> str:
    if not normalized or ENGLISH.search(normalized):
        return UNKNOWN
    if _ACK_ONLY.match(normalized):
        return THANKS
    if _ONLY_GREETING.match(normalized):
        return GREETING
    for intent, pattern in _RULES:
        if pattern.search(normalized):
            return intent
    return UNKNOWN


def _words(name: str) -> list[str]:
    # A note in parentheses ("(30 min de reposo)", "(tarjeta en garantía)") names no service.
    name = re.sub(r"\([^)]*\)", " ", name)
    return [
        w
        for w in re.sub(r"[^\w\s]", " ", strip_accents(name)).split()
        if w not in STOPWORDS and not w.isdigit() and len(w) > 2
    ]


def _has(tokens: Sequence[str], word: str) -> bool:
    if word in tokens:
        return True
    # "masajes" ~ "masaje", "relajant" ~ "relajante"; short words must match exactly.
    if len(word) < 5:
        return False
    content = [t for t in tokens if t not in STOPWORDS and len(t) > 3]
    return _closest(word, content) is not None


def _hits(tokens: Sequence[str], service: dict[str, Any]) -> tuple[int, int]:
    """(distinctive words of the service's name in the message, all its words there)."""
    category = str(service.get("category") or "")
    # "faciales" → "facial", "masajes" → "masaje": the category's word names no service.
    cat_words = {w.rstrip("s") for w in _words(category)} | {
        w[:-2] for w in _words(category) if w.endswith("es")
    }
    hits = [w for w in _words(str(service.get("name", ""))) if _has(tokens, w)]
    return len([w for w in hits if w.rstrip("s") not in cat_words]), len(hits)


def _named(normalized: str, services: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every service with at least one of its distinctive words in the message."""
    tokens = normalized.split()
    return [service for service in services if _hits(tokens, service)[0]]


def match_services(normalized: str, services: Iterable[dict[str, Any]]) -> tuple[Any, str, list]:
    """(the one service named or None, the category named or "", the services that fit)."""
    tokens = normalized.split()
    scored = []
    categories: dict[str, list[dict[str, Any]]] = {}
    for service in services:
        categories.setdefault(str(service.get("category") or ""), []).append(service)
        scored.append((*_hits(tokens, service), service))
    named_categories = [
        cat
        for cat in categories
        if cat and any(_has(tokens, w) or _has(tokens, w.rstrip("s")) for w in _words(cat))
    ]
    best = max((s[0] for s in scored), default=0)
    if best:
        top = [s for s in scored if s[0] == best]
        if len(top) == 1:
            service = top[0][2]
            return (
                Match(str(service.get("code")), str(service.get("name")), best),
                "",
                [service],
            )
        return None, "", [s[2] for s in top]
    if named_categories:
        cat = named_categories[0]
        if len(categories[cat]) == 1:  # "el facial" when there is one facial
            only = categories[cat][0]
            return Match(str(only.get("code")), str(only.get("name")), 0), "", [only]
        return None, cat, categories[cat]
    return None, "", []


def match_therapist(normalized: str, therapists: Iterable[dict[str, Any]]) -> Match | None:
    tokens = normalized.split()
    for therapist in therapists:
        first = _words(str(therapist.get("name", "")))[:1]
        if first and _has(tokens, first[0]):
            return Match(str(therapist.get("id")), str(therapist.get("name")), 100)
    return None


def understand(
    text: str,
    *,
    now: datetime,
    services: Iterable[dict[str, Any]] = (),
    therapists: Iterable[dict[str, Any]] = (),
) -> Understanding:
    services = list(services)
    normalized = normalize(text)
    result = Understanding(intent=detect_intent(normalized), text=normalized)
    result.when = dates.parse(text, now=now)
    if result.intent in (BOOK, PRICES, UNKNOWN, GREETING, RESCHEDULE, HOURS):
        service, category, candidates = match_services(normalized, services)
        result.service, result.category, result.candidates = service, category, candidates
        result.therapist = match_therapist(normalized, therapists)
        named = service is not None or bool(candidates)
        if result.intent in (UNKNOWN, GREETING) and named:
            # "un masaje relajante el sábado", "masajes?": a service named is a booking when
            # a day or time comes with it, else a price question.
            result.intent = BOOK if not result.when.empty else PRICES
        elif result.intent == HOURS and named and result.when.day is not None:
            # "¿el domingo abren pa un facial?": that day's times answer it (closed or not).
            result.intent = BOOK
        if result.intent == PRICES and service is not None:
            # "¿cuánto cuestan el de piedras y el facial hidratante?": every service named.
            every = _named(normalized, services)
            if len(every) > 1:
                result.service, result.candidates = None, every
        result.asks_price = result.intent == BOOK and bool(_PRICE_WORDS.search(normalized))
    if result.intent == UNKNOWN and not result.when.empty:
        result.intent = BOOK
    result.injection = bool(_INJECTION.search(normalized))
    return result
