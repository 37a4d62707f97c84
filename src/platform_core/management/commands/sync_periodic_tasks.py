from typing import Any

from django.core.management.base import BaseCommand

from platform_core.beat import sync_periodic_tasks


class Command(BaseCommand):
    help = "Create or update django-celery-beat entries from the enabled plugins (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = sync_periodic_tasks()
        self.stdout.write(
            self.style.SUCCESS(
                "Periodic tasks: {created} created, {updated} updated, {disabled} disabled".format(
                    **counts
                )
            )
        )
