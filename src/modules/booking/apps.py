from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "modules.booking"
    label = "booking"
    verbose_name = "Reservas"
    default_auto_field = "django.db.models.BigAutoField"
