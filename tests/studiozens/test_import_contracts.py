"""import-linter keeps the layers: a module reaching into another's internals fails."""

from __future__ import annotations

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


def test_every_module_folder_is_in_the_module_contracts() -> None:
    """A new folder under src/modules/ must be placed in the layers and the independence
    contract, or it could import anything."""
    contracts = _contracts()
    layers = next(c for c in contracts if c["name"].startswith("Module layers"))
    layered = {m.strip() for layer in layers["layers"] for m in layer.split("|")}
    independent = set(next(c for c in contracts if c["type"] == "independence")["modules"])
    folders = {
        f"modules.{path.parent.name}" for path in (ROOT / "src" / "modules").glob("*/__init__.py")
    }
    assert folders - layered == set(), "module folders missing from the layers contract"
    assert folders - independent == set(), "module folders missing from the independence contract"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("module_file", "line"),
    [
        # Each goes through a public face (allowed by independence) but up a layer.
        ("modules/payments/leak.py", "from modules.booking import public\n"),
        ("modules/identity/leak.py", "from modules.shop import public\n"),
    ],
)
def test_an_upward_import_breaks_the_module_layers(
    tree_copy: Path, module_file: str, line: str
) -> None:
    (tree_copy / "src" / module_file).write_text(line)
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert "Module layers: assistant > booking | shop > payments > identity BROKEN" in (
        result.stdout
    )
