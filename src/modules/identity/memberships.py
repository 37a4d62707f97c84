"""The groups (roles) a user belongs to, read once per process until a membership changes.

``has_role`` runs in most requests that may come from staff (booking, cancelling, checking
out, the profile's roles): a query joining the user, its memberships and the groups each
time, ~0.7 ms of ORM and driver CPU for an answer that only changes when a membership or a
group does. So the answer is kept per process, keyed by a version counter
(platform_core.versioning) that every such change bumps at once and again on commit
(``m2m_changed`` on the memberships from either side, a group saved or deleted, a user
deleted). A reader reads the version (one cache round trip) before the rows, so an answer
is only ever served under the version it was read under; after the commit every process
reads a new version and loads again. A transaction that changed memberships reads its own
view and keeps nothing (it may roll back). With the shared cache down every read is a new
version: the query runs each time, as before.
"""

from __future__ import annotations

import threading
from typing import Any

from platform_core.versioning import VersionCounter

ROLES = VersionCounter("identity:roles:version")
MAX_USERS = 10_000  # per process; past it the cache starts over

_lock = threading.Lock()
_names: dict[int, frozenset[str]] = {}
_version: list[int | None] = [None]


def group_names(user_id: int) -> frozenset[str]:
    """The names of every group the user belongs to."""
    if ROLES.bumped_in_transaction():
        # This transaction changed memberships: read its own view, keep nothing (it may
        # still roll back; others cache the committed rows under the bumped version).
        return _load(user_id)
    version = ROLES.current()
    with _lock:
        if _version[0] != version:
            _names.clear()
            _version[0] = version
        cached = _names.get(user_id)
    if cached is not None:
        return cached
    names = _load(user_id)
    with _lock:
        if _version[0] == version:
            if len(_names) >= MAX_USERS:
                _names.clear()
            _names[user_id] = names
    return names


def _load(user_id: int) -> frozenset[str]:
    from django.contrib.auth.models import Group

    return frozenset(Group.objects.filter(user__id=user_id).values_list("name", flat=True))


def forget() -> None:
    """Drop this process's answers (tests)."""
    with _lock:
        _names.clear()
        _version[0] = None


def _changed(sender: Any = None, action: str = "post_", **kwargs: Any) -> None:
    if action.startswith("post_"):  # m2m_changed: after the rows changed (also pre_*)
        ROLES.bump()


def connect() -> None:
    """Bump the version on every change that can change an answer (apps.ready)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models.signals import post_delete

    from platform_core.versioning import connect_writes

    User = get_user_model()
    connect_writes(_changed, [Group], through=[User.groups.through], uid="identity.roles")
    # A deleted user's memberships go with it (no m2m signal); SQLite may reuse its id.
    post_delete.connect(_changed, sender=User, dispatch_uid="identity.roles.user_delete")
