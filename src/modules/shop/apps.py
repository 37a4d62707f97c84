from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "modules.shop"
    label = "shop"
    verbose_name = "Tienda"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from modules.payments.public import payment_settled
        from modules.shop import models
        from modules.shop.receivers import catalog_changed, on_payment_settled

        payment_settled.connect(on_payment_settled, dispatch_uid="shop.on_payment_settled")
        for model in (models.Category, models.Tag, models.Product, models.ProductImage):
            post_save.connect(
                catalog_changed, sender=model, dispatch_uid=f"shop.cs.{model.__name__}"
            )
            post_delete.connect(
                catalog_changed, sender=model, dispatch_uid=f"shop.cd.{model.__name__}"
            )
        m2m_changed.connect(
            catalog_changed, sender=models.Product.tags.through, dispatch_uid="shop.cm2m.tags"
        )
