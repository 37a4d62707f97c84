"""A throw-away plugin that lives only under tests/ joins the whole system by configuration."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import clear_url_caches

from platform_core.beat import sync_periodic_tasks
from platform_core.plugins import (
    ModulePlugin,
    PeriodicTask,
    discover,
    get_plugins,
    installed_apps,
    load_plugin,
    user_model,
)
from studiozens.settings.celery_queues import celery_queues_and_routes

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = "tests.sample_plugin.plugin"


@pytest.fixture
def sample_enabled():
    modules = [*settings.STUDIOZENS_MODULES, SAMPLE]
    with override_settings(STUDIOZENS_MODULES=modules, ROOT_URLCONF="tests.sample_plugin.urls"):
        import tests.sample_plugin.urls as urls

        importlib.reload(urls)
        clear_url_caches()
        yield Client()
    clear_url_caches()


@pytest.mark.django_db
def test_sample_router_is_mounted_and_documented(sample_enabled) -> None:
    client = sample_enabled
    assert client.get("/api/sample/ping").json() == {"pong": True}
    schema = client.get("/api/openapi.json").json()
    assert "/api/sample/ping" in schema["paths"]
    index = client.get("/api/").json()
    assert {"name": "sample", "prefix": "/api/sample/", "description": "Módulo de prueba"} in index[
        "modules"
    ]


@pytest.mark.django_db
def test_sample_periodic_task_lands_in_beat(sample_enabled) -> None:
    from django_celery_beat.models import PeriodicTask as BeatTask

    first = sync_periodic_tasks()
    entry = BeatTask.objects.get(name="sample.tick")
    assert entry.task == "sample.tick"
    assert entry.queue == "sample"
    assert entry.interval.every == 300
    again = sync_periodic_tasks()
    assert again["created"] == 0 and again["updated"] == first["created"] + first["updated"]
    assert BeatTask.objects.filter(name="sample.tick").count() == 1


@pytest.mark.django_db
def test_beat_entries_of_a_removed_plugin_are_disabled(sample_enabled) -> None:
    from django_celery_beat.models import PeriodicTask as BeatTask

    sync_periodic_tasks()
    sync_periodic_tasks([p for p in get_plugins() if p.name != "sample"])
    assert BeatTask.objects.get(name="sample.tick").enabled is False


def test_sample_queue_is_routed(sample_enabled) -> None:
    queues, routes = celery_queues_and_routes(get_plugins())
    assert "sample" in {q.name for q in queues}
    assert routes["sample.*"] == {"queue": "sample"}
    assert {"celery", "payments", "appointments", "notifications", "bot"} <= {
        q.name for q in queues
    }


def test_enabling_by_environment_needs_no_code_change() -> None:
    """A fresh process configured only by STUDIOZENS_EXTRA_MODULES installs the app and
    routes its tasks: settings, Celery and the API derive from the registry."""
    code = (
        "import django, json; django.setup();"
        "from django.conf import settings; from studiozens.celery import app;"
        "from django.test import Client;"
        "print(json.dumps({'apps': settings.INSTALLED_APPS,"
        " 'routes': app.conf.task_routes,"
        " 'queues': [q.name for q in app.conf.task_queues],"
        " 'paths': list(Client().get('/api/openapi.json').json()['paths'])}))"
    )
    env = {
        **os.environ,
        "STUDIOZENS_EXTRA_MODULES": SAMPLE,
        "DJANGO_SETTINGS_MODULE": "studiozens.settings",
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert "tests.sample_plugin.apps.SamplePluginConfig" in data["apps"]
    assert data["routes"]["sample.*"] == {"queue": "sample"}
    assert "sample" in data["queues"]
    assert "/api/sample/ping" in data["paths"]


def test_registry_rules() -> None:
    plugin = load_plugin(SAMPLE)
    assert isinstance(plugin, ModulePlugin)
    with pytest.raises(TypeError):
        load_plugin("tests.sample_plugin.api:router")
    with pytest.raises(ValueError, match="exactly one"):
        PeriodicTask(name="x", task="x")
    twin = ModulePlugin(name="sample", app="other", label="other")
    with pytest.raises(ValueError, match="two plugins"):
        discover([SAMPLE], use_entry_points=False) and _discover_with(twin)
    owners = [ModulePlugin(name=n, app=n, label=n, user_model=f"{n}.User") for n in ("a", "b")]
    with pytest.raises(ValueError, match="more than one"):
        user_model(owners)
    assert user_model([]) == "auth.User"
    assert installed_apps([plugin, plugin]) == [plugin.app]


def _discover_with(extra: ModulePlugin) -> None:
    import tests.sample_plugin as pkg

    pkg.twin = extra  # type: ignore[attr-defined]
    try:
        discover([SAMPLE, "tests.sample_plugin:twin"], use_entry_points=False)
    finally:
        del pkg.twin  # type: ignore[attr-defined]


def test_entry_points_are_discovered(monkeypatch) -> None:
    class FakeEntryPoint:
        value = SAMPLE

    monkeypatch.setattr(
        "platform_core.plugins.entry_points",
        lambda group: [FakeEntryPoint()] if group == "studiozens.modules" else [],
    )
    names = [p.name for p in discover([], use_entry_points=True)]
    assert names == ["sample"]


# --- The whole module, in a fresh process and database (issue 16) ---------------------------
THROWAWAY_CHECK = """
import io, json, django
django.setup()
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from studiozens.celery import app
from modules.identity.staff import create_staff_account
from tests.sample_plugin.models import SampleNote

call_command("migrate", verbosity=0)
out = io.StringIO()
call_command("celery_queues", stdout=out)
reception = Group.objects.get(name="reception")
admin_role = Group.objects.get(name="admin")
user = create_staff_account(actor=None, phone_number="+573001110001", roles=["reception"])
client = Client()
client.force_login(user)
note = SampleNote.objects.create(text="hola")
print(json.dumps({
    "queues": out.getvalue().strip().split(","),
    "route": app.amqp.router.route({}, "sample.tick")["queue"].name,
    "ping": Client().get("/api/sample/ping").json(),
    "paths": list(Client().get("/api/openapi.json").json()["paths"]),
    "reception": sorted(p.codename for p in reception.permissions.filter(
        content_type__app_label="sample_plugin")),
    "admin": sorted(p.codename for p in admin_role.permissions.filter(
        content_type__app_label="sample_plugin")),
    "registered": admin.site.is_registered(SampleNote),
    "changelist": client.get("/admin/sample_plugin/samplenote/").status_code,
    "delete": client.get(f"/admin/sample_plugin/samplenote/{note.pk}/delete/").status_code,
    "index": "/admin/sample_plugin/samplenote/" in client.get("/admin/").content.decode(),
}))
"""


@pytest.mark.slow
def test_a_throwaway_module_joins_by_configuration_alone(tmp_path: Path) -> None:
    """tests/sample_plugin is a whole module (router, task queue, beat entry, model, admin,
    staff permissions) enabled by one setting, with no edit to any core file: a fresh
    process migrates a fresh database and finds every part in place."""
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "STUDIOZENS_EXTRA_MODULES": SAMPLE,
        "DJANGO_SETTINGS_MODULE": "studiozens.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'throwaway.sqlite3'}",
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
    }
    out = subprocess.run(
        [sys.executable, "-c", THROWAWAY_CHECK],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert "sample" in data["queues"] and data["route"] == "sample"
    assert data["ping"] == {"pong": True} and "/api/sample/ping" in data["paths"]
    assert data["reception"] == ["add_samplenote", "view_samplenote"]
    assert data["admin"] == [
        "add_samplenote",
        "change_samplenote",
        "delete_samplenote",
        "view_samplenote",
    ]
    assert data["registered"] and data["index"]
    # Reception sees the module's admin and may not do what the plugin did not grant.
    assert data["changelist"] == 200 and data["delete"] == 403
