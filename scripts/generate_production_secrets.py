"""Print fresh production secrets: SECRET_KEY, JWT_SIGNING_KEY (different) and FERNET_KEY.

python scripts/generate_production_secrets.py            # KEY=value lines to paste
python scripts/generate_production_secrets.py --export   # `export KEY=value` for eval
"""

from __future__ import annotations

import secrets
import sys

from cryptography.fernet import Fernet


def generate() -> dict[str, str]:
    secret_key = secrets.token_urlsafe(64)
    jwt_key = secrets.token_urlsafe(64)
    while jwt_key == secret_key:  # astronomically unlikely, but the rule is absolute
        jwt_key = secrets.token_urlsafe(64)
    return {
        "SECRET_KEY": secret_key,
        "JWT_SIGNING_KEY": jwt_key,
        "FERNET_KEY": Fernet.generate_key().decode(),
    }


def main(argv: list[str]) -> None:
    prefix = "export " if "--export" in argv else ""
    for name, value in generate().items():
        print(f"{prefix}{name}={value}")


if __name__ == "__main__":
    main(sys.argv[1:])
