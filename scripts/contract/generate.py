"""Generate (or check) the frontend contract from the code's OpenAPI schema.

Artifacts, all committed and all derived from ``studiozens.api.api``:

- ``docs/openapi.json``                                  the schema, sorted keys, 2-space indent
- ``docs/postman/studiozens.postman_collection.json``    a Postman v2.1 collection (see postman.py)
- ``docs/postman/studiozens.postman_environment.json``   its environment (base URL, credentials)
- ``clients/typescript/src/schema.d.ts``                 openapi-typescript output

Usage (from the repository root)::

    uv run python -m scripts.contract.generate            # write the artifacts
    uv run python -m scripts.contract.generate --check    # exit 1 and show a diff on drift
    uv run python -m scripts.contract.generate --check --skip-typescript   # no node available

Generation is deterministic: the same code gives byte-identical files, so a diff
means an endpoint changed without ``make contract``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a file rather than `python -m scripts.contract.generate`
    sys.path.insert(0, str(ROOT))

from scripts.contract.postman import build_collection, build_environment  # noqa: E402

OPENAPI_PATH = Path("docs/openapi.json")
COLLECTION_PATH = Path("docs/postman/studiozens.postman_collection.json")
ENVIRONMENT_PATH = Path("docs/postman/studiozens.postman_environment.json")
TYPESCRIPT_PATH = Path("clients/typescript/src/schema.d.ts")
TS_PACKAGE_DIR = Path("clients/typescript")
TS_BIN = TS_PACKAGE_DIR / "node_modules" / ".bin" / "openapi-typescript"


def dump_json(data: Any) -> str:
    """Canonical JSON text: sorted keys, 2-space indent, UTF-8, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_schema() -> dict[str, Any]:
    """The OpenAPI schema the running app serves at /api/openapi.json."""
    for extra in (ROOT / "src", ROOT):
        if str(extra) not in sys.path:
            sys.path.insert(0, str(extra))
    # The schema must not depend on the local environment (DEBUG, database, Redis).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studiozens.settings")
    os.environ.setdefault("DJANGO_ENV", "test")
    import django

    django.setup()
    from studiozens.api import api

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/")))


def render_python_artifacts(schema: Mapping[str, Any]) -> dict[Path, str]:
    """The JSON artifacts (no node needed)."""
    return {
        OPENAPI_PATH: dump_json(schema),
        COLLECTION_PATH: dump_json(build_collection(schema)),
        ENVIRONMENT_PATH: dump_json(build_environment()),
    }


def render_typescript(openapi_text: str, *, root: Path | None = None) -> str:
    """Run openapi-typescript (the pinned npm package) on the schema text."""
    binary = (root or ROOT) / TS_BIN
    if not binary.exists():
        raise FileNotFoundError(
            f"{binary} is missing: run `npm ci --prefix {TS_PACKAGE_DIR}` first"
        )
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "openapi.json"
        target = Path(tmp) / "schema.d.ts"
        source.write_text(openapi_text, encoding="utf-8")
        subprocess.run(
            # Fields with a default are optional in a request body: without the flag,
            # openapi-typescript 7 makes them required and every call must spell them out.
            [str(binary), str(source), "--output", str(target), "--default-non-nullable", "false"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return target.read_text(encoding="utf-8")


def render_all(
    schema: Mapping[str, Any],
    *,
    typescript: bool = True,
    ts_renderer: Callable[[str], str] = render_typescript,
) -> dict[Path, str]:
    artifacts = render_python_artifacts(schema)
    if typescript:
        artifacts[TYPESCRIPT_PATH] = ts_renderer(artifacts[OPENAPI_PATH])
    return artifacts


def diff_artifacts(artifacts: Mapping[Path, str], *, root: Path | None = None) -> dict[Path, str]:
    """Unified diffs (committed -> fresh) for every artifact that differs; empty when in sync."""
    drift: dict[Path, str] = {}
    for rel, fresh in artifacts.items():
        path = (root or ROOT) / rel
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != fresh:
            drift[rel] = "".join(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    fresh.splitlines(keepends=True),
                    fromfile=f"{rel} (committed)",
                    tofile=f"{rel} (generated)",
                    n=2,
                )
            )
    return drift


def write_artifacts(artifacts: Mapping[Path, str], *, root: Path | None = None) -> list[Path]:
    written = []
    for rel, text in artifacts.items():
        path = (root or ROOT) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(rel)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail on drift instead of writing")
    parser.add_argument(
        "--skip-typescript", action="store_true", help="leave the TypeScript types out"
    )
    parser.add_argument("--max-diff-lines", type=int, default=80)
    args = parser.parse_args(argv)

    artifacts = render_all(load_schema(), typescript=not args.skip_typescript)
    if not args.check:
        written = write_artifacts(artifacts)
        for rel in artifacts:
            print(f"{'wrote    ' if rel in written else 'unchanged'} {rel}")
        return 0

    drift = diff_artifacts(artifacts)
    if not drift:
        print(f"contract: {len(artifacts)} artifacts in sync with the code")
        return 0
    for rel, text in drift.items():
        lines = text.splitlines()
        print(f"contract drift in {rel} ({len(lines)} diff lines):")
        print("\n".join(lines[: args.max_diff_lines]))
        if len(lines) > args.max_diff_lines:
            print(f"... {len(lines) - args.max_diff_lines} more lines")
    print(
        "\nThe API changed without regenerating its contract. Run `make contract` and commit "
        + ", ".join(str(p) for p in drift)
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
