"""Staff roles get their permissions from the plugins: each module declares what reception,
therapist and admin may do in it; identity only knows the role names and grants the union."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from modules.identity.roles import ALL_ROLES, STAFF_ROLES
from modules.identity.staff import _matches, role_permission_patterns, sync_role_permissions
from platform_core.plugins import get_plugins

# identity/roles.py's table before the plugins declared their own (issue 16): the effective
# permissions of every role in these apps must not change.
LEGACY_ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "client": (),
    "therapist": ("booking.view_*",),
    "reception": (
        "booking.view_*",
        "booking.add_*",
        "booking.change_*",
        "shop.view_*",
        "shop.change_*",
        "payments.view_*",
        "identity.view_user",
        "identity.change_user",
        "identity.export_personal_data",
        "assistant.view_handoffconversation",
        "assistant.change_handoffconversation",
    ),
    "admin": (
        "identity.*",
        "booking.*",
        "shop.*",
        "payments.*",
        "assistant.*",
        "platform_core.*",
        "auth.view_group",
        "django_celery_beat.*",
        "token_blacklist.*",
    ),
}
LEGACY_APPS = {p.split(".")[0] for patterns in LEGACY_ROLE_PERMISSIONS.values() for p in patterns}


def _codes(permissions) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in permissions}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES)
def test_each_role_keeps_exactly_its_former_permissions(role: str) -> None:
    Group.objects.filter(name=role).delete()  # start from nothing, not from the migrate sync
    sync_role_permissions()
    known = Permission.objects.select_related("content_type").filter(
        content_type__app_label__in=LEGACY_APPS
    )
    before = _codes(p for p in known if _matches(p, LEGACY_ROLE_PERMISSIONS[role]))
    granted = Group.objects.get(name=role).permissions.select_related("content_type")
    after = _codes(p for p in granted if p.content_type.app_label in LEGACY_APPS)
    assert after == before
    if role != "client":
        assert after, f"{role} has no permission at all"


@pytest.mark.django_db
def test_sync_is_idempotent() -> None:
    sync_role_permissions()
    counts = {g.name: g.permissions.count() for g in Group.objects.filter(name__in=ALL_ROLES)}
    sync_role_permissions()
    again = {g.name: g.permissions.count() for g in Group.objects.filter(name__in=ALL_ROLES)}
    assert again == counts and set(counts) == set(ALL_ROLES)


def test_every_role_is_present_and_only_staff_roles_get_permissions() -> None:
    patterns = role_permission_patterns()
    assert set(patterns) == set(ALL_ROLES)
    assert patterns["client"] == ()
    assert all(patterns[role] for role in STAFF_ROLES)


def test_a_plugin_naming_an_unknown_role_is_refused() -> None:
    from tests.modules.identity import fake_plugin

    modules = ["tests.modules.identity.fake_plugin:wrong_role_plugin"]
    fake_plugin.wrong_role_plugin = fake_plugin.ModulePlugin(
        name="wrong_role", app="x", label="wrong_role", role_permissions={"cashier": ("x.*",)}
    )
    try:
        with (
            override_settings(STUDIOZENS_MODULES=modules, STUDIOZENS_ENTRY_POINTS=False),
            pytest.raises(ImproperlyConfigured, match="cashier"),
        ):
            role_permission_patterns()
    finally:
        del fake_plugin.wrong_role_plugin


def test_a_module_grants_permissions_only_in_its_own_apps() -> None:
    """A plugin names its own app label or a third-party app's, never another module's:
    what reception may do in the shop is the shop's decision."""
    plugins = get_plugins()
    module_labels = {p.label for p in plugins}
    for plugin in plugins:
        for role, patterns in plugin.role_permissions.items():
            for pattern in patterns:
                label = pattern.partition(".")[0]
                assert apps.is_installed(apps.get_app_config(label).name), pattern
                if label in module_labels:
                    assert label == plugin.label, f"{plugin.name} grants {role} {pattern}"
