"""The shop's version counter (platform_core.versioning): what the public catalog shows.

Bumped by any save or delete of a category, tag, product or image (signals, admin and
imports included) and by stock moves that change a product's shown availability
(in_stock / low / out: queryset updates send no signal, see inventory.move_stock). Keys the
catalog ETags (platform_core.conditional).
"""

from __future__ import annotations

from platform_core.versioning import VersionCounter

CATALOG = VersionCounter("shop:catalog:version")
