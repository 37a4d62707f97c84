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
