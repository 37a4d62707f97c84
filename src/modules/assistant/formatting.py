"""Turning tool results into short WhatsApp text (used by the menu and the proposals)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from platform_core.money import format_cop
from platform_core.spanish import MONTHS, WEEKDAYS, WEEKDAYS_SHORT

WHATSAPP_LIMIT = 1600
# Raw states a tool may return, in the client's words (never PENDING_PAYMENT on WhatsApp).
STATUS_WORDS = {
    "PENDING_PAYMENT": "pendiente de pago",
    "CONFIRMED": "confirmada",
    "COMPLETED": "completada",
    "NO_SHOW": "no asististe",
    "CANCELLED": "cancelada",
    "EXPIRED": "vencida",
    "pending": "pendiente",
    "confirmed": "confirmada",
    "cancelled": "cancelada",
    "paid": "pagado",
}


def items_of(result: dict[str, Any], *keys: str) -> list[dict[str, Any]]:
    """The list a tool returned, under one of ``keys`` or the first list value."""
    for key in keys:
        value = result.get(key)
        if isinstance(value, list):
            return [item for item in value if isinstance(item, dict)]
    for value in result.values():
        if isinstance(value, list):
            return [item for item in value if isinstance(item, dict)]
    return []


def money(cents: Any, currency: str = "COP") -> str:
    amount = format_cop(cents, empty="")
    return amount + ("" if currency == "COP" or not amount else f" {currency}")


def when(value: Any) -> str:
    parsed = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(parsed, datetime):
        return str(value or "")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    local = timezone.localtime(parsed)
    return f"{WEEKDAYS_SHORT[local.weekday()]} {local:%d/%m} {local:%I:%M %p}".replace(
        "AM", "a. m."
    ).replace("PM", "p. m.")


def _first(item: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if item.get(key) not in (None, ""):
            return item[key]
    return None


def price_of(item: dict[str, Any]) -> str:
    cents = _first(item, "price_cents", "amount_cents", "price_in_cents")
    if cents is not None:
        return money(cents, item.get("currency", "COP"))
    price = _first(item, "price", "price_display")
    return str(price) if price is not None else ""


def describe_service(item: dict[str, Any]) -> str:
    name = _first(item, "name", "title", "code") or "?"
    extras = [
        p
        for p in (
            price_of(item),
            _("%(m)s min") % {"m": item["duration_minutes"]}
            if item.get("duration_minutes")
            else "",
        )
        if p
    ]
    return f"{name}" + (f" — {', '.join(extras)}" if extras else "")


def describe_slot(item: dict[str, Any]) -> str:
    text = item.get("label") or when(_first(item, "start", "starts_at", "start_at"))
    therapist = _first(item, "therapist_name", "therapist")
    if isinstance(therapist, dict):
        therapist = therapist.get("name")
    if not therapist and isinstance(item.get("therapists"), list):
        names = [t.get("name") for t in item["therapists"] if isinstance(t, dict)]
        therapist = ", ".join(n for n in names if n)
    return f"{text} con {therapist}" if therapist else str(text)


def describe_appointment(item: dict[str, Any]) -> str:
    service = _first(item, "service_name", "service")
    if isinstance(service, dict):
        service = service.get("name")
    status = _first(item, "status_display", "status")
    status = STATUS_WORDS.get(str(status), str(status).lower()) if status else None
    moment = item.get("when") or when(_first(item, "start", "starts_at"))
    parts = [p for p in (str(service or ""), str(moment or "")) if p]
    return " — ".join(parts) + (f" ({status})" if status else "")


def describe_product(item: dict[str, Any]) -> str:
    name = _first(item, "name", "title", "sku") or "?"
    price = price_of(item)
    return f"{name}" + (f" — {price}" if price else "")


def numbered(lines: list[str]) -> str:
    return "\n".join(f"*{i}.* {line}" for i, line in enumerate(lines, start=1))


def split_message(text: str, limit: int = WHATSAPP_LIMIT) -> list[str]:
    """Chunks of at most ``limit`` characters, cut at paragraph, line or word boundaries."""
    text = text.strip()
    chunks: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit  # one very long word: hard cut
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return chunks


def error_text(result: dict[str, Any]) -> str | None:
    """The user-facing failure of a tool result ({"error": ...} or {"ok": false, ...})."""
    if result.get("ok") is False or "error" in result:
        return str(result.get("message") or result.get("error") or "")
    return None


def day_label(value: date) -> str:
    """'sábado 12 de diciembre'."""
    return f"{WEEKDAYS[value.weekday()]} {value.day} de {MONTHS[value.month - 1]}"


def clock(value: datetime | time) -> str:
    """'3:00 p. m.' (12-hour clock, as people in Bogotá say it)."""
    hour = value.hour % 12 or 12
    suffix = "a. m." if value.hour < 12 else "p. m."
    return f"{hour}:{value.minute:02d} {suffix}"


def local(value: Any) -> datetime | None:
    parsed = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(parsed, datetime):
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return timezone.localtime(parsed)


def hours_text(result: dict[str, Any]) -> str:
    """The weekly hours from the opening_hours tool: consecutive days with equal hours
    grouped ("lunes a viernes: 9:00 a. m. a 7:00 p. m.")."""
    week = [w for w in result.get("week") or [] if isinstance(w, dict)]
    groups: list[list[Any]] = []
    for row in week:
        span = (row.get("opens"), row.get("closes"))
        if groups and groups[-1][1] == span and groups[-1][0][-1] == row["weekday"] - 1:
            groups[-1][0].append(row["weekday"])
        else:
            groups.append([[row["weekday"]], span])
    lines = []
    for days, (opens, closes) in groups:
        names = (
            WEEKDAYS[days[0]] if len(days) == 1 else f"{WEEKDAYS[days[0]]} a {WEEKDAYS[days[-1]]}"
        )
        start, end = time.fromisoformat(opens), time.fromisoformat(closes)
        lines.append(f"• {names}: {clock(start)} a {clock(end)}")
    open_days = {w["weekday"] for w in week}
    closed = [WEEKDAYS[d] for d in range(7) if d not in open_days]
    if closed:
        lines.append("• " + _("%(days)s: cerrado") % {"days": ", ".join(closed)})
    for day in result.get("closed_days") or []:
        when = date.fromisoformat(day["date"])
        reason = f" ({day['reason']})" if day.get("reason") else ""
        lines.append(
            "• " + _("%(day)s: cerrado%(reason)s") % {"day": day_label(when), "reason": reason}
        )
    return "\n".join(lines)
