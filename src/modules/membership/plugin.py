from platform_core.plugins import ModulePlugin, PeriodicTask

plugin = ModulePlugin(
    name="membership",
    app="modules.membership.apps.MembershipConfig",
    label="membership",
    # Under payments' prefix: the paths clients use did not move with the code (issue 16).
    prefix="finances/vip/",
    router="modules.membership.api:router",
    schema_docs="modules.membership.schemas:FIELD_DOCS",
    description="Membresía VIP: planes, suscripción con tarjeta guardada, renovaciones",
    # Renewals are Wompi-bound work: they run in the payments lane, as before the move.
    task_routes={"membership.*": "payments"},
    periodic_tasks=(
        PeriodicTask(
            name="membership: VIP renewals and dunning",
            task="membership.renew_vip",
            every_seconds=3600,
            queue="payments",
        ),
    ),
    # Wompi called during the request; the member's subscription may not exist yet.
    error_statuses={
        "GET acceptance/": (503,),
        "GET subscription/": (404,),
        "POST subscription/": (404, 503),
        "POST subscription/cancel/": (404,),
    },
    exporter="modules.membership.personal_data:export_user",
    eraser="modules.membership.personal_data:erase_user",
    assistant_tools="modules.membership.assistant_tools:get_tools",
    seed_demo="modules.membership.demo:seed",
    payment_purposes={"payments.vip": "Membresía VIP"},
    payment_handlers={"payments.vip": "modules.membership.handlers:handle_outcome"},
    # As before the move, when these were payments' models: reception sees, admin runs.
    role_permissions={
        "reception": ("membership.view_*",),
        "admin": ("membership.*",),
    },
    order=25,
)
