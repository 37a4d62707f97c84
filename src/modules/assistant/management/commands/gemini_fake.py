from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run the local scripted Gemini (generateContent; GET /__requests). Not in production."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8767)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("gemini_fake is for development and tests only")
        from modules.assistant.fakes.gemini import build_server
        from platform_core.fakes.http import serve

        server = build_server(options["host"], options["port"])
        self.stdout.write(f"Gemini fake on {server.url}; set GEMINI_BASE_URL={server.url}")
        self.stdout.flush()
        serve(server)
