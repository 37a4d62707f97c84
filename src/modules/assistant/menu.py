"""The assistant without the model: numbered menu and Spanish free text, mixed freely.

Each message is read by ``nlu`` (intent, service, therapist, day/time); menu numbers and
step words ("otro día", "más tarde") are read first while a step is open. Every journey
uses the same plugin tools the model uses, and anything that changes or charges something
(book, cancel, reschedule) ends in a proposal that runs only after an explicit "sí".
What cannot be read gets the numbered menu: never a dead end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.assistant import dates, links, nlu
from modules.assistant import formatting as fmt
from modules.assistant.gemini import PendingAction
from modules.assistant.toolbox import propose_text, run_tool, sanitize_args
from platform_core.errors import DomainError
from platform_core.plugins import AssistantTool, ToolContext

MAX_OPTIONS = 9  # services, appointments
MAX_TIMES = 8  # start times shown at once ("más tarde" pages)
DAYS_SHOWN = 6  # days listed at once ("otro día" pages)
SEARCH_DAYS = 14  # how far one day search looks (find_slots allows 31)
MAIN, PICK_SERVICE, PICK_DAY, PICK_PART = "main", "pick_service", "pick_day", "pick_part"
PICK_TIME, PICK_APPT, APPTS, VIP_OFFER = "pick_time", "pick_appt", "appts", "vip"
GIFT, PROPOSED = "gift", "proposed"  # waiting for a gift-card code; a proposal just made
PARTS = (dates.MORNING, dates.AFTERNOON, dates.EVENING)
PART_NAMES = {dates.MORNING: "Mañana", dates.AFTERNOON: "Tarde", dates.EVENING: "Noche"}

# Menu number → intent.
MENU_INTENTS = {
    1: nlu.PRICES,
    2: nlu.BOOK,
    3: nlu.MY_APPOINTMENTS,
    4: nlu.SHOP,
    5: nlu.VIP,
    6: nlu.HOURS,
    7: nlu.HUMAN,
}
_NEEDS_ACCOUNT = {nlu.BOOK, nlu.MY_APPOINTMENTS, nlu.CANCEL, nlu.RESCHEDULE, nlu.ORDER_STATUS}
_LATER = re.compile(r"\b(mas tarde|despues|mas horarios|otras horas|otros horarios|siguientes)\b")
_EARLIER = re.compile(r"\b(mas temprano|antes)\b")
_OTHER_DAY = re.compile(r"\b(otro dia|otros dias|mas dias|otra fecha|otro|siguiente dia)\b")
_BACK = re.compile(r"^(0|menu|volver|inicio|atras|opciones)$")
# What WhatsApp exports or clients type instead of an attachment ("<audio omitido>",
# "🎤 Nota de voz (0:12)", "<Media omitted>").
_MEDIA_PLACEHOLDER = re.compile(
    r"^(audio|imagen|foto|video|sticker|multimedia|media|archivo|documento|gif|"
    r"nota de voz|mensaje de voz)( (omitido|omitida|omitted|adjunto|adjunta))?( \d+)*$"
)
# Emoji-only messages that mean thanks or OK (👍 👌 🙏 🙌 ❤️ 😊 🥰 🤗 💚, any skin tone).
_THANKS_EMOJI = re.compile(
    "[\U0001f44d\U0001f44c\U0001f64f\U0001f64c\u2764\U0001f60a\U0001f970\U0001f917\U0001f49a]"
)
# A gift-card code as typed: 16 symbols, in groups of four or not.
_GIFT_CODE = re.compile(r"\b([0-9A-Z]{4})[- ]?([0-9A-Z]{4})[- ]?([0-9A-Z]{4})[- ]?([0-9A-Z]{4})\b")
_ENGLISH_WORDS = frozenset(
    [
        "the",
        "is",
        "are",
        "you",
        "do",
        "does",
        "what",
        "how",
        "can",
        "could",
        "please",
        "want",
        "would",
        "your",
        "my",
        "it",
        "this",
    ]
)


@dataclass
class MenuReply:
    text: str
    action: PendingAction | None = None
    handoff: bool = False
    intent: str = ""


Result = tuple[MenuReply, dict[str, Any]]


def media_text() -> str:
    return _(
        "Gracias por tu archivo 🙏. Por ahora solo puedo leer mensajes de texto; "
        "cuéntame por escrito en qué te ayudo."
    )


def _gift_code(text: str) -> str | None:
    match = _GIFT_CODE.search(text.upper())
    # Digits and letters both: a card or phone number is never looked up as a gift card.
    if match is None or not (
        any(c.isdigit() for c in match.group(0)) and any(c.isalpha() for c in match.group(0))
    ):
        return None
    return "-".join(match.groups())


def _looks_english(normalized: str) -> bool:
    words = normalized.split()
    return bool(nlu.ENGLISH.search(normalized)) or sum(w in _ENGLISH_WORDS for w in words) >= 2


def menu_text() -> str:
    return _(
        "Escribe el número de una opción o cuéntame qué necesitas:\n"
        "*1.* Servicios y precios\n"
        "*2.* Reservar una cita\n"
        "*3.* Mis citas (cambiar o cancelar)\n"
        "*4.* Tienda y mis pedidos\n"
        "*5.* Membresía VIP\n"
        "*6.* Horario y ubicación\n"
        "*7.* Hablar con una persona"
    )


def new_state(step: str = MAIN, **extra: Any) -> dict[str, Any]:
    until = timezone.now() + timedelta(minutes=settings.ASSISTANT_MENU_MINUTES)
    return {"step": step, "until": until.isoformat(), **extra}


def is_active(state: dict[str, Any]) -> bool:
    until = state.get("until") if state else None
    return bool(until) and timezone.now().isoformat() < until


def _choice(text: str, options: int) -> int | None:
    text = text.strip().rstrip(".)").strip().lstrip("*#").strip()
    if text.isdigit() and 1 <= int(text) <= options:
        return int(text) - 1
    return None


class _Session:
    """One message's work: the tools, the writer and the conversation's menu state."""

    def __init__(
        self, text: str, state: dict[str, Any], ctx: ToolContext, tools: dict[str, AssistantTool]
    ) -> None:
        self.text, self.state, self.ctx, self.tools = text, state, ctx, tools
        self.now = timezone.localtime()
        self._services: list[dict[str, Any]] | None = None

    # --- tools ---
    def call(self, name: str, **args: Any) -> dict[str, Any] | None:
        tool = self.tools.get(name)
        if tool is None:
            return None
        return run_tool(tool, self.ctx, sanitize_args(tool, args))

    def propose(
        self, name: str, intent: str, carry: dict[str, Any] | None = None, **args: Any
    ) -> Result:
        """The proposal awaiting "sí". ``carry`` (the service and day of a booking) is kept
        so that "sí, pero mejor a las 5" proposes that time instead."""
        tool = self.tools.get(name)
        if tool is None:
            return self.main(_unavailable(), intent=intent)
        clean = sanitize_args(tool, args)
        try:
            summary = propose_text(tool, self.ctx, clean)
        except DomainError as exc:
            return self.main(exc.message, intent=intent)
        state = new_state(PROPOSED, **carry) if carry else {}
        return MenuReply("", action=PendingAction(tool, clean, summary), intent=intent), state

    def services(self) -> list[dict[str, Any]]:
        if self._services is None:
            self._services = fmt.items_of(self.call("list_services") or {}, "services")
        return self._services

    def therapists(self) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for service in self.services():
            for therapist in service.get("therapists") or []:
                if isinstance(therapist, dict) and therapist.get("id"):
                    seen.setdefault(str(therapist["id"]), therapist)
        return list(seen.values())

    def understand(self) -> nlu.Understanding:
        return nlu.understand(
            self.text, now=self.now, services=self.services(), therapists=self.therapists()
        )

    # --- replies ---
    def main(self, lead: str = "", *, intent: str = "", full: bool = False) -> Result:
        """``lead`` then the numbered menu (``full``) or a one-line pointer to it."""
        if not lead:
            return MenuReply(menu_text(), intent=intent), new_state()
        tail = menu_text() if full else _("¿Algo más? Escribe *menú* para ver las opciones.")
        return MenuReply(f"{lead}\n\n{tail}", intent=intent), new_state()

    def ask(self, text: str, step: str, reply_intent: str, **data: Any) -> Result:
        data.setdefault("intent", reply_intent)
        return MenuReply(text, intent=reply_intent), new_state(step, **data)

    # --- entry ---
    def handle(self) -> Result:
        plain = nlu.normalize(self.text)
        if not plain and _THANKS_EMOJI.search(self.text):
            return self.journey(nlu.THANKS, None)  # 👍 🙏
        if _BACK.match(plain) or not plain:
            return self.main()
        if _MEDIA_PLACEHOLDER.match(plain):
            return self.main(media_text(), intent=nlu.UNKNOWN, full=True)
        step = self.state.get("step", MAIN) if is_active(self.state) else MAIN
        if step != MAIN:
            handled = self.step(step, plain)
            if handled is not None:
                return handled
        if (choice := _choice(self.text, len(MENU_INTENTS))) is not None:
            return self.journey(MENU_INTENTS[choice + 1], None)
        understanding = self.understand()
        return self.journey(understanding.intent, understanding)

    def step(self, step: str, plain: str) -> Result | None:
        """An answer to the open step, or None when the message starts something else."""
        data = self.state
        intent = str(data.get("intent") or nlu.BOOK)
        options = data.get("options") or []
        choice = _choice(self.text, len(options)) if options else None
        if step == PICK_SERVICE and choice is None and not self.text.strip().isdigit():
            u = self.understand()  # "el facial", "masaje relajante mañana a las 4pm"
            if u.service is not None and u.intent in (nlu.BOOK, nlu.PRICES, nlu.UNKNOWN):
                carried = _when_of(data)
                when = dates.When(
                    day=u.when.day or carried.day,
                    part=u.when.part or carried.part,
                    at=u.when.at or carried.at,
                )
                therapist = u.therapist.code if u.therapist else data.get("therapist")
                return self.book(u.service.code, when, therapist, data.get("appt"), intent=intent)
        if step == PICK_SERVICE and choice is not None:
            when = _when_of(data)
            return self.book(
                options[choice], when, data.get("therapist"), data.get("appt"), intent=intent
            )
        if step == PICK_APPT and choice is not None:
            return self.appointment_chosen(options[choice], data.get("purpose", nlu.CANCEL))
        if step == APPTS:
            pick = _choice(self.text, 2)
            if pick is not None:
                return self.journey((nlu.RESCHEDULE, nlu.CANCEL)[pick], None)
        if step == VIP_OFFER and _choice(self.text, 1) is not None:
            return self.vip_link()
        if step == GIFT and _gift_code(self.text) is not None:
            return self.gift_card()
        if step == PROPOSED:
            return self.adjust_proposal()
        if step in (PICK_DAY, PICK_PART, PICK_TIME):
            handled = self.narrowing(step, plain, choice)
            if handled is not None:
                return handled
        if self.text.strip().isdigit() and options:
            return self.ask(
                _(
                    "Ese número no está en la lista. Responde con uno de la lista, o *0* para "
                    "volver al menú."
                ),
                step,
                intent,
                **{k: v for k, v in data.items() if k not in ("step", "until")},
            )
        return None

    # --- journeys ---
    def journey(self, intent: str, understanding: nlu.Understanding | None) -> Result:
        u = understanding or nlu.Understanding(intent=intent, text="")
        if intent in _NEEDS_ACCOUNT and self.ctx.user is None:
            return self.main(
                _(
                    "Para reservar o ver tus citas y pedidos necesitas una cuenta. "
                    "Escribe *registrarme* y te envío un código."
                ),
                intent=intent,
            )
        if intent == nlu.HUMAN:
            return MenuReply("", handoff=True, intent=intent), {}
        if intent == nlu.GREETING:
            name = getattr(self.ctx.user, "first_name", "") or ""
            hello = _("¡Hola, %(name)s! 👋") % {"name": name} if name else _("¡Hola! 👋")
            return self.main(
                hello + " " + _("Soy Zen, la asistente de StudioZens."), intent=intent, full=True
            )
        if intent == nlu.THANKS:
            return self.main(_("¡Con gusto! Aquí estoy si necesitas algo más 🌿"), intent=intent)
        if intent == nlu.PRICES:
            return self.prices(u)
        if intent == nlu.BOOK:
            reply, state = self.book(
                u.service.code if u.service else None,
                u.when,
                u.therapist.code if u.therapist else None,
                None,
                intent=intent,
                candidates=u.candidates,
            )
            if u.asks_price and u.service is not None and reply.action is None:
                # "¿cuánto vale el facial y tienen espacio el viernes?": both answered.
                named = [s for s in self.services() if str(s.get("code")) == u.service.code]
                if named:
                    reply.text = f"{fmt.describe_service(named[0])}\n\n{reply.text}"
            return reply, state
        if intent == nlu.MY_APPOINTMENTS:
            return self.my_appointments()
        if intent in (nlu.CANCEL, nlu.RESCHEDULE):
            return self.pick_appointment(intent, u)
        if intent == nlu.ORDER_STATUS:
            return self.orders()
        if intent == nlu.SHOP:
            return self.shop(u)
        if intent == nlu.VIP:
            return self.vip()
        if intent == nlu.HOURS:
            return self.hours()
        if intent == nlu.PAYMENT:
            return self.main(
                _(
                    "En línea (el enlace de pago del anticipo o de la tienda) pagas con tarjeta, "
                    "PSE o Nequi. En el spa recibimos efectivo, datáfono o transferencia.\n"
                    "Si tienes una cita pendiente de pago, escribe *mis citas* y te envío su "
                    "enlace."
                ),
                intent=nlu.PAYMENT,
            )
        if intent == nlu.GIFT_CARD or _gift_code(self.text) is not None:
            return self.gift_card()
        if _looks_english(u.text or nlu.normalize(self.text)):
            return self.main(
                _("Por ahora solo puedo atenderte en español 🙏."), intent=nlu.UNKNOWN, full=True
            )
        return self.main(_("No te entendí del todo 🙏."), intent=nlu.UNKNOWN, full=True)

    def prices(self, u: nlu.Understanding) -> Result:
        services = u.candidates or self.services()
        if not services:
            return self.main(_unavailable(), intent=nlu.PRICES)
        lines = []
        for service in services[:15]:
            line = f"• {fmt.describe_service(service)}"
            if service.get("vip_price_cents"):
                line += _(" (VIP %(p)s)") % {"p": fmt.money(service["vip_price_cents"])}
            if service.get("deposit_percent"):
                line += _("; anticipo %(d)s%%") % {"d": service["deposit_percent"]}
            lines.append(line)
        body = _("Nuestros servicios:") if not u.candidates else _("Esto es lo que tenemos:")
        hint = _("Para reservar escribe *2* o, por ejemplo, *masaje relajante mañana a las 3pm*.")
        return self.main(body + "\n" + "\n".join(lines) + "\n\n" + hint, intent=nlu.PRICES)

    # --- booking: service → day → part of day → time ---
    def book(
        self,
        service_code: str | None,
        when: dates.When,
        therapist: str | None,
        appt: str | None,
        *,
        intent: str,
        candidates: list[dict[str, Any]] | None = None,
        lead: str = "",
    ) -> Result:
        if not service_code:
            services = (candidates or self.services())[:MAX_OPTIONS]
            if not services:
                return self.main(_unavailable(), intent=intent)
            if len(services) == 1:
                service_code = str(services[0].get("code"))
            else:
                body = fmt.numbered([fmt.describe_service(s) for s in services])
                return self.ask(
                    _("¿Qué servicio quieres reservar?\n%(list)s\n\n*0.* Volver al menú")
                    % {"list": body},
                    PICK_SERVICE,
                    intent,
                    options=[str(s.get("code")) for s in services],
                    therapist=therapist,
                    appt=appt,
                    **_when_data(when),
                )
        data = {"service": service_code, "therapist": therapist, "appt": appt, "intent": intent}
        last = self.now.date() + timedelta(days=settings.BOOKING_MAX_HORIZON_DAYS)
        if when.day is not None and not (self.now.date() <= when.day <= last):
            # "el 20/12/2030": say how far ahead we book instead of "no encontré horarios";
            # "el 1 de diciembre" on the 7th (read as next year's): that it has passed.
            passed = _this_years(when.day, self.now.date())
            lead = (
                _("El %(day)s ya pasó.") % {"day": fmt.day_label(passed)}
                if passed is not None
                else _("Por ahora agendamos hasta el %(last)s.") % {"last": fmt.day_label(last)}
            )
            return self.days(self.now.date(), data, dates.When(part=when.part), lead=lead)
        if when.day is None:
            start = self.now.date()
            return self.days(start, data, when, lead=lead)
        return self.day(when.day, when, data, lead=lead)

    def with_therapist(self, data: dict[str, Any]) -> str:
        """ " con Tatiana" when the client asked for someone."""
        wanted = data.get("therapist")
        name = next((t.get("name") for t in self.therapists() if str(t.get("id")) == wanted), "")
        return _(" con %(n)s") % {"n": name} if wanted and name else ""

    def _find(self, data: dict[str, Any], first: date, last: date, part: str = "") -> dict:
        args: dict[str, Any] = {
            "service_code": data["service"],
            "date_from": first.isoformat(),
            "date_to": last.isoformat(),
        }
        if part:
            args["part_of_day"] = part
        if data.get("therapist"):
            args["therapist_id"] = data["therapist"]
        return self.call("find_slots", **args) or {}

    def _summary(self, data: dict[str, Any], first: date, last: date) -> dict[str, dict]:
        """{iso day: {part: free starts}} over [first, last]."""
        result = self._find(data, first, last)
        if fmt.error_text(result) is not None:
            return {}
        days = {
            d["date"]: {p: int(d.get(p) or 0) for p in PARTS}
            for d in result.get("days") or []
            if isinstance(d, dict)
        }
        if not days:  # a tool without the summary: count the slots it listed
            for slot in fmt.items_of(result, "slots"):
                moment = fmt.local(slot.get("start"))
                if moment is not None:
                    counts = days.setdefault(moment.date().isoformat(), dict.fromkeys(PARTS, 0))
                    counts[dates.part_of(moment)] += 1
        return {k: v for k, v in days.items() if sum(v.values())}

    def days(
        self, start: date, data: dict[str, Any], when: dates.When, *, lead: str = ""
    ) -> Result:
        summary = self._summary(data, start, start + timedelta(days=SEARCH_DAYS - 1))
        if when.part:  # "en la tarde": only days with free afternoons
            summary = {k: v for k, v in summary.items() if v.get(when.part)}
        shown = sorted(summary)[:DAYS_SHOWN]
        if not shown:
            text = _("No encontré horarios libres entre el %(a)s y el %(b)s.") % {
                "a": fmt.day_label(start),
                "b": fmt.day_label(start + timedelta(days=SEARCH_DAYS - 1)),
            }
            if start - self.now.date() > timedelta(days=settings.BOOKING_MAX_HORIZON_DAYS):
                return self.main(text, intent=data["intent"])
            return self.ask(
                f"{text}\n" + _("Escribe *otro día* para buscar más adelante, o *0* para el menú."),
                PICK_DAY,
                data["intent"],
                options=[],
                after=(start + timedelta(days=SEARCH_DAYS - 1)).isoformat(),
                **data,
                **_when_data(when),
            )
        lines = []
        for iso in shown:
            day = date.fromisoformat(iso)
            count = summary[iso][when.part] if when.part else sum(summary[iso].values())
            lines.append(_("%(day)s (%(n)s horarios)") % {"day": fmt.day_label(day), "n": count})
        head = lead + "\n" if lead else ""
        return self.ask(
            head
            + _("¿Qué día te queda bien%(who)s?\n%(list)s\n\n")
            % {"who": self.with_therapist(data), "list": fmt.numbered(lines)}
            + _(
                "También puedes escribir el día (p. ej. *el sábado en la tarde*), *otro día* "
                "o *0* para el menú."
            ),
            PICK_DAY,
            data["intent"],
            options=shown,
            after=shown[-1],
            **data,
            **_when_data(when),
        )

    def _day_slots(self, data: dict[str, Any], day: date) -> list[dict[str, Any]]:
        """Every free start of that day, one entry per start time (capped tool lists are
        asked for per part of the day)."""
        seen: dict[str, dict[str, Any]] = {}
        for part in PARTS:
            for slot in fmt.items_of(self._find(data, day, day, part), "slots"):
                moment = fmt.local(slot.get("start"))
                if moment is None or moment.date() != day:
                    continue
                seen.setdefault(moment.isoformat(), {"start": moment, **_therapist_of(slot)})
        return sorted(seen.values(), key=lambda s: s["start"])

    def day(self, day: date, when: dates.When, data: dict[str, Any], *, lead: str = "") -> Result:
        intent = data["intent"]
        slots = self._day_slots(data, day)
        label = fmt.day_label(day)
        if not slots:
            return self.days(
                day + timedelta(days=1),
                data,
                dates.When(part=when.part, at=when.at),
                lead=_("El %(day)s no hay horarios libres.") % {"day": label},
            )
        if when.at is not None:
            wanted = datetime.combine(day, when.at, tzinfo=self.now.tzinfo)
            exact = [s for s in slots if s["start"] == wanted]
            if exact:
                return self.choose(exact[0], data)
            nearest = sorted(slots, key=lambda s: abs(s["start"] - wanted))[:4]
            nearest.sort(key=lambda s: s["start"])
            lead = _("El %(day)s a las %(t)s ya no hay espacio. Lo más cercano:") % {
                "day": label,
                "t": fmt.clock(when.at),
            }
            return self.times(day, None, nearest, 0, data, lead=lead)
        if when.part:
            in_part = [s for s in slots if dates.part_of(s["start"]) == when.part]
            if in_part:
                return self.times(day, when.part, in_part, 0, data, lead=lead)
            lead = _("El %(day)s %(part)s ya no hay espacio.") % {
                "day": label,
                "part": dates.PART_LABELS[when.part],
            }
        if len(slots) <= MAX_TIMES:
            return self.times(day, None, slots, 0, data, lead=lead)
        parts = [p for p in PARTS if any(dates.part_of(s["start"]) == p for s in slots)]
        lines = []
        for part in parts:
            mine = [s for s in slots if dates.part_of(s["start"]) == part]
            lines.append(
                _("%(part)s: de %(a)s a %(b)s (%(n)s horarios)")
                % {
                    "part": PART_NAMES[part],
                    "a": fmt.clock(mine[0]["start"]),
                    "b": fmt.clock(mine[-1]["start"]),
                    "n": len(mine),
                }
            )
        head = (lead + "\n") if lead else ""
        return self.ask(
            head
            + _("El %(day)s%(who)s, ¿en qué momento del día?\n%(list)s\n\n")
            % {"day": label, "who": self.with_therapist(data), "list": fmt.numbered(lines)}
            + _("O escribe una hora (p. ej. *a las 3pm*), *otro día* o *0* para el menú."),
            PICK_PART,
            intent,
            options=parts,
            day=day.isoformat(),
            **data,
        )

    def times(
        self,
        day: date,
        part: str | None,
        slots: list[dict[str, Any]],
        offset: int,
        data: dict[str, Any],
        *,
        lead: str = "",
    ) -> Result:
        page = slots[offset : offset + MAX_TIMES]
        lines = [fmt.clock(s["start"]) + _with(s, data) for s in page]
        head = lead or _("Horarios libres el %(day)s%(part)s:") % {
            "day": fmt.day_label(day),
            "part": f" {dates.PART_LABELS[part]}" if part else "",
        }
        hint = _(
            "Responde con el número, *más tarde* o *más temprano*, *otro día* o *0* para el menú."
        )
        return self.ask(
            f"{head}\n{fmt.numbered(lines)}\n\n{hint}",
            PICK_TIME,
            data["intent"],
            options=[
                {"start": s["start"].isoformat(), "therapist_id": s.get("therapist_id", "")}
                for s in page
            ],
            day=day.isoformat(),
            part=part or "",
            offset=offset,
            **data,
        )

    def narrowing(self, step: str, plain: str, choice: int | None) -> Result | None:
        state = self.state
        data = {k: state.get(k) for k in ("service", "therapist", "appt", "intent")}
        data["intent"] = data["intent"] or nlu.BOOK
        if not data["service"]:
            return None
        options = state.get("options") or []
        day = date.fromisoformat(state["day"]) if state.get("day") else None
        if choice is not None:
            if step == PICK_DAY:
                return self.day(date.fromisoformat(options[choice]), _when_of(state), data)
            if step == PICK_PART and day is not None:
                return self.day(day, dates.When(part=options[choice]), data)
            if step == PICK_TIME:
                return self.choose(options[choice], data)
        if _OTHER_DAY.search(plain):
            after = state.get("after") or state.get("day") or self.now.date().isoformat()
            return self.days(date.fromisoformat(after) + timedelta(days=1), data, _when_of(state))
        if (
            step == PICK_TIME
            and day is not None
            and (_LATER.search(plain) or _EARLIER.search(plain))
        ):
            return self.page(day, state, data, later=bool(_LATER.search(plain)))
        if self.text.strip().isdigit():
            return None  # a number outside the list: the caller says so
        when = dates.parse(self.text, now=self.now)
        if when.empty:
            understanding = self.understand()
            if understanding.intent not in (nlu.UNKNOWN, nlu.BOOK):
                return None  # something else: the caller starts that journey
            if understanding.service is not None and understanding.service.code != data["service"]:
                return None
            return self.ask(
                _(
                    "No te entendí 🙏. Responde con un número, escribe un día u hora "
                    "(p. ej. *el viernes a las 4pm*), *otro día* o *0* para el menú."
                ),
                step,
                data["intent"],
                **{k: v for k, v in state.items() if k not in ("step", "until")},
            )
        if when.day is None and day is not None:
            return self.day(day, when, data)
        if when.day is None:
            return self.days(self.now.date(), data, when)
        return self.day(when.day, when, data)

    def page(self, day: date, state: dict[str, Any], data: dict, *, later: bool) -> Result:
        """The next (or previous) times of that day after (before) the ones shown; past the
        last one of the day, the next days."""
        slots = self._day_slots(data, day)
        shown = [fmt.local(o.get("start")) for o in state.get("options") or []]
        shown = [s for s in shown if s is not None]
        if later:
            last = max(shown) if shown else None
            pool = [s for s in slots if last is None or s["start"] > last][:MAX_TIMES]
            if not pool:
                return self.days(
                    day + timedelta(days=1),
                    data,
                    dates.When(),
                    lead=_("El %(day)s no hay horarios más tarde.") % {"day": fmt.day_label(day)},
                )
        else:
            first = min(shown) if shown else None
            pool = [s for s in slots if first is None or s["start"] < first][-MAX_TIMES:]
            if not pool:
                pool = slots[:MAX_TIMES]
        return self.times(day, None, pool, 0, data)

    def choose(self, slot: dict[str, Any], data: dict[str, Any]) -> Result:
        start = slot["start"].isoformat() if isinstance(slot["start"], datetime) else slot["start"]
        therapist = slot.get("therapist_id") or data.get("therapist") or None
        args: dict[str, Any] = {"start": start}
        if therapist:
            args["therapist_id"] = therapist
        moment = fmt.local(start)
        carry = {**data, "day": moment.date().isoformat()} if moment else None
        if data.get("appt"):
            return self.propose(
                "reschedule_appointment",
                nlu.RESCHEDULE,
                carry,
                appointment_id=data["appt"],
                **args,
            )
        return self.propose(
            "book_appointment", nlu.BOOK, carry, service_code=data["service"], **args
        )

    def adjust_proposal(self) -> Result | None:
        """A message right after a booking proposal that only changes its day or time
        ("sí pero mejor a las 5", "mejor el viernes"): the same service at that time. The
        old proposal was superseded by this message; nothing runs without a new "sí"."""
        state = self.state
        when = dates.parse(self.text, now=self.now)
        if when.empty or not state.get("service"):
            return None
        u = self.understand()
        if u.intent not in (nlu.BOOK, nlu.UNKNOWN, nlu.RESCHEDULE):
            return None
        if u.service is not None and u.service.code != state["service"]:
            return None
        data = {k: state.get(k) for k in ("service", "therapist", "appt", "intent")}
        data["intent"] = data["intent"] or nlu.BOOK
        if u.therapist is not None:
            data["therapist"] = u.therapist.code
        day = when.day or date.fromisoformat(state["day"])
        return self.day(day, when, data)

    # --- my appointments, cancel, reschedule ---
    def _appointments(self) -> tuple[list[dict[str, Any]] | None, str]:
        result = self.call("my_appointments")
        if result is None:
            return None, _unavailable()
        error = fmt.error_text(result)
        if error is not None:
            return None, error or _unavailable()
        return fmt.items_of(result, "appointments"), ""

    def my_appointments(self) -> Result:
        items, error = self._appointments()
        if items is None:
            return self.main(error, intent=nlu.MY_APPOINTMENTS)
        if not items:
            return self.main(
                _("No tienes citas próximas. Escribe *2* para reservar."),
                intent=nlu.MY_APPOINTMENTS,
            )
        lines = []
        for item in items[:MAX_OPTIONS]:
            line = f"• {fmt.describe_appointment(item)}"
            if item.get("payment_url"):
                line += "\n  " + _("Paga el anticipo aquí: %(url)s") % {
                    "url": links.shorten(item["payment_url"])
                }
            lines.append(line)
        text = (
            _("Tus citas:\n%(list)s") % {"list": "\n".join(lines)}
            + "\n\n"
            + _("*1.* Cambiar una cita\n*2.* Cancelar una cita\n*0.* Menú")
        )
        return self.ask(text, APPTS, nlu.MY_APPOINTMENTS)

    def pick_appointment(self, intent: str, u: nlu.Understanding) -> Result:
        items, error = self._appointments()
        if items is None:
            return self.main(error, intent=intent)
        items = [i for i in items if i.get("active", True)]
        if u.when.day is not None:
            same_day = [
                i for i in items if (fmt.local(i.get("start")) or self.now).date() == u.when.day
            ]
            items = same_day or items
        if not items:
            return self.main(_("No tienes citas próximas."), intent=intent)
        if len(items) == 1:
            return self.appointment_chosen(str(items[0]["id"]), intent, item=items[0], u=u)
        verb = _("cancelar") if intent == nlu.CANCEL else _("cambiar")
        body = fmt.numbered([fmt.describe_appointment(i) for i in items[:MAX_OPTIONS]])
        return self.ask(
            _("¿Qué cita quieres %(verb)s?\n%(list)s\n\n*0.* Volver al menú")
            % {"verb": verb, "list": body},
            PICK_APPT,
            intent,
            purpose=intent,
            options=[str(i["id"]) for i in items[:MAX_OPTIONS]],
            **_when_data(u.when),
        )

    def appointment_chosen(
        self,
        appointment_id: str,
        purpose: str,
        *,
        item: dict[str, Any] | None = None,
        u: nlu.Understanding | None = None,
    ) -> Result:
        if purpose == nlu.CANCEL:
            return self.propose("cancel_appointment", nlu.CANCEL, appointment_id=appointment_id)
        if item is None:
            items, _error = self._appointments()
            item = next((i for i in items or [] if str(i.get("id")) == appointment_id), None)
        if item is None:
            return self.main(_("No encontré esa cita."), intent=nlu.RESCHEDULE)
        if item.get("free_change") is False:
            return self.main(
                _(
                    "Tu cita del %(when)s es en menos de %(h)s horas, así que ya no se puede "
                    "reprogramar por aquí. Escribe *7* y una persona del equipo te ayuda."
                )
                % {"when": item.get("when", ""), "h": settings.CANCELLATION_WINDOW_HOURS},
                intent=nlu.RESCHEDULE,
            )
        when = (u.when if u else None) or _when_of(self.state)
        current = fmt.local(item.get("start"))
        if when.day is None and (when.at or when.part) and current is not None:
            # "cámbiame la cita pa las 3": the same day, another time.
            when = dates.When(day=current.date(), part=when.part, at=when.at)
        lead = _("Vamos a mover tu cita de %(what)s (%(when)s). Sin costo.") % {
            "what": item.get("service", ""),
            "when": item.get("when", ""),
        }
        return self.book(
            str(item.get("service_code") or ""),
            dates.When(day=when.day, part=when.part, at=when.at),
            None,
            appointment_id,
            intent=nlu.RESCHEDULE,
            lead=lead if when.day is None else "",
        )

    # --- shop, orders, VIP, hours ---
    def orders(self) -> Result:
        result = self.call("order_status")
        if result is None or fmt.error_text(result) is not None:
            return self.main(
                fmt.error_text(result or {}) or _unavailable(), intent=nlu.ORDER_STATUS
            )
        orders = fmt.items_of(result, "orders")
        if not orders:
            return self.main(_("No tienes pedidos en la tienda."), intent=nlu.ORDER_STATUS)
        lines = []
        for order in orders:
            status = fmt.STATUS_WORDS.get(str(order.get("status")), str(order.get("status", "")))
            line = _("Pedido *%(code)s*: %(status)s, total %(total)s") % {
                "code": order.get("code") or str(order.get("id", ""))[:8],
                "status": status.lower(),
                "total": order.get("total", ""),
            }
            if order.get("fulfilment"):
                line += f" ({str(order['fulfilment']).lower()})"
            items = order.get("items") or []
            if items:
                line += "\n  " + ", ".join(str(i) for i in items[:4])
            lines.append("• " + line)
        return self.main(
            _("Tus pedidos:\n%(list)s") % {"list": "\n".join(lines)}, intent=nlu.ORDER_STATUS
        )

    def shop(self, u: nlu.Understanding) -> Result:
        words = [w for w in u.text.split() if w not in nlu.STOPWORDS and len(w) > 3]
        query = next(
            (w for w in words if w not in {"tienda", "productos", "producto", "comprar"}), ""
        )
        result = self.call("search_products", query=query) or {}
        items = fmt.items_of(result, "products")
        if not items and query:
            items = fmt.items_of(self.call("search_products") or {}, "products")
        if not items:
            return self.main(_unavailable(), intent=nlu.SHOP)
        body = "\n".join(f"• {fmt.describe_product(p)}" for p in items[:15])
        hint = _("Compras en la tienda web; para ver un pedido escribe *mi pedido*.")
        return self.main(
            _("Productos de la tienda:\n%(list)s") % {"list": body} + "\n" + hint,
            intent=nlu.SHOP,
        )

    def gift_card(self) -> Result:
        """A gift card's balance when the message carries its code, else how to buy one and
        a request for the code (the next message may be just the code)."""
        code = _gift_code(self.text)
        if code is None:
            return self.ask(
                _(
                    "🎁 Tenemos tarjetas de regalo para nuestros servicios y la tienda. Se "
                    "compran en recepción o en nuestra página web, y le llegan a quien la "
                    "regalas por WhatsApp o correo el día que elijas.\n\nPara consultar el "
                    "saldo de una tarjeta de regalo, escríbeme su código (16 caracteres, p. ej. "
                    "*7Q2K-M9XH-3TBD-PW4J*), o *0* para el menú."
                ),
                GIFT,
                nlu.GIFT_CARD,
            )
        result = self.call("gift_card_balance", code=code)
        if result is None:
            return self.main(_unavailable(), intent=nlu.GIFT_CARD)
        error = fmt.error_text(result)
        if error is not None:
            return self.main(
                error or _("No encontré una tarjeta de regalo con ese código."),
                intent=nlu.GIFT_CARD,
            )
        text = _("Tu tarjeta de regalo %(card)s: saldo %(balance)s (%(status)s).") % {
            "card": result.get("tarjeta", ""),
            "balance": result.get("saldo", ""),
            "status": str(result.get("estado", "")).lower(),
        }
        expires = result.get("vence")
        if expires:
            text += " " + _("Vence el %(day)s.") % {
                "day": fmt.day_label(date.fromisoformat(str(expires)))
            }
        return self.main(text, intent=nlu.GIFT_CARD)

    def vip(self) -> Result:
        info = self.call("vip_info")
        if info is None or fmt.error_text(info) is not None:
            return self.main(_unavailable(), intent=nlu.VIP)
        lines = []
        if info.get("es_vip"):
            lines.append(_("Eres VIP ✨ hasta el %(d)s.") % {"d": info.get("vip_hasta") or ""})
        elif self.ctx.user is not None:
            lines.append(_("Aún no eres VIP."))
        sub = info.get("suscripcion")
        if isinstance(sub, dict) and sub.get("estado"):
            lines.append(_("Tu suscripción: %(s)s.") % {"s": str(sub["estado"]).lower()})
        for plan in info.get("planes") or []:
            price = fmt.money(int(plan.get("precio_cop") or 0) * 100)
            lines.append(f"• {plan.get('nombre')}: {price} " + _("al mes"))
            if plan.get("descripcion"):
                lines.append(f"  {plan['descripcion']}")
        if self.ctx.user is None or "vip_payment_link" not in self.tools:
            return self.main("\n".join(lines), intent=nlu.VIP)
        lines.append("\n" + _("*1.* Recibir el enlace de pago de un mes VIP\n*0.* Menú"))
        return self.ask("\n".join(lines), VIP_OFFER, nlu.VIP)

    def vip_link(self) -> Result:
        result = self.call("vip_payment_link")
        if result is None or fmt.error_text(result) is not None or not result.get("link"):
            return self.main(fmt.error_text(result or {}) or _unavailable(), intent=nlu.VIP)
        amount = fmt.money(int(result.get("monto_cop") or 0) * 100)
        return self.main(
            _("Paga tu mes VIP (%(amount)s) aquí: %(url)s")
            % {"amount": amount, "url": links.shorten(str(result["link"]))},
            intent=nlu.VIP,
        )

    def hours(self) -> Result:
        return self.main(
            _("Nuestro horario:\n%(hours)s\n\n📍 %(address)s")
            % {
                "hours": hours_text(self.tools, self.ctx),
                "address": settings.ASSISTANT_SPA_ADDRESS,
            },
            intent=nlu.HOURS,
        )


def hours_text(tools: dict[str, AssistantTool], ctx: ToolContext) -> str:
    """The real weekly hours (opening_hours tool), or the configured sentence without it."""
    tool = tools.get("opening_hours")
    if tool is not None:
        result = run_tool(tool, ctx, {})
        text = fmt.hours_text(result) if fmt.error_text(result) is None else ""
        if text:
            return text
    return str(settings.ASSISTANT_OPENING_HOURS)


def _therapist_of(slot: dict[str, Any]) -> dict[str, Any]:
    if slot.get("therapist_id"):
        return {"therapist_id": slot["therapist_id"], "name": slot.get("therapist_name", "")}
    for therapist in slot.get("therapists") or []:
        if isinstance(therapist, dict) and therapist.get("id"):
            return {"therapist_id": str(therapist["id"]), "name": therapist.get("name", "")}
    return {}


def _with(slot: dict[str, Any], data: dict[str, Any]) -> str:
    return _(" con %(n)s") % {"n": slot["name"]} if slot.get("name") else ""


def _when_data(when: dates.When) -> dict[str, Any]:
    return {
        "w_day": when.day.isoformat() if when.day else "",
        "w_part": when.part or "",
        "w_at": when.at.strftime("%H:%M") if when.at else "",
    }


def _when_of(state: dict[str, Any]) -> dates.When:
    return dates.When(
        day=date.fromisoformat(state["w_day"]) if state.get("w_day") else None,
        part=state.get("w_part") or None,
        at=time.fromisoformat(state["w_at"]) if state.get("w_at") else None,
    )


def _this_years(day: date, today: date) -> date | None:
    """The same day this year when it has already passed (dateparser reads a past "1 de
    diciembre" as next year's), else None."""
    try:
        same = day.replace(year=today.year)
    except ValueError:  # 29 February
        return None
    return same if day.year == today.year + 1 and same < today else None


def _unavailable() -> str:
    return _("Esta opción no está disponible en este momento.")


def handle(
    text: str, state: dict[str, Any], ctx: ToolContext, tools: dict[str, AssistantTool]
) -> tuple[MenuReply, dict[str, Any]]:
    """One step of the fallback. Returns the reply and the new menu state ({} when done)."""
    return _Session(text, state or {}, ctx, tools).handle()
