"""Print fresh production secrets: SECRET_KEY, JWT_SIGNING_KEY (different) and FERNET_KEY.

python scripts/generate_production_secrets.py            # KEY=value lines to paste
python scripts/generate_production_secrets.py --export   # `export KEY=value` for eval
"""

from __future__ import annotations

import importlib.util
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from cryptography.fernet import Fernet

ENV_RULES = Path(__file__).resolve().parents[1] / "src" / "studiozens" / "settings" / "env.py"


def _rules() -> ModuleType:
    """The settings' own secret checks, loaded from their file: importing the settings
    package would evaluate the whole configuration."""
    spec = importlib.util.spec_from_file_location("_studiozens_env_rules", ENV_RULES)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _draw(name: str, make: Callable[[], str], min_length: int, rules: ModuleType) -> str:
    """A fresh value that production accepts (a random key can, rarely, contain a
    placeholder marker such as ``XXXX``: draw again)."""
    while True:
        value = make()
        try:
            rules.check_secret(name, value, min_length=min_length)
        except SystemExit:
            continue
        return value


def generate() -> dict[str, str]:
    rules = _rules()
    secret_key = _draw("SECRET_KEY", lambda: secrets.token_urlsafe(64), 50, rules)
    jwt_key = secret_key
    while jwt_key == secret_key:  # astronomically unlikely, but the rule is absolute
        jwt_key = _draw("JWT_SIGNING_KEY", lambda: secrets.token_urlsafe(64), 32, rules)
    fernet_key = _draw("FERNET_KEY", lambda: Fernet.generate_key().decode(), 44, rules)
    return {"SECRET_KEY": secret_key, "JWT_SIGNING_KEY": jwt_key, "FERNET_KEY": fernet_key}


def main(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(
        description="Print fresh production secrets: SECRET_KEY, JWT_SIGNING_KEY, FERNET_KEY."
    )
    parser.add_argument("--export", action="store_true", help="print `export KEY=value` lines")
    prefix = "export " if parser.parse_args(argv).export else ""
    for name, value in generate().items():
        print(f"{prefix}{name}={value}")


if __name__ == "__main__":
    main(sys.argv[1:])
