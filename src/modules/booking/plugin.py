from platform_core.plugins import ModulePlugin

plugin = ModulePlugin(
    name="booking",
    app="modules.booking.apps.BookingConfig",
    label="booking",
    prefix="booking/",
    description="Tratamientos, terapeutas, disponibilidad y citas",
    order=30,
)
