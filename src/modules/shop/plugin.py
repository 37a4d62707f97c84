from platform_core.plugins import ModulePlugin, PeriodicTask

plugin = ModulePlugin(
    name="shop",
    app="modules.shop.apps.ShopConfig",
    label="shop",
    prefix="shop/",
    router="modules.shop.api:router",
    schema_docs="modules.shop.schemas:FIELD_DOCS",
    description="Productos, inventario, carritos y pedidos",
    queues=("celery",),
    task_routes={"shop.*": "celery"},
    periodic_tasks=(
        PeriodicTask(
            name="shop: expire unpaid orders", task="shop.expire_orders", every_seconds=60
        ),
    ),
    # A product named in the body that is unknown or withdrawn; Wompi called in the request.
    error_statuses={
        "POST cart/items/": (404,),
        "POST checkout/": (404, 503),
        "POST orders/{order_id}/checkout/": (503,),
    },
    exporter="modules.shop.personal_data:export_user",
    eraser="modules.shop.personal_data:erase_user",
    assistant_tools="modules.shop.assistant_tools:get_tools",
    seed_demo="modules.shop.demo:seed",
    payment_purposes={"shop.order": "Tienda"},
    payment_handlers={"shop.order": "modules.shop.payment_handlers:handle"},
    dashboard="modules.shop.dashboard:section",
    admin_index="modules.shop.dashboard:index_cards",
    role_permissions={
        "reception": ("shop.view_*", "shop.change_*"),
        "admin": ("shop.*",),
    },
    order=40,
)
