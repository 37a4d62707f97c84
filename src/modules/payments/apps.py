from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "modules.payments"
    label = "payments"
    verbose_name = "Pagos"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The local sandbox adapter registers itself with the gateway (which never imports
        # it): WOMPI_ADAPTER="sandbox" then speaks to it in-process.
        from modules.payments.sandbox.inprocess import register

        register()
