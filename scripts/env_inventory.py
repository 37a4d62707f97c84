"""Inventory of environment variables: what the code reads vs what the templates and the
Render blueprint declare. The tests in tests/ops/ use it; operators run it after adding a
setting to see exactly which file needs a line.

    uv run python scripts/env_inventory.py            # report drift, exit 1 if any

How the lists are derived (mechanically, nothing hand-maintained):
- settings variables: every ``env.str/int/bool/float/list("NAME", ...)`` call (and any
  ``os.environ``/``os.getenv`` read) in ``src/studiozens/settings/*.py``, found with ``ast``;
- runtime variables: ``os.environ``/``os.getenv`` reads in ``gunicorn.conf.py`` and in the
  management commands (e.g. ``ADMIN_PHONE`` for ``create_admin``);
- variables production requires: the probe loads the production settings once with a
  complete environment and once more without each variable in turn; a variable whose
  absence stops the settings (``ImproperlyConfiguredEnv``) is required.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_DIR = ROOT / "src" / "studiozens" / "settings"
TEMPLATES = {
    "production": ROOT / ".env.production.template",
    "example": ROOT / ".env.example",
}
RENDER_YAML = ROOT / "render.yaml"
ENV_METHODS = frozenset({"str", "int", "bool", "float", "list"})
# Read by the platform (Render) or the build, not by our Python code.
PLATFORM_VARS = frozenset({"PORT", "PYTHON_VERSION"})
# Set by the test runner in its own processes (pytest-xdist's worker id, read only under
# DJANGO_ENV=test to keep parallel workers' Redis keys apart): never deployed, in no template.
TEST_RUNNER_VARS = frozenset({"PYTEST_XDIST_WORKER"})
# Services that never load the Django settings (so need none of their variables): the backup
# cron runs scripts/offsite_backup.py alone.
NON_DJANGO_SERVICES = frozenset({"studiozens-db-backup"})
_TEMPLATE_LINE = re.compile(r"^\s*(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


@dataclass(frozen=True)
class EnvRead:
    name: str
    kind: str  # str/int/bool/float/list or "os.environ"
    where: str  # path:line


@dataclass(frozen=True)
class TemplateVar:
    name: str
    value: str
    active: bool  # False for a commented-out "# NAME=value" line (documented, optional)
    line: int


def _literal_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def scan_env_reads(
    paths: Iterable[Path], *, env_names: tuple[str, ...] = ("env",)
) -> list[EnvRead]:
    """Every environment read with a literal name in the given Python files.

    A read whose name is not a literal (``env.str(name)``) is reported with the name
    ``"<dynamic>"`` so a test can refuse it: such a variable would escape the templates.
    """
    reads: list[EnvRead] = []
    for path in paths:
        tree = ast.parse(path.read_text(), filename=str(path))
        rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        for node in ast.walk(tree):
            name: str | None = None
            kind = ""
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                func = node.func
                target = func.value
                if (
                    func.attr in ENV_METHODS
                    and isinstance(target, ast.Name)
                    and target.id in env_names
                ):
                    kind = func.attr
                elif (func.attr == "get" and _is_os_environ(target)) or (
                    func.attr == "getenv" and isinstance(target, ast.Name) and target.id == "os"
                ):
                    kind = "os.environ"
                if kind:
                    name = _literal_name(node.args[0]) if node.args else None
                    name = name or "<dynamic>"
            elif isinstance(node, ast.Subscript) and _is_os_environ(node.value):
                kind = "os.environ"
                name = _literal_name(node.slice) or "<dynamic>"
            if kind and name:
                reads.append(EnvRead(name=name, kind=kind, where=f"{rel}:{node.lineno}"))
    return reads


def settings_files(settings_dir: Path = SETTINGS_DIR) -> list[Path]:
    return sorted(settings_dir.glob("*.py"))


def runtime_files(root: Path = ROOT) -> list[Path]:
    files = [root / "gunicorn.conf.py"]
    files += sorted((root / "src").glob("**/management/commands/*.py"))
    return [f for f in files if f.exists()]


def settings_variables(settings_dir: Path = SETTINGS_DIR) -> dict[str, EnvRead]:
    """NAME -> first read, for every variable the settings package reads."""
    found: dict[str, EnvRead] = {}
    for read in scan_env_reads(settings_files(settings_dir)):
        if read.name not in TEST_RUNNER_VARS:
            found.setdefault(read.name, read)
    return found


def runtime_variables(root: Path = ROOT) -> dict[str, EnvRead]:
    found: dict[str, EnvRead] = {}
    for read in scan_env_reads(runtime_files(root)):
        if read.name != "DJANGO_SETTINGS_MODULE":
            found.setdefault(read.name, read)
    return found


def script_variables(root: Path = ROOT) -> set[str]:
    """Variables of the standalone scripts services run (the backup cron): their ENVIRONMENT."""
    found: set[str] = set()
    for path in (root / "scripts" / "offsite_backup.py",):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == [
                "ENVIRONMENT"
            ]:
                found |= set(ast.literal_eval(node.value))
    return found


def known_variables(settings_dir: Path = SETTINGS_DIR, root: Path = ROOT) -> set[str]:
    return (
        set(settings_variables(settings_dir))
        | set(runtime_variables(root))
        | set(PLATFORM_VARS)
        | script_variables(root)
    )


def parse_template(text: str) -> dict[str, TemplateVar]:
    """``NAME=value`` lines are active; ``# NAME=value`` lines document an optional variable."""
    out: dict[str, TemplateVar] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        match = _TEMPLATE_LINE.match(raw)
        if not match:
            continue
        commented, name, value = match.groups()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        previous = out.get(name)
        if previous is None or (not previous.active and not commented):
            out[name] = TemplateVar(name, value, active=not commented, line=number)
    return out


def template_drift(
    template: Mapping[str, TemplateVar],
    settings_vars: Iterable[str],
    known: Iterable[str],
) -> dict[str, list[str]]:
    """``missing``: read by the settings but absent from the template;
    ``unknown``: in the template but read by nothing."""
    names = set(template)
    settings_set = set(settings_vars) - {"<dynamic>"}
    return {
        "missing": sorted(settings_set - names),
        "unknown": sorted(names - set(known)),
    }


def active_values(template: Mapping[str, TemplateVar]) -> dict[str, str]:
    return {name: var.value for name, var in template.items() if var.active}


# --- Render blueprint ----------------------------------------------------------------


def load_blueprint(path: Path = RENDER_YAML) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(path.read_text())


def blueprint_env(doc: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """service name -> {KEY: declaration}, with ``fromGroup`` expanded (service wins)."""
    groups = {
        group["name"]: {var["key"]: var for var in group.get("envVars", [])}
        for group in doc.get("envVarGroups", []) or []
    }
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for service in doc.get("services", []) or []:
        if service.get("type") == "keyvalue":
            continue
        env: dict[str, dict[str, Any]] = {}
        for var in service.get("envVars", []) or []:
            if "fromGroup" in var:
                for key, decl in groups.get(var["fromGroup"], {}).items():
                    env.setdefault(key, decl)
            else:
                env[var["key"]] = var
        out[service["name"]] = env
    return out


def blueprint_problems(
    doc: Mapping[str, Any], required: Iterable[str], known: Iterable[str]
) -> list[str]:
    """Variables a service lacks (required by production) or declares in vain (unknown)."""
    problems: list[str] = []
    required_set, known_set = set(required), set(known)
    for service, env in blueprint_env(doc).items():
        needs = set() if service in NON_DJANGO_SERVICES else required_set
        missing = sorted(needs - set(env))
        unknown = sorted(set(env) - known_set)
        if missing:
            problems.append(f"service {service}: missing required {', '.join(missing)}")
        if unknown:
            problems.append(f"service {service}: unknown {', '.join(unknown)}")
    return problems


# --- Which variables production cannot start without ---------------------------------------


def settings_load_error(environ: Mapping[str, str]) -> str | None:
    """Execute the settings package's source with exactly ``environ``; the error or None.

    Must run in a throw-away process (it replaces os.environ): use :func:`probe`.
    """
    path = SETTINGS_DIR / "__init__.py"
    code = compile(path.read_text(), str(path), "exec")
    os.environ.clear()
    os.environ.update(environ)
    namespace = {
        "__name__": "studiozens.settings._probe",
        "__package__": "studiozens.settings",
        "__file__": str(path),
    }
    try:
        exec(code, namespace)
    except SystemExit as exc:  # ImproperlyConfiguredEnv
        return str(exc.code if exc.code is not None else exc)
    except Exception as exc:  # noqa: BLE001 - any failure means the variable is load-bearing
        return f"{exc.__class__.__name__}: {exc}"
    return None


def _probe_main() -> None:
    request = json.load(sys.stdin)
    base: dict[str, str] = request["environ"]
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.update(base)
    result: dict[str, Any] = {"base_error": settings_load_error(base), "required": {}}
    result["others"] = [settings_load_error(other) for other in request.get("others", [])]
    if result["base_error"] is None:
        for name in request["candidates"]:
            if name in base:
                error = settings_load_error({k: v for k, v in base.items() if k != name})
                if error is not None:
                    result["required"][name] = error
    json.dump(result, sys.stdout)


def probe(
    environ: Mapping[str, str],
    candidates: Iterable[str] | None = None,
    others: Iterable[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """Load the settings with ``environ`` in a subprocess, then without each candidate,
    then with each of ``others`` (one process for all, to keep tests fast).

    Returns ``{"base_error": str|None, "required": {NAME: error}, "others": [error|None]}``.
    """
    env = dict(environ)
    names = sorted(set(candidates) if candidates is not None else set(env))
    child_env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    proc = subprocess.run(
        [sys.executable, __file__, "--probe"],
        input=json.dumps(
            {"environ": env, "candidates": names, "others": [dict(o) for o in others]}
        ),
        capture_output=True,
        text=True,
        env=child_env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"settings probe crashed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def filled_production_env(template_path: Path = TEMPLATES["production"]) -> dict[str, str]:
    """The production template's active values, placeholders replaced as an operator would:
    SECRET_KEY/JWT_SIGNING_KEY/FERNET_KEY from the secrets script, every other placeholder
    marker by a random token of the same shape (``pub_prod_CAMBIAR`` -> ``pub_prod_9f..``)."""
    import secrets as _secrets

    sys.path.insert(0, str(ROOT / "scripts"))
    from generate_production_secrets import generate

    values = active_values(parse_template(template_path.read_text()))
    generated = generate()
    filled: dict[str, str] = {}
    for name, value in values.items():
        if name in generated:
            filled[name] = generated[name]
        elif "CAMBIAR" in value:
            filled[name] = value.replace("CAMBIAR", _secrets.token_hex(16))
        else:
            filled[name] = value
    return filled


def report() -> int:
    settings_vars = settings_variables()
    known = known_variables()
    problems = 0
    dynamic = [r.where for r in scan_env_reads(settings_files()) if r.name == "<dynamic>"]
    if dynamic:
        problems += 1
        print(f"settings read variables with non-literal names at: {', '.join(dynamic)}")
    for path in TEMPLATES.values():
        drift = template_drift(parse_template(path.read_text()), settings_vars, known)
        for kind, names in drift.items():
            if names:
                problems += 1
                print(f"{path.name}: {kind}: {', '.join(names)}")
    result = probe(filled_production_env(), settings_vars)
    if result["base_error"]:
        problems += 1
        print(f".env.production.template (filled) does not load: {result['base_error']}")
    for problem in blueprint_problems(load_blueprint(), result["required"], known):
        problems += 1
        print(f"render.yaml: {problem}")
    print(
        f"{len(settings_vars)} settings variables, {len(result['required'])} required in "
        f"production: {', '.join(sorted(result['required']))}"
    )
    print("OK" if not problems else f"{problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    if "--probe" in sys.argv[1:]:
        _probe_main()
    else:
        import argparse

        argparse.ArgumentParser(
            description="Report drift between the variables the code reads and "
            ".env.example, .env.production.template and render.yaml (exit 1 if any)."
        ).parse_args()
        sys.exit(report())
