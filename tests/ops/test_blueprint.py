"""render.yaml brings up the whole system: every service gets every variable production
requires, the wiring points at declared resources, and Render's rules are respected."""

from __future__ import annotations

import base64
import copy
import os
import secrets
import shlex
from typing import Any

import pytest

from tests.ops.conftest import ROOT

APP_SERVICES = ("studiozens-api", "studiozens-worker", "studiozens-beat")


@pytest.fixture(scope="module")
def doc(inventory) -> dict[str, Any]:
    return inventory.load_blueprint()


def _services(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in doc["services"]}


def resolve(decl: dict[str, Any], operator_values: dict[str, str]) -> str:
    """What Render would put in the variable (fake but correctly shaped values)."""
    if "value" in decl:
        return str(decl["value"])
    if decl.get("generateValue"):
        # Render: "a random base64-encoded 256-bit value".
        return base64.b64encode(secrets.token_bytes(32)).decode()
    if "fromDatabase" in decl:
        return "postgres://studiozens:pw@dpg-d0example-a:5432/studiozens"
    if "fromService" in decl:
        return "redis://red-d0example:6379"
    if decl.get("sync") is False:
        return operator_values.get(decl["key"]) or secrets.token_urlsafe(32)
    raise AssertionError(f"{decl['key']}: no value source")


def resolved_env(inventory, doc, service: str, operator_values: dict[str, str]) -> dict[str, str]:
    env = inventory.blueprint_env(doc)[service]
    return {key: resolve(decl, operator_values) for key, decl in env.items()}


def test_every_service_declares_what_production_requires(inventory, doc, production_probe) -> None:
    required = set(production_probe["required"])
    assert {"SECRET_KEY", "JWT_SIGNING_KEY", "FERNET_KEY", "DATABASE_URL", "REDIS_URL"} <= required
    problems = inventory.blueprint_problems(doc, required, inventory.known_variables())
    assert problems == []


def test_blueprint_env_starts_production_settings(inventory, doc, filled_env) -> None:
    names = [*APP_SERVICES, "studiozens-worker-check"]
    envs = [resolved_env(inventory, doc, name, filled_env) for name in names]
    assert all(env["DJANGO_ENV"] == "production" for env in envs)
    result = inventory.probe(envs[0], [], others=envs[1:])
    errors = dict(zip(names, [result["base_error"], *result["others"]], strict=True))
    assert errors == dict.fromkeys(names)


def test_removing_a_required_variable_from_the_blueprint_is_detected(
    inventory, doc, filled_env, production_probe
) -> None:
    broken = copy.deepcopy(doc)
    worker = next(s for s in broken["services"] if s["name"] == "studiozens-worker")
    worker["envVars"] = [v for v in worker["envVars"] if v.get("key") != "WOMPI_EVENT_SECRET"]
    group = broken["envVarGroups"][0]
    group["envVars"] = [v for v in group["envVars"] if v["key"] != "JWT_SIGNING_KEY"]

    problems = inventory.blueprint_problems(
        broken, production_probe["required"], inventory.known_variables()
    )
    assert "service studiozens-worker: missing required JWT_SIGNING_KEY, WOMPI_EVENT_SECRET" in (
        problems
    )
    assert "service studiozens-api: missing required JWT_SIGNING_KEY" in problems
    # ...and the settings themselves refuse to start with what is left.
    result = inventory.probe(resolved_env(inventory, broken, "studiozens-worker", filled_env), [])
    assert "JWT_SIGNING_KEY" in (result["base_error"] or "")


def test_a_generated_secret_key_would_be_refused(inventory, doc, filled_env) -> None:
    """Why SECRET_KEY is sync: false: a generated value (44 characters) is under the 50
    characters Django's deploy check and our settings demand."""
    env = resolved_env(inventory, doc, "studiozens-api", filled_env)
    env["SECRET_KEY"] = resolve({"key": "SECRET_KEY", "generateValue": True}, {})
    result = inventory.probe(env, [])
    assert "SECRET_KEY is too short" in (result["base_error"] or "")


def test_unknown_variables_in_the_blueprint_are_detected(inventory, doc) -> None:
    broken = copy.deepcopy(doc)
    broken["envVarGroups"][0]["envVars"].append({"key": "SENTRY_DNS", "value": "typo"})
    problems = inventory.blueprint_problems(broken, [], inventory.known_variables())
    assert "service studiozens-beat: unknown SENTRY_DNS" in problems


def test_render_rules_for_env_groups_and_secrets(doc) -> None:
    for group in doc["envVarGroups"]:
        for var in group["envVars"]:
            assert not {"fromDatabase", "fromService"} & set(var), var["key"]
            assert var.get("sync") is not False, f"{var['key']}: sync: false is not allowed here"
    group_keys = {v["key"]: v for v in doc["envVarGroups"][0]["envVars"]}
    assert group_keys["JWT_SIGNING_KEY"].get("generateValue") is True
    for name in APP_SERVICES:
        env = {v.get("key"): v for v in _services(doc)[name]["envVars"]}
        assert env["FERNET_KEY"] == {"key": "FERNET_KEY", "sync": False}
        assert env["SECRET_KEY"] == {"key": "SECRET_KEY", "sync": False}
        assert {"fromGroup": "studiozens-shared"} in _services(doc)[name]["envVars"]


def test_wiring_points_at_declared_resources(doc) -> None:
    databases = {d["name"] for d in doc["databases"]}
    services = _services(doc)
    for service in doc["services"]:
        for var in service.get("envVars", []):
            if "fromDatabase" in var:
                assert var["fromDatabase"]["name"] in databases
                assert var["fromDatabase"]["property"] == "connectionString"
            if "fromService" in var:
                target = services[var["fromService"]["name"]]
                assert target["type"] == var["fromService"]["type"] == "keyvalue"
                assert var["fromService"]["property"] == "connectionString"


def test_all_resources_share_one_region(doc) -> None:
    regions = {s.get("region") for s in doc["services"]} | {
        d.get("region") for d in doc["databases"]
    }
    assert len(regions) == 1 and None not in regions


def test_key_value_is_private_and_never_evicts(doc) -> None:
    kv = [s for s in doc["services"] if s["type"] == "keyvalue"]
    assert len(kv) == 1
    assert kv[0]["ipAllowList"] == []
    assert kv[0]["maxmemoryPolicy"] == "noeviction"
    assert "runtime" not in kv[0]


def test_web_service(doc) -> None:
    web = _services(doc)["studiozens-api"]
    assert web["type"] == "web" and web["runtime"] == "python"
    assert web["healthCheckPath"] == "/api/core/health/"
    assert "uv sync --frozen --no-dev" in web["buildCommand"]
    assert "collectstatic --noinput" in web["buildCommand"]
    argv = shlex.split(web["startCommand"])
    assert argv[0].endswith("gunicorn")
    assert argv[argv.index("-c") + 1] == "gunicorn.conf.py"
    assert argv[-1] == "studiozens.asgi:application"
    assert (ROOT / "gunicorn.conf.py").exists()


def test_pre_deploy_is_a_script_not_a_shell_line(doc) -> None:
    command = _services(doc)["studiozens-api"]["preDeployCommand"]
    assert not set("&|;><$") & set(command), "preDeployCommand is not run through a shell"
    script = ROOT / command
    assert script.exists() and os.access(script, os.X_OK)
    body = script.read_text()
    assert "manage.py migrate --noinput" in body and "manage.py sync_periodic_tasks" in body
    assert "set -euo pipefail" in body


def test_beat_is_a_single_database_scheduler(doc) -> None:
    beat = _services(doc)["studiozens-beat"]
    assert beat["type"] == "worker" and beat["numInstances"] == 1
    argv = shlex.split(beat["startCommand"])
    assert "beat" in argv
    assert argv[argv.index("--scheduler") + 1] == "django_celery_beat.schedulers:DatabaseScheduler"


def test_worker_liveness_cron(doc) -> None:
    cron = _services(doc)["studiozens-worker-check"]
    assert cron["type"] == "cron" and cron["schedule"]
    script = ROOT / cron["startCommand"]
    assert os.access(script, os.X_OK) and "celery_ping" in script.read_text()


def test_database(doc) -> None:
    (db,) = doc["databases"]
    assert isinstance(db["postgresMajorVersion"], str)
    assert db["plan"] and db["databaseName"] == "studiozens"


def test_gunicorn_runs_uvicorn_workers_without_the_lifespan_protocol() -> None:
    """Django does not speak ASGI lifespan: with it on, every worker start logs an error
    (and Sentry records it) each time gunicorn recycles a worker."""
    import runpy

    from gunicorn.util import load_class
    from uvicorn_worker import UvicornWorker

    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    worker = load_class(config["worker_class"])
    assert issubclass(worker, UvicornWorker)
    assert worker.CONFIG_KWARGS["lifespan"] == "off"
