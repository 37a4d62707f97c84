"""Staff endpoints, roles as groups, and the Django admin (search, filters, actions)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from modules.identity.staff import sync_role_permissions
from platform_core.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def admin_user(db):
    return UserFactory(roles=["admin"], is_staff=True)


@pytest.fixture
def reception(db):
    return UserFactory(roles=["reception"], is_staff=True)


def test_roles_exist_with_permissions():
    sync_role_permissions()
    groups = {g.name: g for g in Group.objects.prefetch_related("permissions")}
    assert {"client", "therapist", "reception", "admin"} <= set(groups)
    admin_perms = {p.codename for p in groups["admin"].permissions.all()}
    assert {"change_user", "erase_personal_data", "manage_roles"} <= admin_perms
    reception_perms = {p.codename for p in groups["reception"].permissions.all()}
    assert (
        "export_personal_data" in reception_perms and "erase_personal_data" not in reception_perms
    )
    assert not groups["client"].permissions.exists()


def test_admin_creates_staff_and_assigns_roles(client_as, admin_user, client):
    api = client_as(admin_user)
    r = api.post(
        "/api/users/staff/",
        {
            "phone_number": "3105550001",
            "roles": ["therapist"],
            "first_name": "Teo",
            "password": "Masajes-2026!",
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["roles"] == ["therapist"] and body["phone_number"] == "+573105550001"
    staff = User.objects.get(public_id=body["id"])
    assert staff.is_active and staff.is_staff
    assert AuditEvent.objects.filter(
        action="staff.created", target=f"user:{staff.public_id}"
    ).exists()
    assert (
        client.post(
            "/api/users/token/", {"phone_number": "+573105550001", "password": "Masajes-2026!"}
        ).status_code
        == 200
    )

    dup = api.post("/api/users/staff/", {"phone_number": "+573105550001", "roles": ["therapist"]})
    assert dup.status_code == 409
    bad = api.post("/api/users/staff/", {"phone_number": "+573105550002", "roles": ["client"]})
    assert bad.status_code == 422

    r = api.put(f"/api/users/{staff.public_id}/roles", {"roles": ["reception", "therapist"]})
    assert r.status_code == 200 and r.json()["roles"] == ["reception", "therapist"]
    event = AuditEvent.objects.filter(
        action="roles.changed", target=f"user:{staff.public_id}"
    ).latest("id")
    assert event.details == {"before": ["therapist"], "after": ["reception", "therapist"]}
    r = api.put(f"/api/users/{staff.public_id}/roles", {"roles": ["client"]})
    staff.refresh_from_db()
    assert not staff.is_staff


def test_staff_without_password_gets_unusable_one(client_as, admin_user):
    r = client_as(admin_user).post(
        "/api/users/staff/", {"phone_number": "+573105550003", "roles": ["reception"]}
    )
    assert r.status_code == 201
    assert not User.objects.get(phone_number="+573105550003").has_usable_password()


def test_admin_cannot_demote_self(client_as, admin_user):
    r = client_as(admin_user).put(
        f"/api/users/{admin_user.public_id}/roles", {"roles": ["reception"]}
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "self_demotion"


def test_reception_can_search_but_not_create_staff(client_as, reception, user):
    api = client_as(reception)
    assert (
        api.post(
            "/api/users/staff/", {"phone_number": "+573105550004", "roles": ["therapist"]}
        ).status_code
        == 403
    )
    assert api.put(f"/api/users/{user.public_id}/roles", {"roles": ["admin"]}).status_code == 403
    assert api.get(f"/api/users/{user.public_id}").json()["id"] == str(user.public_id)
    user.vip_until = timezone.now() + timedelta(days=3)
    user.first_name = "Valentina"
    user.save()
    user.groups.add(Group.objects.get_or_create(name="client")[0])
    page = api.get("/api/users/", {"q": "valentina"}).json()
    assert page["count"] == 1 and page["items"][0]["is_vip"] is True
    assert api.get("/api/users/", {"q": user.phone_number[-7:]}).json()["count"] == 1
    assert api.get("/api/users/", {"role": "client", "vip": "true"}).json()["count"] == 1
    non_vip = api.get("/api/users/", {"vip": "false"}).json()
    assert str(user.public_id) not in {u["id"] for u in non_vip["items"]}
    assert api.get("/api/users/", {"role": "nope"}).status_code == 422
    assert api.get(f"/api/users/{User().public_id}").status_code == 404


# --- Django admin ---------------------------------------------------------------------------


@pytest.fixture
def admin_site(db):
    sync_role_permissions()
    superuser = UserFactory(is_staff=True, is_superuser=True)
    web = Client()
    web.force_login(superuser)
    web.superuser = superuser
    return web


def test_admin_changelist_search_and_filters(admin_site, user):
    user.vip_until = timezone.now() + timedelta(days=1)
    user.save()
    for query in (
        "",
        f"?q={user.phone_number[-7:]}",
        "?role=client",
        "?vip=active",
        "?vip=expired",
        "?vip=never",
    ):
        r = admin_site.get(f"/admin/identity/user/{query}")
        assert r.status_code == 200, query
    r = admin_site.get(f"/admin/identity/user/?q={user.phone_number[-7:]}")
    assert user.phone_number in r.content.decode()
    assert admin_site.get(f"/admin/identity/user/{user.pk}/change/").status_code == 200
    assert admin_site.get("/admin/identity/user/add/").status_code == 200
    assert admin_site.get("/admin/identity/localverification/").status_code == 200


def test_admin_add_user_and_role_change_is_audited(admin_site):
    r = admin_site.post(
        "/admin/identity/user/add/",
        {"phone_number": "310 555 0009", "first_name": "Rosa", "usable_password": "false"},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    created = User.objects.get(phone_number="+573105550009")
    reception = Group.objects.get(name="reception")
    data = {
        "phone_number": created.phone_number,
        "first_name": "Rosa",
        "last_name": "",
        "email": "",
        "language": "es-co",
        "notification_channel": "whatsapp",
        "notification_opt_outs": "[]",
        "is_active": "on",
        "is_staff": "on",
        "groups": [str(reception.pk)],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
    }
    r = admin_site.post(f"/admin/identity/user/{created.pk}/change/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    event = AuditEvent.objects.get(action="roles.changed", target=f"user:{created.public_id}")
    assert event.details["after"] == ["reception"] and event.details["via"] == "admin"


def test_admin_export_action(admin_site, user):
    r = admin_site.post(
        "/admin/identity/user/", {"action": "export_personal_data", "_selected_action": [user.pk]}
    )
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment;")
    doc = json.loads(r.content)
    assert doc["modules"]["identity"]["phone_number"] == user.phone_number
    both = admin_site.post(
        "/admin/identity/user/",
        {"action": "export_personal_data", "_selected_action": [user.pk, admin_site.superuser.pk]},
    )
    assert len(json.loads(both.content)["exports"]) == 2


def test_admin_erase_action_confirms_then_erases(admin_site, user):
    phone = user.phone_number
    r = admin_site.post(
        "/admin/identity/user/", {"action": "erase_personal_data", "_selected_action": [user.pk]}
    )
    assert r.status_code == 200 and phone in r.content.decode()
    user.refresh_from_db()
    assert user.erased_at is None
    r = admin_site.post(
        "/admin/identity/user/",
        {"action": "erase_personal_data", "_selected_action": [user.pk], "confirm": "yes"},
    )
    assert r.status_code == 302
    user.refresh_from_db()
    assert user.erased_at is not None and user.phone_number != phone
    assert AuditEvent.objects.filter(
        action="personal_data.erased", actor=admin_site.superuser
    ).exists()


def test_admin_erase_refuses_superusers(admin_site):
    r = admin_site.post(
        "/admin/identity/user/",
        {
            "action": "erase_personal_data",
            "_selected_action": [admin_site.superuser.pk],
            "confirm": "yes",
        },
    )
    assert r.status_code == 302
    admin_site.superuser.refresh_from_db()
    assert admin_site.superuser.erased_at is None


def _change_form(user, **extra):
    data = {
        "phone_number": user.phone_number,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email or "",
        "language": "es-co",
        "notification_channel": "whatsapp",
        "notification_opt_outs": "[]",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
    }
    return data | extra


@pytest.fixture
def reception_site(reception):
    sync_role_permissions()
    web = Client()
    web.force_login(reception)
    return web


def test_reception_cannot_make_itself_superuser_or_grant_roles(reception_site, reception):
    admin_group = Group.objects.get(name="admin")
    r = reception_site.post(
        f"/admin/identity/user/{reception.pk}/change/",
        _change_form(
            reception, first_name="Recepción", is_superuser="on", groups=[str(admin_group.pk)]
        ),
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    reception.refresh_from_db()
    assert reception.first_name == "Recepción"  # ordinary details still editable
    assert not reception.is_superuser
    assert sorted(reception.groups.values_list("name", flat=True)) == ["reception"]


def test_reception_edits_clients_but_not_staff_or_their_passwords(reception_site, admin_user, user):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    for target in (admin_user, superuser):
        before = User.objects.get(pk=target.pk).password
        r = reception_site.post(
            f"/admin/identity/user/{target.pk}/password/",
            {"password1": "Otra-Clave-2026!", "password2": "Otra-Clave-2026!"},
        )
        assert r.status_code == 403
        assert User.objects.get(pk=target.pk).password == before
        r = reception_site.post(
            f"/admin/identity/user/{target.pk}/change/", _change_form(target, first_name="X")
        )
        assert r.status_code == 403
    r = reception_site.post(
        f"/admin/identity/user/{user.pk}/change/", _change_form(user, first_name="Lucía")
    )
    assert r.status_code == 302
    user.refresh_from_db()
    assert user.first_name == "Lucía" and not user.is_staff


def test_vip_until_is_read_only_and_flag_changes_are_audited(admin_site, user):
    r = admin_site.post(
        f"/admin/identity/user/{user.pk}/change/",
        _change_form(user, is_active="", vip_until_0="2030-01-01", vip_until_1="10:00:00"),
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    user.refresh_from_db()
    assert user.vip_until is None and not user.is_active
    event = AuditEvent.objects.get(action="account.flags_changed", target=f"user:{user.public_id}")
    assert event.details == {"is_active": False, "via": "admin"}
