"""Country of an IP address from a MaxMind-format database (GeoLite2/GeoIP2 Country or City,
DB-IP Lite), read with ``maxminddb``. ``GEOIP_PATH`` is the .mmdb file, or a directory holding
``GeoLite2-Country.mmdb`` / ``GeoIP2-Country.mmdb`` / ``GeoLite2-City.mmdb``.

Unconfigured, unreadable, private or unknown addresses give ``None``: callers treat "unknown"
as "not Colombia" where that matters (reCAPTCHA) and simply omit it elsewhere (audit).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)
_CANDIDATES = (
    "GeoLite2-Country.mmdb",
    "GeoIP2-Country.mmdb",
    "GeoLite2-City.mmdb",
    "GeoIP2-City.mmdb",
)
_lock = threading.Lock()


def database_file(path: str) -> Path | None:
    if not path:
        return None
    candidate = Path(path)
    if candidate.is_dir():
        return next((candidate / n for n in _CANDIDATES if (candidate / n).is_file()), None)
    return candidate if candidate.is_file() else None


@lru_cache(maxsize=4)
def _reader(path: str) -> Any:
    import maxminddb

    file = database_file(path)
    if file is None:
        logger.warning("GEOIP_PATH=%s has no MaxMind database; countries are unknown", path)
        return None
    try:
        return maxminddb.open_database(str(file))
    except (OSError, ValueError, maxminddb.InvalidDatabaseError):
        logger.exception("GeoIP database %s cannot be read", file)
        return None


def enabled() -> bool:
    return bool(getattr(settings, "GEOIP_PATH", ""))


def country_of(ip: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code ("CO") of ``ip``, or None when unknown."""
    path = getattr(settings, "GEOIP_PATH", "")
    if not ip or not path:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if not address.is_global:
        return None
    with _lock:
        reader = _reader(path)
    if reader is None:
        return None
    try:
        record = reader.get(str(address))
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    country = record.get("country") or record.get("registered_country") or {}
    code = country.get("iso_code") if isinstance(country, dict) else None
    return str(code).upper() if code else None


def reset() -> None:
    """Forget open databases (tests that swap GEOIP_PATH)."""
    with _lock:
        _reader.cache_clear()
