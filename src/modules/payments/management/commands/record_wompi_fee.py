from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from platform_core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Record Wompi's fee in the ledger (kind fee, merchant debit, audited). Wompi's "
        "transaction API does not report fees: staff copy them from Wompi's dashboard or "
        "invoice, for one payment (--payment) or a period."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("amount_cents", type=int, help="the fee in COP cents (positive)")
        parser.add_argument("--memo", required=True, help='e.g. "Factura Wompi enero 2026"')
        parser.add_argument("--payment", default="", help="the payment reference (SZ-…)")
        parser.add_argument(
            "--staff", default="", help="phone (E.164) of the staff member recording it"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from modules.identity.public import get_user_by_phone
        from modules.payments.ledger import record_fee

        actor = None
        if options["staff"]:
            actor = get_user_by_phone(options["staff"])
            if actor is None or not actor.is_staff:
                raise CommandError(f"no staff member with phone {options['staff']}")
        try:
            entry = record_fee(
                amount_cents=options["amount_cents"],
                memo=options["memo"],
                actor=actor,
                payment_reference=options["payment"],
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message} {exc.details or ''}") from exc
        self.stdout.write(f"fee {entry.public_id}: {entry.amount_cents} {entry.currency}")
