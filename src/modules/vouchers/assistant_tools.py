"""Assistant tools: a gift card's balance and the user's packages. Booking with a package
credit is booking's own ``book_appointment`` tool (after the client's "sí") with the
``tender`` my_packages gives: booking takes tenders generically and names no plugin."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from modules.vouchers import selectors
from platform_core.errors import DomainError
from platform_core.money import format_cop
from platform_core.plugins import AssistantTool, ToolContext


def gift_card_balance(ctx: ToolContext, code: str) -> dict[str, Any]:
    try:
        card = selectors.card_by_code(code)
    except DomainError as exc:
        return {"ok": False, "error": exc.code, "message": exc.message}
    return {
        "ok": True,
        "tarjeta": f"····{card.code_hint}",
        "estado": card.get_status_display(),
        "saldo": format_cop(card.balance_cents),
        "vence": card.expires_at.date().isoformat() if card.expires_at else None,
    }


def my_packages(ctx: ToolContext) -> dict[str, Any]:
    if ctx.user is None:
        return {"ok": False, "error": "no_user", "message": _("Regístrate para ver tus paquetes.")}
    return {
        "ok": True,
        "paquetes": [
            {
                "package_id": str(p.public_id),
                # What book_appointment's ``tenders`` takes to pay a session with it.
                "tender": {"kind": "package_credit", "code": str(p.public_id)},
                "nombre": p.package.name,
                "sesiones_disponibles": p.credits_left,
                "servicios": p.package.service_codes,
                "vence": p.expires_at.date().isoformat() if p.expires_at else None,
            }
            for p in selectors.purchases_of(ctx.user).filter(status="active", credits_left__gt=0)
        ],
    }


def get_tools() -> list[AssistantTool]:
    return [
        AssistantTool(
            name="gift_card_balance",
            description=(
                "Consulta el saldo y la fecha de vencimiento de una tarjeta de regalo del spa "
                "a partir de su código (16 caracteres, con o sin guiones)."
            ),
            parameters={
                "type": "object",
                "properties": {"code": {"type": "string", "description": "Código de la tarjeta"}},
                "required": ["code"],
            },
            handler=gift_card_balance,
            requires_user=False,
        ),
        AssistantTool(
            name="my_packages",
            description=(
                "Lista los paquetes de sesiones del usuario con las sesiones que le quedan, "
                "los servicios que cubren y su vencimiento; 'tender' es lo que se pasa en "
                "tenders de book_appointment para pagar una sesión con el paquete."
            ),
            parameters={"type": "object", "properties": {}},
            handler=my_packages,
        ),
    ]
