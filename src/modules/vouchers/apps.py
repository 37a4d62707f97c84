from django.apps import AppConfig


class VouchersConfig(AppConfig):
    name = "modules.vouchers"
    label = "vouchers"
    verbose_name = "Tarjetas de regalo y paquetes"
    default_auto_field = "django.db.models.BigAutoField"
