"""Reactions to the shop's own model writes (connected in ShopConfig.ready)."""

from __future__ import annotations

from typing import Any

from modules.shop.versions import CATALOG


def catalog_changed(sender: Any = None, **kwargs: Any) -> None:
    """A category, tag, product or image was saved or deleted: new catalog ETags."""
    CATALOG.bump()
