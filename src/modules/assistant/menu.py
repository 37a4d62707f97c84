"""The deterministic Spanish menu: works without Gemini and can complete a booking.

It drives the same plugin tools the model uses (list_services → find_slots → propose
book_appointment), so a booking made here goes through the same confirmation step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.assistant import formatting as fmt
from modules.assistant.gemini import PendingAction
from modules.assistant.toolbox import propose_text, run_tool, sanitize_args
from platform_core.errors import DomainError
from platform_core.plugins import AssistantTool, ToolContext

MAX_OPTIONS = 9
SLOT_DAYS = 7
MAIN, PICK_SERVICE, PICK_SLOT = "main", "pick_service", "pick_slot"


@dataclass
class MenuReply:
    text: str
    action: PendingAction | None = None
    handoff: bool = False


def menu_text() -> str:
    return _(
        "Escribe el número de una opción:\n"
        "*1.* Servicios y precios\n"
        "*2.* Reservar una cita\n"
        "*3.* Mis citas\n"
        "*4.* Tienda\n"
        "*5.* Hablar con una persona"
    )


def new_state(step: str = MAIN, **extra: Any) -> dict[str, Any]:
    until = timezone.now() + timedelta(minutes=settings.ASSISTANT_MENU_MINUTES)
    return {"step": step, "until": until.isoformat(), **extra}


def is_active(state: dict[str, Any]) -> bool:
    until = state.get("until") if state else None
    return bool(until) and timezone.now().isoformat() < until


def _choice(text: str, options: int) -> int | None:
    text = text.strip().rstrip(".)").strip()
    if text.isdigit() and 1 <= int(text) <= options:
        return int(text) - 1
    return None


def _call(
    tools: dict[str, AssistantTool], name: str, ctx: ToolContext, **args: Any
) -> dict[str, Any] | None:
    tool = tools.get(name)
    if tool is None:
        return None
    return run_tool(tool, ctx, sanitize_args(tool, args))


def _unavailable() -> str:
    return _("Esta opción no está disponible en este momento.")


def handle(
    text: str, state: dict[str, Any], ctx: ToolContext, tools: dict[str, AssistantTool]
) -> tuple[MenuReply, dict[str, Any]]:
    """One step of the menu. Returns the reply and the new menu state ({} when it is done)."""
    step = state.get("step", MAIN) if is_active(state) else MAIN
    if text.strip() in {"0", "menu", "menú"}:
        return MenuReply(menu_text()), new_state()
    if step == PICK_SERVICE:
        return _pick_service(text, state, ctx, tools)
    if step == PICK_SLOT:
        return _pick_slot(text, state, ctx, tools)
    return _main(text, ctx, tools)


def _main(
    text: str, ctx: ToolContext, tools: dict[str, AssistantTool]
) -> tuple[MenuReply, dict[str, Any]]:
    choice = _choice(text, 5)
    if choice == 4:
        return MenuReply("", handoff=True), {}
    if choice in (1, 2) and ctx.user is None:
        return MenuReply(
            _("Para reservar o ver tus citas necesitas una cuenta. Escribe *registrarme*.")
        ), new_state()
    if choice == 0:
        result = _call(tools, "list_services", ctx)
        services = fmt.items_of(result or {}, "services")
        if not services:
            return MenuReply(_unavailable() + "\n\n" + menu_text()), new_state()
        body = "\n".join(f"• {fmt.describe_service(s)}" for s in services)
        return MenuReply(_("Nuestros servicios:\n%(list)s\n\n") % {"list": body} + menu_text()), (
            new_state()
        )
    if choice == 1:
        result = _call(tools, "list_services", ctx)
        services = fmt.items_of(result or {}, "services")[:MAX_OPTIONS]
        if not services:
            return MenuReply(_unavailable() + "\n\n" + menu_text()), new_state()
        body = fmt.numbered([fmt.describe_service(s) for s in services])
        codes = [s.get("code") or s.get("service_code") for s in services]
        return MenuReply(
            _("¿Qué servicio quieres reservar?\n%(list)s\n\n*0.* Volver al menú") % {"list": body}
        ), new_state(PICK_SERVICE, options=codes)
    if choice == 2:
        result = _call(tools, "my_appointments", ctx)
        error = _unavailable() if result is None else fmt.error_text(result)
        if error is not None:
            msg = error or _unavailable()
            return MenuReply(f"{msg}\n\n{menu_text()}"), new_state()
        items = fmt.items_of(result, "appointments")
        body = (
            "\n".join(f"• {fmt.describe_appointment(a)}" for a in items)
            if items
            else _("No tienes citas próximas.")
        )
        return MenuReply(_("Tus citas:\n%(list)s\n\n") % {"list": body} + menu_text()), (
            new_state()
        )
    if choice == 3:
        result = _call(tools, "search_products", ctx)
        items = fmt.items_of(result or {}, "products")[:15]
        if not items:
            return MenuReply(_unavailable() + "\n\n" + menu_text()), new_state()
        body = "\n".join(f"• {fmt.describe_product(p)}" for p in items)
        return MenuReply(
            _("Productos de la tienda:\n%(list)s\n\n") % {"list": body} + menu_text()
        ), (new_state())
    return MenuReply(menu_text()), new_state()


def _pick_service(
    text: str, state: dict[str, Any], ctx: ToolContext, tools: dict[str, AssistantTool]
) -> tuple[MenuReply, dict[str, Any]]:
    options = state.get("options") or []
    choice = _choice(text, len(options))
    if choice is None:
        return MenuReply(_("Responde con el número del servicio, o *0* para volver.")), state
    code = options[choice]
    today = timezone.localdate()
    result = _call(
        tools,
        "find_slots",
        ctx,
        service_code=code,
        date_from=today.isoformat(),
        date_to=(today + timedelta(days=SLOT_DAYS)).isoformat(),
    )
    slots = fmt.items_of(result or {}, "slots")[:MAX_OPTIONS]
    if not slots:
        reason = fmt.error_text(result or {}) or _(
            "No encontré horarios libres en los próximos días para ese servicio."
        )
        return MenuReply(f"{reason}\n\n{menu_text()}"), new_state()
    body = fmt.numbered([fmt.describe_slot(s) for s in slots])
    compact = [
        {k: s[k] for k in ("start", "therapist_id") if s.get(k) not in (None, "")} for s in slots
    ]
    return MenuReply(
        _("Horarios disponibles:\n%(list)s\n\nResponde con el número, o *0* para volver.")
        % {"list": body}
    ), new_state(PICK_SLOT, service_code=code, options=compact)


def _pick_slot(
    text: str, state: dict[str, Any], ctx: ToolContext, tools: dict[str, AssistantTool]
) -> tuple[MenuReply, dict[str, Any]]:
    options = state.get("options") or []
    choice = _choice(text, len(options))
    if choice is None:
        return MenuReply(_("Responde con el número del horario, o *0* para volver.")), state
    tool = tools.get("book_appointment")
    if tool is None:
        return MenuReply(_unavailable() + "\n\n" + menu_text()), new_state()
    args = sanitize_args(tool, {"service_code": state.get("service_code"), **options[choice]})
    try:
        summary = propose_text(tool, ctx, args)
    except DomainError as exc:
        return MenuReply(f"{exc.message}\n\n{menu_text()}"), new_state()
    return MenuReply("", action=PendingAction(tool=tool, args=args, summary=summary)), {}
