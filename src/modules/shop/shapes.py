"""An order as the API answers it (``schemas.OrderOut``), built as a plain dict.

One shaping for both sources: an ``Order`` a service has just written or locked (its lines
attached), and the narrow rows the order list reads (``selectors.order_page``), which never
become model instances. Keys are the schema's input names (``public_id`` and
``delivery_notes`` are the aliases of ``id`` and ``notes``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from modules.shop.models import Fulfilment, Order, order_code

ADDRESS_COLUMNS = (
    "recipient_name",
    "recipient_phone",
    "address_line",
    "address_details",
    "neighborhood",
    "city",
    "delivery_notes",
)
# The order columns the answer needs (``id`` only groups the lines of a page).
ORDER_COLUMNS = (
    "id",
    "public_id",
    "status",
    "fulfilment",
    *ADDRESS_COLUMNS,
    "vip_pricing",
    "subtotal_cents",
    "delivery_fee_cents",
    "total_cents",
    "currency",
    "created_at",
    "expires_at",
    "paid_at",
    "refund_requested_at",
    "checkout_url",
)
LINE_COLUMNS = ("sku", "name", "unit_price_cents", "quantity", "line_total_cents")


def order_row_out(row: Mapping[str, Any], lines: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``row`` (ORDER_COLUMNS) and its ``lines`` (LINE_COLUMNS, in pk order) as OrderOut."""
    delivery = row["fulfilment"] == Fulfilment.DELIVERY
    return {
        "public_id": row["public_id"],
        "code": order_code(row["public_id"]),
        "status": row["status"],
        "fulfilment": row["fulfilment"],
        "address": {name: row[name] for name in ADDRESS_COLUMNS} if delivery else None,
        "vip_pricing": row["vip_pricing"],
        "subtotal_cents": row["subtotal_cents"],
        "delivery_fee_cents": row["delivery_fee_cents"],
        "total_cents": row["total_cents"],
        "currency": row["currency"],
        "lines": list(lines),
        "created_at": row["created_at"],
        "expires_at": row["expires_at"],
        "paid_at": row["paid_at"],
        "refund_requested": row["refund_requested_at"] is not None,
        "checkout_url": row["checkout_url"],
    }


def order_out(order: Order) -> dict[str, Any]:
    """A model instance (``order.lines.all()`` loaded or read now) as OrderOut."""
    return order_row_out(
        {name: getattr(order, name) for name in ORDER_COLUMNS},
        ({name: getattr(line, name) for name in LINE_COLUMNS} for line in order.lines.all()),
    )
