"""Signal receivers: thin adapters from other modules' signals to booking services."""

from __future__ import annotations

import logging
from typing import Any

from modules.booking import services
from modules.booking.availability import bump_version
from modules.booking.versions import CATALOG

logger = logging.getLogger(__name__)


def on_payment_settled(
    sender: Any = None, *, purpose: str = "", ref: str = "", **kwargs: Any
) -> None:
    if purpose != services.PURPOSE:
        return
    outcome = services.handle_deposit_settled(
        ref=ref,
        payment_reference=str(kwargs.get("payment_reference") or ""),
        amount_cents=int(kwargs.get("amount_cents") or 0),
    )
    logger.info("deposit for appointment %s settled: %s", ref, outcome)


def on_payment_failed(
    sender: Any = None, *, purpose: str = "", ref: str = "", **kwargs: Any
) -> None:
    if purpose == services.PURPOSE:
        services.handle_deposit_failed(
            ref=ref,
            payment_reference=str(kwargs.get("payment_reference") or ""),
            status=str(kwargs.get("status") or ""),
        )


def schedule_changed(sender: Any = None, **kwargs: Any) -> None:
    bump_version()


def catalog_changed(sender: Any = None, **kwargs: Any) -> None:
    CATALOG.bump()
