"""Demo catalog: a few categories and products with stock (idempotent)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from modules.shop import cart, checkout, inventory
from modules.shop.models import Category, Fulfilment, MovementKind, Order, Product, Tag

CATEGORIES = [
    ("aceites", "Aceites", None),
    ("aceites-esenciales", "Aceites esenciales", "aceites"),
    ("aceites-de-masaje", "Aceites de masaje", "aceites"),
    ("cremas", "Cremas", None),
    ("cremas-corporales", "Cremas corporales", "cremas"),
    ("cremas-faciales", "Cremas faciales", "cremas"),
    ("sets-de-regalo", "Sets de regalo", None),
]

# sku, name, category, price (COP), vip price (COP), stock, tags, description
PRODUCTS = [
    (
        "ACE-LAV-30",
        "Aceite esencial de lavanda 30 ml",
        "aceites-esenciales",
        38_000,
        34_000,
        25,
        ["relajante"],
        "Lavanda pura para difusor o baño.",
    ),
    (
        "ACE-EUC-30",
        "Aceite esencial de eucalipto 30 ml",
        "aceites-esenciales",
        36_000,
        32_000,
        12,
        ["respiracion"],
        "Refrescante, ideal después del sauna.",
    ),
    (
        "ACE-MAS-ALM-250",
        "Aceite de masaje de almendras 250 ml",
        "aceites-de-masaje",
        62_000,
        55_000,
        8,
        ["relajante", "masaje"],
        "El aceite que usamos en nuestros masajes relajantes.",
    ),
    (
        "CRE-COR-KAR-200",
        "Crema corporal de karité 200 ml",
        "cremas-corporales",
        54_000,
        48_000,
        15,
        ["hidratante"],
        "Hidratación profunda para piel seca.",
    ),
    (
        "CRE-FAC-ALO-50",
        "Crema facial de aloe 50 ml",
        "cremas-faciales",
        71_000,
        64_000,
        2,
        ["hidratante", "facial"],
        "Calma la piel después de una limpieza facial.",
    ),
    (
        "SET-REL-01",
        "Set de regalo Relajación",
        "sets-de-regalo",
        145_000,
        130_000,
        5,
        ["regalo", "relajante"],
        "Aceite de lavanda, crema de karité y vela aromática.",
    ),
]


def seed(stdout: Any) -> None:
    categories: dict[str, Category] = {}
    for slug, name, parent in CATEGORIES:
        categories[slug], _ = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "parent": categories.get(parent or "")}
        )
    created = 0
    for sku, name, cat, price, vip, stock, tags, description in PRODUCTS:
        product, is_new = Product.objects.get_or_create(
            sku=sku,
            defaults={
                "name": name,
                "category": categories[cat],
                "price_cents": price * 100,
                "vip_price_cents": vip * 100,
                "description": description,
            },
        )
        for tag in tags:
            product.tags.add(Tag.objects.get_or_create(slug=tag, defaults={"name": tag})[0])
        # Stock only through movements, once: a re-run never adds units again.
        if not product.movements.filter(kind=MovementKind.RECEIPT).exists():
            inventory.receive_stock(product, stock, reason="Inventario inicial (demo)", actor=None)
        created += is_new
    stdout.write(f"shop: {len(CATEGORIES)} categories, {created} new products\n")
    if settings.SEED_DEMO_ACTIVITY:
        new_orders = seed_orders()
        stdout.write(f"shop: {new_orders} new demo orders (paid and pending)\n")


# Demo clients' orders: (phone, [(sku, quantity)], paid?), from well-stocked products (the
# low-stock ones stay as they are for the e2e journey). Real checkouts: stock is reserved
# by the order and the payment is opened through payments; "paid" ones are then paid in
# payments' sandbox, whose approved webhook settles them (ledger, then shop's handler marks
# the order paid). Where Wompi is real, no demo money moves: they stay pending.
ORDERS = [
    ("+573000000005", [("ACE-LAV-30", 2), ("CRE-COR-KAR-200", 1)], True),
    ("+573000000006", [("ACE-EUC-30", 1)], True),
    ("+573101000002", [("CRE-COR-KAR-200", 1), ("ACE-LAV-30", 1)], True),
    ("+573101000001", [("ACE-LAV-30", 1)], False),
    ("+573101000003", [("ACE-EUC-30", 1)], False),
]


def seed_orders() -> int:
    """Paid and pending orders for demo clients that have none yet (idempotent)."""
    from modules.identity import public as identity
    from modules.payments import public as payments

    can_pay = payments.sandbox_settles()
    products = {p.sku: p for p in Product.objects.all()}
    made = 0
    for phone, lines, paid in ORDERS:
        user = identity.get_user_by_phone(phone)
        if user is None or Order.objects.filter(user_id=user.id).exists():
            continue
        skus = [sku for sku, _ in lines if sku in products]
        if not skus:
            continue
        cart.clear_cart(user)
        for sku, quantity in lines:
            if sku in products:
                cart.add_to_cart(user, products[sku].public_id, quantity)
        result = checkout.checkout(user, fulfilment=Fulfilment.PICKUP)
        if paid and can_pay:
            payments.settle_in_sandbox(payment_reference=result.payment.reference)
        made += 1
    return made
