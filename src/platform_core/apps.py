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

        from celery.signals import before_task_publish

        from platform_core.queues import stamp_published_at

        # Queue age monitoring (manage.py queue_depths) needs each task's publish time.
        before_task_publish.connect(stamp_published_at, dispatch_uid="sz-published-at")
