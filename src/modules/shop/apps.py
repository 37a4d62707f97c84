from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "modules.shop"
    label = "shop"
    verbose_name = "Tienda"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from modules.payments.public import payment_settled
        from modules.shop.receivers import on_payment_settled

        payment_settled.connect(on_payment_settled, dispatch_uid="shop.on_payment_settled")
