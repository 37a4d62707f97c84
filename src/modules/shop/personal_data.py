"""Personal-data export and erasure for the shop (carts, orders, delivery addresses).

Orders are kept for accounting (tax law asks for sales records), so erasure removes the
cart and pseudonymises what identifies a person on each order: recipient name, phone
and address. Amounts, lines and dates stay.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from modules.shop.models import Cart, Order
from platform_core.renderers import api_time

ERASED = "[borrado]"


def export_user(user: Any) -> dict[str, Any]:
    cart = Cart.objects.filter(user=user).prefetch_related("items__product").first()
    orders = Order.objects.filter(user=user).prefetch_related("lines").order_by("created_at")
    return {
        "cart": [
            {"sku": item.product.sku, "name": item.product.name, "quantity": item.quantity}
            for item in (cart.items.all() if cart else [])
        ],
        "orders": [
            {
                "id": str(order.public_id),
                "status": order.status,
                "created_at": api_time(order.created_at),
                "fulfilment": order.fulfilment,
                "address": {
                    "recipient_name": order.recipient_name,
                    "recipient_phone": order.recipient_phone,
                    "address_line": order.address_line,
                    "address_details": order.address_details,
                    "neighborhood": order.neighborhood,
                    "city": order.city,
                    "notes": order.delivery_notes,
                }
                if order.fulfilment == "delivery"
                else None,
                "total_cents": order.total_cents,
                "currency": order.currency,
                "lines": [
                    {
                        "sku": line.sku,
                        "name": line.name,
                        "quantity": line.quantity,
                        "unit_price_cents": line.unit_price_cents,
                    }
                    for line in order.lines.all()
                ],
            }
            for order in orders
        ],
    }


def erase_user(user: Any) -> None:
    with transaction.atomic():
        Cart.objects.filter(user=user).delete()
        Order.objects.filter(user=user, address_erased_at__isnull=True).update(
            recipient_name="",
            recipient_phone="",
            address_line=ERASED,
            address_details="",
            neighborhood="",
            delivery_notes="",
            address_erased_at=timezone.now(),
        )
