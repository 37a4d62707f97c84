from platform_core.plugins import ModulePlugin

plugin = ModulePlugin(
    name="payments",
    app="modules.payments.apps.PaymentsConfig",
    label="payments",
    prefix="finances/",
    description="Pagos con Wompi, membresía VIP y libro contable",
    order=20,
)
