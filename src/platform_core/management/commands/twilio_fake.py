from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Run the local Twilio fake (Messages API, Verify v2; GET /__requests). Not in production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8766)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("twilio_fake is for development and tests only")
        from platform_core.fakes.http import serve
        from platform_core.fakes.twilio import build_server

        server = build_server(options["host"], options["port"])
        self.stdout.write(f"Twilio fake on {server.url}; set TWILIO_API_BASE_URL={server.url}")
        self.stdout.flush()
        serve(server)
