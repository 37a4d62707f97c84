"""Production settings refuse to start with a missing, short or placeholder secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from studiozens.settings.env import Env, ImproperlyConfiguredEnv, check_secret

ROOT = Path(__file__).resolve().parents[2]


def _production_env(**overrides: str) -> dict[str, str]:
    from scripts.generate_production_secrets import generate

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "SECRET_", "JWT_"))
    }
    env.update(generate())
    env.update(
        {
            "DJANGO_ENV": "production",
            "DJANGO_SETTINGS_MODULE": "studiozens.settings",
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
            "ALLOWED_HOSTS": "api.studiozens.co",
            "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/db",
            "REDIS_URL": "rediss://:pw@127.0.0.1:6380/0",
            "WOMPI_PUBLIC_KEY": "pub_prod_abcdefghijklmnop",
            "WOMPI_PRIVATE_KEY": "prv_prod_abcdefghijklmnop",
            "WOMPI_EVENT_SECRET": "prod_events_abcdefghijklmnop",
            "WOMPI_INTEGRITY_SECRET": "prod_integrity_abcdefghijklmnop",
            "TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef",
            "TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef",
            "AWS_STORAGE_BUCKET_NAME": "studiozens-media",
            "AWS_ACCESS_KEY_ID": "AKIA0123456789ABCDEF",
            "AWS_SECRET_ACCESS_KEY": "0123456789abcdef0123456789abcdef01234567",
        }
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def _load(
    env: dict[str, str],
    shown: str = "settings.CELERY_BROKER_USE_SSL, settings.SECURE_SSL_REDIRECT, settings.DEBUG",
) -> subprocess.CompletedProcess[str]:
    code = f"from django.conf import settings; print({shown})"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT, timeout=60
    )


def test_complete_production_environment_loads() -> None:
    result = _load(_production_env())
    assert result.returncode == 0, result.stderr
    assert "True False" in result.stdout  # SSL redirect on, DEBUG off
    assert "ssl_cert_reqs" in result.stdout  # rediss:// configures TLS for the broker


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SECRET_KEY", "", "SECRET_KEY is required"),
        ("SECRET_KEY", "CAMBIAR_ESTO_" + "x" * 60, "SECRET_KEY still holds a placeholder"),
        (
            "JWT_SIGNING_KEY",
            "tu_clave_jwt_" + "y" * 40,
            "JWT_SIGNING_KEY still holds a placeholder",
        ),
        ("JWT_SIGNING_KEY", "short", "JWT_SIGNING_KEY is too short"),
        ("FERNET_KEY", "", "FERNET_KEYS (or FERNET_KEY) is required"),
        ("FERNET_KEY", "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "FERNET_KEY still holds"),
        ("WOMPI_EVENT_SECRET", "", "WOMPI_EVENT_SECRET is required"),
        ("TWILIO_AUTH_TOKEN", "tu_token_de_twilio_aqui", "TWILIO_AUTH_TOKEN still holds"),
        ("DATABASE_URL", "", "DATABASE_URL"),
        ("ALLOWED_HOSTS", "", "ALLOWED_HOSTS is required"),
        ("DEBUG", "true", "DEBUG must be false"),
    ],
)
def test_production_refuses_bad_secrets_naming_the_variable(
    name: str, value: str, message: str
) -> None:
    result = _load(_production_env(**{name: value}))
    assert result.returncode != 0
    assert message in result.stderr


def test_jwt_key_equal_to_secret_key_is_refused() -> None:
    env = _production_env()
    env["JWT_SIGNING_KEY"] = env["SECRET_KEY"]
    result = _load(env)
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must differ from SECRET_KEY" in result.stderr


def test_env_reader_types() -> None:
    env = Env({"B": "yes", "I": "42", "F": "0.5", "L": "a, b,,c", "BAD": "maybe", "N": "x"})
    assert env.bool("B") is True and env.bool("MISSING", True) is True
    assert env.int("I", 0) == 42 and env.int("MISSING", 7) == 7
    assert env.float("F", 0.0) == 0.5
    assert env.list("L") == ["a", "b", "c"] and env.list("MISSING", ["z"]) == ["z"]
    with pytest.raises(ImproperlyConfiguredEnv, match="BAD must be a boolean"):
        env.bool("BAD")
    with pytest.raises(ImproperlyConfiguredEnv, match="N must be an integer"):
        env.int("N", 0)
    with pytest.raises(ImproperlyConfiguredEnv, match="N must be a number"):
        env.float("N", 0.0)
    check_secret("OK", "a" * 40)


def test_secrets_generator_draws_again_when_a_random_key_looks_like_a_placeholder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import secrets

    from scripts import generate_production_secrets as script

    unlucky = iter(["a" * 40 + "tu_" + "b" * 43, "c" * 86, "d" * 86])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: next(unlucky))
    values = script.generate()
    assert values["SECRET_KEY"] == "c" * 86 and values["JWT_SIGNING_KEY"] == "d" * 86
    for name, value in values.items():
        check_secret(name, value, min_length=44)


def test_placeholder_markers_match_as_written_not_case_blind() -> None:
    check_secret("SECRET_KEY", "Tu_" + "k" * 60 + "xxxx", min_length=50)  # a random key
    with pytest.raises(ImproperlyConfiguredEnv, match="placeholder"):
        check_secret("SECRET_KEY", "tu_" + "k" * 60, min_length=50)


@pytest.mark.parametrize(
    ("environment", "api", "payouts"),
    [
        ("prod", "https://production.wompi.co/v1", "https://api.payouts.wompi.co/v1"),
        ("test", "https://sandbox.wompi.co/v1", "https://api.sandbox.payouts.wompi.co/v1"),
    ],
)
def test_wompi_hosts_follow_the_wompi_environment(environment: str, api: str, payouts: str) -> None:
    env = _production_env(WOMPI_ENVIRONMENT=environment)
    env.pop("WOMPI_BASE_URL", None)
    env.pop("WOMPI_PAYOUT_BASE_URL", None)
    result = _load(env, "settings.WOMPI_BASE_URL, settings.WOMPI_PAYOUT_BASE_URL")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [api, payouts]


def test_unknown_wompi_environment_is_refused() -> None:
    result = _load(_production_env(WOMPI_ENVIRONMENT="production"))
    assert result.returncode != 0 and "WOMPI_ENVIRONMENT" in result.stderr
