"""Staff roles in membership: what reception and admin had on these models when they were
payments' (the plugin's role_permissions)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


def _codes(role: str) -> set[str]:
    perms = Group.objects.get(name=role).permissions.filter(content_type__app_label="membership")
    return set(perms.values_list("codename", flat=True))


def test_reception_sees_memberships_and_admin_runs_them(staff_role_permissions: Any) -> None:
    assert _codes("reception") == {
        "view_vipplan",
        "view_vipsubscription",
        "view_vipcharge",
        "view_vipchargeattempt",
        "view_vipmonthpurchase",
    }
    assert {"add_vipplan", "change_vipplan", "view_vipsubscription"} <= _codes("admin")
    assert not _codes("therapist")
