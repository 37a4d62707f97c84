from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "modules.shop"
    label = "shop"
    verbose_name = "Tienda"
    default_auto_field = "django.db.models.BigAutoField"
