from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from platform_core.errors import NotFound


class Command(BaseCommand):
    help = (
        "Re-process a stored Wompi event (by its public id or a Wompi transaction id). "
        "Idempotent; for a payment already final it delivers its outcome (settled, failed) "
        "to the purpose's handler again (a payment reference does only that)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "event_id",
            help="the stored event's public id, a Wompi transaction id or a payment reference",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from modules.payments.webhooks import replay_event

        try:
            outcome = replay_event(options["event_id"])
        except NotFound as exc:
            raise CommandError(f"no stored event or final payment {options['event_id']}") from exc
        self.stdout.write(f"event {options['event_id']}: {outcome}")
