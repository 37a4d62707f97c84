from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "modules.shop"
    label = "shop"
    verbose_name = "Tienda"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from modules.shop import models
        from modules.shop.receivers import catalog_changed
        from platform_core.versioning import connect_writes

        connect_writes(
            catalog_changed,
            (models.Category, models.Tag, models.Product, models.ProductImage),
            through=(models.Product.tags.through,),
            uid="shop.catalog",
        )
