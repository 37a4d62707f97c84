"""Booking's version counters (platform_core.versioning): what cached reads are keyed by.

- AVAILABILITY: everything a search is computed from (schedules, rooms, services,
  therapists, appointments); keys the cached searches.
- SCHEDULE: the part of it that only the spa's setup changes, never a booking (therapists
  and who performs what, weekly hours and breaks, opening hours, rooms, one-off changes,
  time off, closed days). Every AVAILABILITY bump but an appointment's bumps it too
  (``availability.bump_version`` / ``bump_appointments``).
- CATALOG: what the public catalog shows (categories, services, therapists and which
  therapist performs which service); keys the catalog ETags. Bookings do not touch it, so
  catalog responses stay cacheable while the agenda fills up.
"""

from __future__ import annotations

from platform_core.versioning import VersionCounter

AVAILABILITY = VersionCounter("booking:availability:version")
SCHEDULE = VersionCounter("booking:schedule:version")
CATALOG = VersionCounter("booking:catalog:version")
