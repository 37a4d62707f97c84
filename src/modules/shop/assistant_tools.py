"""Tools the WhatsApp assistant may call. They act for ctx.user only."""

from __future__ import annotations

from typing import Any

from modules.shop import selectors
from modules.shop.errors import OrderNotFound
from platform_core.money import format_cop
from platform_core.plugins import AssistantTool, ToolContext

MAX_RESULTS = 8
RECENT_ORDERS = 3
AVAILABILITY_ES = {"in_stock": "disponible", "low": "pocas unidades", "out": "agotado"}


def search_products(ctx: ToolContext, query: str = "", category: str = "") -> dict[str, Any]:
    products = selectors.product_list(query=(query or "").strip()[:100], category=category or "")
    return {
        "products": [
            {
                "id": str(p.public_id),
                "name": p.name,
                "category": p.category.name if p.category_id else "",
                "price": format_cop(p.price_cents),
                "vip_price": format_cop(p.vip_price_cents)
                if p.vip_price_cents is not None
                else None,
                "availability": AVAILABILITY_ES[p.availability],
            }
            for p in products[:MAX_RESULTS]
        ]
    }


def _order_summary(order: Any) -> dict[str, Any]:
    return {
        "id": str(order.public_id),
        "code": order.code,
        "status": str(order.get_status_display()),
        "fulfilment": str(order.get_fulfilment_display()),
        "total": format_cop(order.total_cents),
        "created_at": order.created_at.isoformat(),
        "items": [f"{line.quantity} × {line.name}" for line in order.lines.all()],
        "refund_requested": order.refund_requested,
    }


def order_status(ctx: ToolContext, order_id: str = "") -> dict[str, Any]:
    if ctx.user is None:
        return {"error": "Necesitas una cuenta para consultar pedidos."}
    if order_id:
        try:
            order = selectors.order_for(ctx.user, order_id.strip())
        except OrderNotFound:
            return {"error": "No encontramos ese pedido en tu cuenta."}
        return {"orders": [_order_summary(order)]}
    orders = selectors.orders_for(ctx.user)[:RECENT_ORDERS]
    return {"orders": [_order_summary(order) for order in orders]}


def get_tools() -> list[AssistantTool]:
    return [
        AssistantTool(
            name="search_products",
            description=(
                "Busca productos de la tienda del spa (aceites, cremas, sets de regalo) por "
                "texto y/o categoría. Devuelve nombre, precio, precio VIP y disponibilidad."
            ),
            parameters={
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "Texto a buscar, p. ej. lavanda"},
                    "category": {
                        "type": "string",
                        "description": "Identificador de categoría, p. ej. aceites o cremas",
                    },
                },
            },
            handler=search_products,
            requires_user=False,
        ),
        AssistantTool(
            name="order_status",
            description=(
                "Consulta el estado de los pedidos de la tienda del cliente que escribe. Sin "
                "order_id devuelve sus pedidos más recientes."
            ),
            parameters={
                "type": "object",
                "properties": {
                    "order_id": {"type": "string", "description": "Identificador del pedido"}
                },
            },
            handler=order_status,
        ),
    ]
