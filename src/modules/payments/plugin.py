from platform_core.plugins import ModulePlugin, PeriodicTask

plugin = ModulePlugin(
    name="payments",
    app="modules.payments.apps.PaymentsConfig",
    label="payments",
    prefix="finances/",
    router="modules.payments.api:router",
    schema_docs="modules.payments.schemas:FIELD_DOCS",
    description="Pagos con Wompi, tarjeta guardada y libro contable",
    queues=("payments",),
    task_routes={"payments.*": "payments"},
    periodic_tasks=(
        PeriodicTask(
            name="payments: reconcile pending payments",
            task="payments.reconcile",
            every_seconds=300,
            queue="payments",
        ),
        PeriodicTask(
            name="payments: deliver payment outcomes to their purposes",
            task="payments.relay_outcomes",
            every_seconds=60,
            queue="payments",
        ),
        PeriodicTask(
            name="payments: take decided refunds to Wompi",
            task="payments.retry_refunds",
            every_seconds=300,
            queue="payments",
        ),
        PeriodicTask(
            name="payments: developer payouts",
            task="payments.disperse_payouts",
            crontab={"minute": "15", "hour": "6"},
            queue="payments",
        ),
        PeriodicTask(
            name="payments: retry unsent payouts",
            task="payments.retry_payouts",
            every_seconds=600,
            queue="payments",
        ),
    ),
    # Wompi called during the request; singletons that may not exist yet; the signed webhook.
    error_statuses={
        "GET checkout-results/{transaction_id}/": (404,),
        "POST webhooks/wompi/": (400, 401),
        # The card on file: none saved yet (404); Wompi unreachable (503).
        "GET cards/acceptance/": (503,),
        "GET cards/mine/": (404,),
        "PUT cards/mine/": (503,),
        "DELETE cards/mine/": (404,),
    },
    exporter="modules.payments.personal_data:export_user",
    eraser="modules.payments.personal_data:erase_user",
    health_checks={"wompi_circuit": "modules.payments.health:wompi_circuit"},
    # Production refuses a commission whose payout Wompi could not make.
    settings_check="modules.payments.destination:settings_check",
    # Wompi's redirect target while developing (production: the front-end serves it).
    dev_pages={"pago/resultado": "modules.payments.pages:payment_result"},
    admin_technical=("payments.webhookevent", "payments.outcome"),
    dashboard="modules.payments.dashboard:section",
    role_permissions={
        "reception": ("payments.view_*",),
        "admin": ("payments.*",),
    },
    order=20,
)
