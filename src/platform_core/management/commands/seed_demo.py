from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from platform_core.plugins import get_plugins, resolve


class Command(BaseCommand):
    help = "Load demo data from every enabled module (idempotent: safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        for plugin in get_plugins():
            if not plugin.seed_demo:
                continue
            with transaction.atomic():
                resolve(plugin.seed_demo)(self.stdout)
            self.stdout.write(f"  demo data: {plugin.name}")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
