"""Spanish day and time expressions for the fallback ("mañana a las 3pm", "el sábado en la
tarde", "mñn 4", "15 de diciembre a las 11am").

``dateparser`` (languages=["es"]) reads absolute dates well but returns nothing for "el
viernes", "pasado mañana", "hoy en la tarde", "3 de la tarde" or "mñn" (see
docs/assistant.md), and reads "a las 3" as the 3rd of the month. So a small layer of our own
handles relative days, weekdays, parts of the day and clock times, and only the absolute
date fragment ("15 de diciembre", "20/12") is handed to dateparser.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

MORNING, AFTERNOON, EVENING = "morning", "afternoon", "evening"
PART_LABELS = {MORNING: "en la mañana", AFTERNOON: "en la tarde", EVENING: "en la noche"}
WEEKDAYS = {
    "lunes": 0,
    "martes": 1,
    "miercoles": 2,
    "jueves": 3,
    "viernes": 4,
    "sabado": 5,
    "domingo": 6,
}
MONTHS = (
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|"
    "noviembre|diciembre|ene|feb|mar|abr|may|jun|jul|ago|sep|sept|oct|nov|dic"
)
# WhatsApp spellings of "mañana" once accents are gone ("mñn" → "mnn").
_TOMORROW_ABBR = re.compile(r"\b(mnn|mna|mnna|mana|manan|mañn|maniana|manaa)\b")


@dataclass(frozen=True)
class When:
    """What the client asked for; every field may be missing."""

    day: date | None = None
    part: str | None = None  # MORNING / AFTERNOON / EVENING
    at: time | None = None

    @property
    def empty(self) -> bool:
        return self.day is None and self.part is None and self.at is None


def plain(text: str) -> str:
    """Lower case, no accents, "p. m." → "pm"; keeps ':' and '/' for times and dates."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    out = "".join(c for c in decomposed if not unicodedata.combining(c))
    out = re.sub(r"\b([ap])\s*\.?\s*m\b\.?", r"\1m", out)
    out = re.sub(r"[^\w\s:/]", " ", out)
    out = _TOMORROW_ABBR.sub("manana", out)
    return " ".join(out.split())


def _part(text: str) -> str | None:
    # "x la mañana", "pa la tarde": WhatsApp spellings of "por" and "para".
    if re.search(r"\b(en|por|x|de|a|pa|para) la manana\b|\btemprano\b|\bmananita\b", text):
        return MORNING
    if re.search(r"\b(en|por|x|de|a|pa|para) la tarde\b|\btardecita\b|^tarde$|\bla tarde\b", text):
        return AFTERNOON
    if re.search(r"\b(en|por|x|de|a|pa|para) la noche\b|\bnochecita\b|^noche$", text):
        return EVENING
    return None


def _hour(hour: int, minute: int, suffix: str, part: str | None) -> time | None:
    if suffix == "pm" and hour < 12:
        hour += 12
    elif suffix == "am" and hour == 12:
        hour = 0
    elif not suffix:
        if part in (AFTERNOON, EVENING) and hour < 12:
            hour += 12
        elif part is None and 1 <= hour <= 7:
            hour += 12  # the spa is closed at 3 a. m.: "a las 3" is 15:00
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


_CLOCK = re.compile(
    r"\b(?:a las |a la |las |tipo |como a las |sobre las |)"
    r"(\d{1,2})(?::(\d{2})| y (media|cuarto|[0-5]\d\b))?\s*(am|pm|h|hrs|horas)?"
    r"(?: de la (manana|tarde|noche))?\b"
)


_DAY_THEN_HOUR = re.compile(
    r"\b(hoy|manana|lunes|martes|miercoles|jueves|viernes|sabado|domingo) (\d{1,2})\b(?! de )"
)


def _time(text: str, part: str | None) -> time | None:
    if re.search(r"\b(al )?medio ?dia\b", text):
        return time(12, 0)
    bare = _DAY_THEN_HOUR.search(text)
    if bare is not None and int(bare.group(2)) <= 12:  # "mñn 4": a day, then an hour
        text = text.replace(bare.group(0), f"{bare.group(1)} a las {bare.group(2)}", 1)
    for match in _CLOCK.finditer(text):
        hour_s, minute_s, fraction, suffix, of_the = match.groups()
        prefix = match.group(0)[: match.start(1) - match.start(0)]
        # A bare number is a time only with a clue: "a las", ":mm", am/pm, "de la tarde".
        if not (prefix.strip() or minute_s or suffix or of_the or fraction):
            continue
        if suffix in ("h", "hrs", "horas") and not (prefix.strip() or minute_s):
            continue
        if fraction and fraction.isdigit():  # "a las 4 y 30"
            minute_s, fraction = fraction, None
        minute = int(minute_s) if minute_s else {"media": 30, "cuarto": 15}.get(fraction or "", 0)
        local_part = {"manana": MORNING, "tarde": AFTERNOON, "noche": EVENING}.get(
            of_the or "", part
        )
        suffix = suffix if suffix in ("am", "pm") else ""
        if of_the == "manana" and not suffix:
            suffix = "am"
        found = _hour(int(hour_s), minute, suffix, local_part)
        if found is not None:
            return found
    return None


@lru_cache(maxsize=1)
def _dateparser() -> Any:
    import dateparser  # ~0.8 s to import: only the bot worker needs it

    return dateparser


def _absolute(text: str, today: date) -> date | None:
    match = re.search(rf"\b(\d{{1,2}}) de ({MONTHS})\w*\b", text) or re.search(
        r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b", text
    )
    if match is not None:
        parsed = _dateparser().parse(
            match.group(0),
            languages=["es"],
            settings={
                "PREFER_DATES_FROM": "future",
                "DATE_ORDER": "DMY",
                "RELATIVE_BASE": datetime.combine(today, time(0)),
            },
        )
        # "31 de febrero" is no date: not read as "el 31" of this month either.
        return parsed.date() if parsed is not None else None
    match = re.search(r"\b(?:el|dia|este|pal) (\d{1,2})\b(?! de la)(?!:)", text)
    if match is not None and not re.search(rf"\b{match.group(1)} ?(am|pm)\b", text):
        return _next_day_of_month(today, int(match.group(1)), months=3)
    return None


def _next_day_of_month(
    today: date, day: int, *, months: int, weekday: int | None = None
) -> date | None:
    """The first ``day`` of a month from today on, within ``months`` months (this one
    included), that falls on ``weekday`` when one is given; None when there is none."""
    for months_ahead in range(months):
        year = today.year + (today.month - 1 + months_ahead) // 12
        month = (today.month - 1 + months_ahead) % 12 + 1
        try:
            candidate = date(year, month, day)
        except ValueError:  # no 31st in this month
            continue
        if candidate >= today and weekday in (None, candidate.weekday()):
            return candidate
    return None


def _day(text: str, today: date) -> date | None:
    if re.search(r"\bpasado manana\b", text):
        return today + timedelta(days=2)
    if re.search(r"\bhoy\b|\besta (tarde|noche)\b", text):
        return today
    # "mañana" is tomorrow unless it is the part of the day ("en la mañana").
    if re.search(r"(?<!la )\bmanana\b", text) or re.search(r"\bmanana (en|por) la\b", text):
        return today + timedelta(days=1)
    absolute = _absolute(text, today)
    if absolute is not None:
        return absolute
    for name, weekday in WEEKDAYS.items():
        if re.search(rf"\b{name}\b", text):
            ahead = (weekday - today.weekday()) % 7
            if ahead == 0 and re.search(rf"\b(proximo|siguiente) {name}\b", text):
                ahead = 7
            return today + timedelta(days=ahead)
    if re.search(r"\bfin de semana\b|\bfinde\b", text):
        return today + timedelta(days=(5 - today.weekday()) % 7)
    return None


_WEEKDAY_NUMBER = re.compile(
    r"\b(lunes|martes|miercoles|jueves|viernes|sabado|domingo) (\d{1,2})\b(?!:)(?! ?(am|pm|h)\b)"
)


def _weekday_date(text: str, today: date) -> tuple[date, str] | None:
    """ "el lunes 14": a date when that day of the month falls on that weekday (within three
    months), with the fragment read; "el sábado 11" (the 11th is a Friday) is an hour instead."""
    match = _WEEKDAY_NUMBER.search(text)
    if match is None:
        return None
    weekday, number = WEEKDAYS[match.group(1)], int(match.group(2))
    candidate = _next_day_of_month(today, number, months=4, weekday=weekday)
    return (candidate, match.group(0)) if candidate is not None else None


def parse(text: str, *, now: datetime) -> When:
    """The day, part of day and time found in ``text`` (relative to ``now``, local time)."""
    clean = plain(text)
    part = _part(clean)
    dated = _weekday_date(clean, now.date())
    # The day of the month read with its weekday is no hour ("el lunes 14 a las 10").
    at = _time(clean.replace(dated[1], "", 1) if dated else clean, part)
    if at is not None and part is None:
        part = MORNING if at.hour < 12 else AFTERNOON if at.hour < 17 else EVENING
    day = dated[0] if dated else _day(clean, now.date())
    return When(day=day, part=part, at=at)


def part_of(moment: datetime | time) -> str:
    hour = moment.hour
    return MORNING if hour < 12 else AFTERNOON if hour < 17 else EVENING
