"""Booking's version counters (platform_core.versioning): what cached reads are keyed by.

- AVAILABILITY: everything a search is computed from (schedules, rooms, services,
  therapists, appointments); keys the cached searches.
- CATALOG: what the public catalog shows (categories, services, therapists and which
  therapist performs which service); keys the catalog ETags. Bookings do not touch it, so
  catalog responses stay cacheable while the agenda fills up.
"""

from __future__ import annotations

from platform_core.versioning import VersionCounter

AVAILABILITY = VersionCounter("booking:availability:version")
CATALOG = VersionCounter("booking:catalog:version")
