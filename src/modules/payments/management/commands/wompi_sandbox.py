from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the local Wompi sandbox (API /v1, payouts /payouts/v1, checkout /p/)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument(
            "--webhook-url", default="http://127.0.0.1:8000/api/finances/webhooks/wompi/"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from modules.payments.sandbox.inprocess import config_from_settings
        from modules.payments.sandbox.server import build_server

        server, _, _ = build_server(
            config_from_settings(),
            host=options["host"],
            port=options["port"],
            webhook_url=options["webhook_url"],
        )
        host, port = server.server_address[:2]
        self.stdout.write(
            f"Wompi sandbox on http://{host}:{port} (API /v1, checkout /p/); "
            f"events -> {options['webhook_url']}. Set WOMPI_ADAPTER=wompi "
            f"WOMPI_BASE_URL=http://{host}:{port}/v1 "
            f"WOMPI_CHECKOUT_URL=http://{host}:{port}/p/ to use it."
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:  # pragma: no cover - interactive
            pass
        finally:
            server.server_close()
