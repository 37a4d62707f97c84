from django.apps import AppConfig


class MembershipConfig(AppConfig):
    name = "modules.membership"
    label = "membership"
    verbose_name = "Membresía VIP"
    default_auto_field = "django.db.models.BigAutoField"
