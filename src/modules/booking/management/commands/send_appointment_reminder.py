"""Operators' command: send due reminders now (safe to run at any time: every
reminder is claimed once, so a run next to the beat task never duplicates)."""

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from modules.booking import reminders
from modules.booking.models import Appointment


class Command(BaseCommand):
    help = "Send due appointment reminders now, or one reminder for one appointment."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--appointment", help="public id of one appointment")
        parser.add_argument("--hours", type=int, help="which reminder (hours before)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["appointment"]:
            hours = options["hours"] or min(reminders.reminder_hours())
            try:
                ref = uuid.UUID(options["appointment"])
            except ValueError:
                raise CommandError("appointment must be a UUID") from None
            pk = Appointment.objects.filter(public_id=ref).values_list("pk", flat=True).first()
            if pk is None:
                raise CommandError("appointment not found")
            sent = int(reminders.send_reminder(pk, hours))
        else:
            sent = reminders.send_due_reminders()
        self.stdout.write(f"reminders sent: {sent}")
