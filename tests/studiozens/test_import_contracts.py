"""import-linter keeps the layers: a module reaching into another's internals fails."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = shutil.which("lint-imports") or str(Path(os.sys.executable).parent / "lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [LINT_IMPORTS, "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.slow
def test_booking_importing_shop_models_breaks_the_contract(tree_copy: Path) -> None:
    assert _lint(tree_copy).returncode == 0
    shop_models = tree_copy / "src/modules/shop/models.py"
    if not shop_models.exists():
        shop_models.write_text("PRODUCTS = []\n")
    (tree_copy / "src/modules/booking/leak.py").write_text("from modules.shop import models\n")
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert "modules.booking.leak -> modules.shop.models" in result.stdout


@pytest.mark.slow
def test_platform_core_importing_a_module_breaks_the_layers(tree_copy: Path) -> None:
    (tree_copy / "src/platform_core/leak.py").write_text("import modules.identity.public\n")
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert "platform_core.leak -> modules.identity.public" in result.stdout


@pytest.mark.slow
def test_public_face_is_allowed(tree_copy: Path) -> None:
    (tree_copy / "src/modules/booking/uses_identity.py").write_text(
        "from modules.identity.public import has_role\n"
    )
    assert _lint(tree_copy).returncode == 0


# --- Direction between modules (issue 16) --------------------------------------------------------
def _contracts() -> list[dict]:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["contracts"]


def test_every_module_folder_is_covered_by_the_module_contracts() -> None:
    """Every folder under src/modules/ is held to the rules with no edit of pyproject.toml
    for a new one: the independence and no-cycle contracts name ``modules.*``; a folder is
    either a core module (placed in the layers, and listed as core in the plugin contract)
    or a plugin, which the plugin contract keeps above the core."""
    contracts = _contracts()
    layers = next(c for c in contracts if c["name"].startswith("Module layers"))
    layered = {m.strip() for layer in layers["layers"] for m in layer.split("|")}
    plugins_above = next(c for c in contracts if c["type"] == "plugins_above_core")
    assert set(plugins_above["core"]) == layered, "the core is the layered modules"
    assert plugins_above["container"] == "modules"
    assert next(c for c in contracts if c["type"] == "independence")["modules"] == ["modules.*"]
    acyclic = next(c for c in contracts if c["type"] == "acyclic_siblings")["ancestors"]
    assert "modules.*" in acyclic


@pytest.mark.slow
def test_a_plugin_module_may_use_the_core_but_the_core_never_imports_it(
    tree_copy: Path,
) -> None:
    """A new folder (a plugin) importing a core module's public face passes with no edit
    of pyproject.toml; the same plugin reaching into a core module's internals, or a core
    module importing the plugin (even its public face), fails."""
    plugin = tree_copy / "src/modules/zz_plugin"
    plugin.mkdir()
    (plugin / "__init__.py").write_text("")
    (plugin / "public.py").write_text("from modules.booking import public  # noqa\n")
    assert _lint(tree_copy).returncode == 0
    (plugin / "leak.py").write_text("from modules.booking import models  # noqa\n")
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert "Modules talk to each other only through modules.<name>.public BROKEN" in result.stdout
    (plugin / "leak.py").unlink()
    shop = tree_copy / "src/modules/shop"
    (shop / "leak.py").write_text("from modules.zz_plugin import public  # noqa\n")
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert "modules.shop imports the plugin module modules.zz_plugin" in result.stdout


@pytest.mark.slow
def test_an_import_cycle_inside_a_module_breaks_the_contract(tree_copy: Path) -> None:
    """Issue 16 (6): two submodules of one module importing each other (even inside a
    function) fail lint-imports; the same module importing one way passes."""
    booking = tree_copy / "src/modules/booking"
    (booking / "leak_a.py").write_text("from modules.booking import leak_b  # noqa\n")
    (booking / "leak_b.py").write_text("def f():\n    from modules.booking import selectors\n")
    assert _lint(tree_copy).returncode == 0
    (booking / "leak_b.py").write_text("def f():\n    from modules.booking import leak_a\n")
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert "No cycles are allowed in modules.booking." in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("module_file", "line"),
    [
        # Each goes through a public face (allowed by independence) but up a layer.
        ("modules/payments/leak.py", "from modules.booking import public\n"),
        ("modules/identity/leak.py", "from modules.shop import public\n"),
        # Money knows no purpose: membership is above payments (issue 16).
        ("modules/payments/leak.py", "from modules.membership import public\n"),
    ],
)
def test_an_upward_import_breaks_the_module_layers(
    tree_copy: Path, module_file: str, line: str
) -> None:
    (tree_copy / "src" / module_file).write_text(line)
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert (
        "Module layers: assistant > booking | shop | membership > payments > identity BROKEN"
        in (result.stdout)
    )


# --- Tests see only the module under test and other modules' public faces (issue 16) -----------
# tests/modules/<x>/ may import modules.<x>.* and modules.<other>.public only (and shared test
# helpers outside tests/modules/). A subfolder tests/modules/<x>/with_<y>/ holds tests of a flow
# through both modules that drive y's side (a Wompi transaction, the ledger): it may import
# modules.<y>.* too, and only when <x> is above <y> in the module layers. Data-driven: a new
# module needs no edit here (its folder is enough: a plugin outside the core's layers ranks
# above all of them).
# import-linter cannot express this rule for every module in one contract (one forbidden
# contract per module would be a list to keep), so this reads the tests' imports with ast.


def _module_names(root: Path) -> set[str]:
    return {path.parent.name for path in (root / "src" / "modules").glob("*/__init__.py")}


def _imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    """Every absolute import as dotted names (``from a import b`` gives ``a.b``)."""
    names: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return names


def _layer_rank() -> dict[str, int]:
    """modules.<name> -> its layer's index in the Module layers contract (0 = top)."""
    layers = next(c for c in _contracts() if c["name"].startswith("Module layers"))["layers"]
    return {
        m.strip().removeprefix("modules."): i
        for i, layer in enumerate(layers)
        for m in layer.split("|")
    }


def module_test_violations(root: Path, rank: dict[str, int]) -> list[str]:
    modules = _module_names(root)
    problems: list[str] = []
    for folder in sorted(p for p in (root / "tests" / "modules").iterdir() if p.is_dir()):
        under_test = folder.name
        for path in sorted(folder.rglob("*.py")):
            where = path.relative_to(root)
            partners = {p.removeprefix("with_") for p in where.parts if p.startswith("with_")}
            for partner in partners:
                # A plugin (a module outside the layers) ranks above the whole core.
                if partner not in modules or rank.get(under_test, -1) >= rank.get(partner, -1):
                    problems.append(f"{where}: with_{partner} is not a module below {under_test}")
            allowed = {under_test, *partners}
            for line, name in _imported_names(ast.parse(path.read_text(), str(path))):
                parts = name.split(".")
                if parts[0] == "tests" and parts[1:2] == ["modules"] and len(parts) > 2:
                    if parts[2] not in allowed:  # another module's test helpers
                        problems.append(f"{where}:{line}: {name}")
                elif parts[0] == "modules":
                    own = len(parts) > 1 and parts[1] in allowed
                    public_face = len(parts) > 2 and parts[2] == "public"
                    if not (own or public_face):
                        problems.append(f"{where}:{line}: {name}")
    return problems


def test_module_tests_import_only_their_module_and_public_faces() -> None:
    assert module_test_violations(ROOT, _layer_rank()) == []


def test_the_module_tests_rule_catches_a_reach_into_another_module(tmp_path: Path) -> None:
    for name in ("booking", "payments", "assistant"):
        (tmp_path / "src" / "modules" / name).mkdir(parents=True)
        (tmp_path / "src" / "modules" / name / "__init__.py").write_text("")
    tests = tmp_path / "tests" / "modules" / "booking"
    (tests / "with_payments").mkdir(parents=True)
    (tests / "with_assistant").mkdir()
    (tests / "test_ok.py").write_text(
        "from modules.booking.models import Appointment\n"
        "from modules.payments import public\n"
        "import modules.payments.public\n"
        "from tests.modules.booking.conftest import TUESDAY\n"
        "from tests.factories import UserFactory\n"
    )
    (tests / "test_leak.py").write_text(
        "def f():\n    from modules.payments.models import Payment\n"
        "from modules.payments import services\n"
        "from tests.modules.payments.conftest import tx_event\n"
        "import modules\n"
    )
    (tests / "with_payments" / "test_flow.py").write_text("from modules.payments import models\n")
    (tests / "with_assistant" / "test_up.py").write_text("from modules.assistant import models\n")
    rank = {"assistant": 0, "booking": 1, "payments": 2}
    problems = module_test_violations(tmp_path, rank)
    assert sorted(problems) == sorted(
        [
            "tests/modules/booking/test_leak.py:2: modules.payments.models.Payment",
            "tests/modules/booking/test_leak.py:3: modules.payments.services",
            "tests/modules/booking/test_leak.py:4: tests.modules.payments.conftest.tx_event",
            "tests/modules/booking/test_leak.py:5: modules",
            "tests/modules/booking/with_assistant/test_up.py: with_assistant is not a module "
            "below booking",
        ]
    )
