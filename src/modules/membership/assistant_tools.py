"""Assistant tools: vip_info() and vip_payment_link()."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from modules.membership import selectors, services
from platform_core.plugins import AssistantTool, ToolContext


def _vip_info(ctx: ToolContext) -> dict[str, Any]:
    plans = [
        {"nombre": p.name, "precio_cop": p.price_cents // 100, "descripcion": p.description}
        for p in selectors.active_plans()
    ]
    result: dict[str, Any] = {"planes": plans, "es_vip": False}
    if ctx.user is not None:
        until = ctx.user.vip_until
        result["es_vip"] = bool(until and until > timezone.now())
        result["vip_hasta"] = timezone.localtime(until).strftime("%d/%m/%Y") if until else None
        sub = selectors.latest_subscription(ctx.user)
        result["suscripcion"] = (
            {"estado": sub.get_status_display(), "renovacion_cancelada": sub.cancel_at_period_end}
            if sub
            else None
        )
    return result


def _vip_payment_link(ctx: ToolContext) -> dict[str, Any]:
    if ctx.user is None:
        return {"error": "Debes registrarte para comprar la membresía VIP."}
    checkout = services.one_month_checkout(user=ctx.user)
    return {
        "link": checkout.checkout_url,
        "monto_cop": checkout.amount_in_cents // 100,
        "referencia": checkout.reference,
        "vence": checkout.expiration_time,
    }


def get_tools() -> list[AssistantTool]:
    return [
        AssistantTool(
            name="vip_info",
            description=(
                "Informa los planes de la membresía VIP del spa (precio mensual, beneficios) "
                "y si el usuario es VIP y hasta cuándo."
            ),
            parameters={"type": "object", "properties": {}},
            handler=_vip_info,
            requires_user=False,
        ),
        AssistantTool(
            name="vip_payment_link",
            description=(
                "Genera un enlace de pago de Wompi para comprar un mes de membresía VIP "
                "para el usuario de la conversación."
            ),
            parameters={"type": "object", "properties": {}},
            handler=_vip_payment_link,
        ),
    ]
