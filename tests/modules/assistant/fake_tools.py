"""Throw-away assistant tools with the agreed booking names, backed by an in-memory diary.

They follow the contract real tools must follow (act only for ctx.user; confirmation-gated
handlers refuse without ctx.confirmed), so the pipeline's guarantees can be tested before
(and independently of) the booking module.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from platform_core.errors import NotFound, PermissionDenied
from platform_core.plugins import AssistantTool, ToolContext

SERVICES = [
    {
        "code": "masaje-relajante",
        "name": "Masaje relajante",
        "price_cents": 12_000_000,
        "duration_minutes": 60,
    },
    {"code": "facial", "name": "Limpieza facial", "price_cents": 9_000_000, "duration_minutes": 45},
]
SLOTS = [
    {"start": "2026-11-28T14:00:00-05:00", "therapist_id": "t-ana", "therapist_name": "Ana"},
    {"start": "2026-11-28T16:00:00-05:00", "therapist_id": "t-luz", "therapist_name": "Luz"},
]


@dataclass
class Diary:
    appointments: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any], Any]] = field(default_factory=list)

    def add(self, user: Any, service_code: str, start: str) -> dict[str, Any]:
        appt = {
            "id": str(uuid.uuid4()),
            "user_id": user.pk,
            "service_code": service_code,
            "start": start,
            "status": "confirmed",
        }
        self.appointments.append(appt)
        return appt

    def of(self, user: Any) -> list[dict[str, Any]]:
        return [a for a in self.appointments if a["user_id"] == user.pk]


DIARY = Diary()


def _log(name: str, ctx: ToolContext, args: dict[str, Any]) -> None:
    DIARY.calls.append((name, dict(args), ctx))


def list_services(ctx: ToolContext) -> dict[str, Any]:
    _log("list_services", ctx, {})
    return {"services": SERVICES}


def find_slots(
    ctx: ToolContext,
    service_code: str,
    date_from: str,
    date_to: str,
    part_of_day: str | None = None,
    therapist_id: str | None = None,
) -> dict[str, Any]:
    _log("find_slots", ctx, {"service_code": service_code, "part_of_day": part_of_day})
    if service_code not in {s["code"] for s in SERVICES}:
        raise NotFound("Servicio desconocido.")
    return {"slots": SLOTS}


def _book_check(ctx: ToolContext, service_code: str, start: str) -> dict[str, Any]:
    service = next((s for s in SERVICES if s["code"] == service_code), None)
    if service is None or start not in {s["start"] for s in SLOTS}:
        raise NotFound("Ese horario no está disponible.")
    return service


def propose_booking(
    ctx: ToolContext, service_code: str, start: str, therapist_id: str | None = None
) -> str:
    service = _book_check(ctx, service_code, start)
    return f"Reservaría *{service['name']}* el {start}."


def book_appointment(
    ctx: ToolContext, service_code: str, start: str, therapist_id: str | None = None
) -> dict[str, Any]:
    _log("book_appointment", ctx, {"service_code": service_code, "start": start})
    if not ctx.confirmed:
        raise PermissionDenied("Falta confirmación.")
    _book_check(ctx, service_code, start)
    appt = DIARY.add(ctx.user, service_code, start)
    return {"appointment_id": appt["id"], "message": "¡Reserva creada!"}


def my_appointments(ctx: ToolContext) -> dict[str, Any]:
    _log("my_appointments", ctx, {})
    return {
        "appointments": [
            {"id": a["id"], "service_name": a["service_code"], "start": a["start"]}
            for a in DIARY.of(ctx.user)
            if a["status"] == "confirmed"
        ]
    }


def _own(ctx: ToolContext, appointment_id: str) -> dict[str, Any]:
    for appt in DIARY.of(ctx.user):
        if appt["id"] == appointment_id:
            return appt
    raise NotFound("No encontramos esa cita.")


def propose_cancel(ctx: ToolContext, appointment_id: str) -> str:
    appt = _own(ctx, appointment_id)
    return f"Cancelaría tu cita del {appt['start']}."


def cancel_appointment(ctx: ToolContext, appointment_id: str) -> dict[str, Any]:
    _log("cancel_appointment", ctx, {"appointment_id": appointment_id})
    if not ctx.confirmed:
        raise PermissionDenied("Falta confirmación.")
    _own(ctx, appointment_id)["status"] = "cancelled"
    return {"message": "Cita cancelada."}


def spa_info(ctx: ToolContext) -> dict[str, Any]:
    _log("spa_info", ctx, {})
    return {"address": "Calle 93 # 11-20, Bogotá"}


def search_products(ctx: ToolContext, query: str | None = None) -> dict[str, Any]:
    return {"products": [{"name": "Aceite de lavanda", "price_cents": 4_500_000}]}


OBJ = {"type": "object"}


def get_tools() -> list[AssistantTool]:
    return [
        AssistantTool(
            "list_services", "Lista servicios y precios.", {**OBJ, "properties": {}}, list_services
        ),
        AssistantTool(
            "find_slots",
            "Horarios libres de un servicio.",
            {
                **OBJ,
                "properties": {
                    "service_code": {"type": "string"},
                    "date_from": {"type": "string", "format": "date"},
                    "date_to": {"type": "string", "format": "date"},
                    "part_of_day": {"type": "string", "enum": ["morning", "afternoon", "evening"]},
                    "therapist_id": {"type": "string"},
                },
                "required": ["service_code", "date_from", "date_to"],
            },
            find_slots,
        ),
        AssistantTool(
            "book_appointment",
            "Reserva una cita para quien escribe.",
            {
                **OBJ,
                "properties": {
                    "service_code": {"type": "string"},
                    "start": {"type": "string"},
                    "therapist_id": {"type": "string"},
                    # A careless schema: the assistant must still never pass it through.
                    "phone": {"type": "string"},
                },
                "required": ["service_code", "start"],
            },
            book_appointment,
            needs_confirmation=True,
            propose=propose_booking,
        ),
        AssistantTool("my_appointments", "Citas de quien escribe.", OBJ, my_appointments),
        AssistantTool(
            "cancel_appointment",
            "Cancela una cita de quien escribe.",
            {**OBJ, "properties": {"appointment_id": {"type": "string"}}},
            cancel_appointment,
            needs_confirmation=True,
            propose=propose_cancel,
        ),
        AssistantTool(
            "spa_info",
            "Dirección del spa.",
            {**OBJ, "properties": {}},
            spa_info,
            requires_user=False,
        ),
        AssistantTool(
            "search_products",
            "Busca productos.",
            {**OBJ, "properties": {"query": {"type": "string"}}},
            search_products,
            requires_user=False,
        ),
    ]
