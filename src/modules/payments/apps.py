from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "modules.payments"
    label = "payments"
    verbose_name = "Pagos"
    default_auto_field = "django.db.models.BigAutoField"
