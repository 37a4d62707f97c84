"""Vouchers: gift cards and service packages, a plugin added like a third party's would be
(one line in the settings' module list; nothing else outside this folder). docs/vouchers.md."""

from platform_core.plugins import ModulePlugin, PeriodicTask

plugin = ModulePlugin(
    name="vouchers",
    app="modules.vouchers.apps.VouchersConfig",
    label="vouchers",
    prefix="vouchers/",
    router="modules.vouchers.api:router",
    schema_docs="modules.vouchers.schemas:FIELD_DOCS",
    description="Tarjetas de regalo y paquetes de sesiones",
    # Its own lane: a December rush of deliveries does not wait behind bookings or Wompi.
    queues=("vouchers",),
    task_routes={"vouchers.*": "vouchers"},
    periodic_tasks=(
        PeriodicTask(
            name="vouchers: deliver gift cards due",
            task="vouchers.deliver_due",
            every_seconds=60,
            queue="vouchers",
        ),
        PeriodicTask(
            name="vouchers: expiry reminders",
            task="vouchers.remind_expiring",
            crontab={"minute": "0", "hour": "15"},  # 10:00 in Bogotá (UTC-5)
            queue="vouchers",
        ),
    ),
    # The policy's limits and a delivery date (409); a code no card can have (404).
    error_statuses={
        "POST gift-cards/": (409,),
        "POST gift-cards/balance/": (404,),
        "POST packages/{package_code}/purchase/": (404,),
    },
    exporter="modules.vouchers.personal_data:export_user",
    eraser="modules.vouchers.personal_data:erase_user",
    assistant_tools="modules.vouchers.assistant_tools:get_tools",
    seed_demo="modules.vouchers.demo:seed",
    dashboard="modules.vouchers.dashboard:section",
    # payments' tenders: redeemed in booking's and the shop's checkouts, split with Wompi.
    tenders={
        "gift_card": "modules.vouchers.tenders:gift_card",
        "package_credit": "modules.vouchers.tenders:package_credit",
    },
    payment_purposes={
        "vouchers.gift_card": "Tarjetas de regalo",
        "vouchers.package": "Paquetes",
    },
    payment_handlers={
        "vouchers.gift_card": "modules.vouchers.payment_handlers:handle",
        "vouchers.package": "modules.vouchers.payment_handlers:handle",
    },
    # Reception issues cards and sees everything (redeeming happens in the checkouts);
    # voiding a card and refunding sessions is the admin's (custom permissions).
    role_permissions={
        "reception": ("vouchers.view_*", "vouchers.add_giftcard"),
        "admin": ("vouchers.*",),
    },
    order=50,
)
