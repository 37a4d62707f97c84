from django.apps import AppConfig


class PlatformCoreConfig(AppConfig):
    name = "platform_core"
    label = "platform_core"
    verbose_name = "Plataforma"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from platform_core.beat import sync_after_migrate

        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="sz-sync-beat")
