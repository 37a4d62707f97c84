from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from platform_core.rotation import rotate_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every EncryptedField column of every installed model under the first "
        "key of FERNET_KEYS, in batches; resumable (re-run to continue after a stop)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=settings.ENCRYPTION_ROTATION_BATCH_SIZE
        )
        parser.add_argument("--max-batches", type=int, help="stop after N batches per model")
        parser.add_argument("--restart", action="store_true", help="ignore saved checkpoints")

    def handle(self, *args: Any, **options: Any) -> None:
        reports = rotate_all(
            batch_size=options["batch_size"],
            max_batches=options["max_batches"],
            restart=options["restart"],
            progress=lambda line: self.stdout.write(f"  {line}"),
        )
        for report in reports:
            self.stdout.write(
                f"{report.model}: {report.rows_seen} rows checked, "
                f"{report.values_rotated} values re-encrypted"
            )
        self.stdout.write(self.style.SUCCESS("Key rotation pass finished."))
