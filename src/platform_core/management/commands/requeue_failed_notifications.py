from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from platform_core.notifications.services import requeue_failed


class Command(BaseCommand):
    help = "Put failed notifications back in the outbox and enqueue them (filters below)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--since", help="ISO datetime, or hours ago (e.g. 24)")
        parser.add_argument("--until", help="ISO datetime")
        parser.add_argument("--channel", choices=("whatsapp", "sms", "email"))
        parser.add_argument("--template")
        parser.add_argument("--error-code")
        parser.add_argument(
            "--include-undelivered",
            action="store_true",
            help="also resend rows the provider accepted but could not deliver",
        )
        parser.add_argument("--limit", type=int)
        parser.add_argument("--dry-run", action="store_true")

    def _when(self, value: str | None) -> Any:
        if not value:
            return None
        if value.isdigit():
            return timezone.now() - timedelta(hours=int(value))
        parsed = parse_datetime(value)
        if parsed is None:
            raise CommandError(f"not a datetime: {value!r}")
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)

    def handle(self, *args: Any, **options: Any) -> None:
        statuses = ("failed", "undelivered") if options["include_undelivered"] else ("failed",)
        count = requeue_failed(
            since=self._when(options["since"]),
            until=self._when(options["until"]),
            channel=options["channel"],
            template=options["template"],
            error_code=options["error_code"],
            statuses=statuses,
            limit=options["limit"],
            dry_run=options["dry_run"],
        )
        verb = "would be requeued" if options["dry_run"] else "requeued"
        self.stdout.write(self.style.SUCCESS(f"{count} notifications {verb}."))
