"""The roadmap's deployment details (issue 20, part 6): autoscaling, Sentry traces, payout
variables and a payable destination, the backup cron, .gitignore."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from modules.payments import destination
from tests.ops.conftest import ROOT

GOOD = {
    "legalIdType": "CC",
    "legalId": "1020304050",
    "bankId": "ec6ad3b0-0000-4000-8000-000000000007",
    "accountType": "AHORROS",
    "accountNumber": "00123456789",
    "name": "Dev Eloper",
    "email": "dev@example.co",
}


@pytest.fixture(scope="module")
def doc(inventory: Any) -> dict[str, Any]:
    return inventory.load_blueprint()


def _service(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in doc["services"] if s["name"] == name)


def test_web_autoscales_one_to_three(doc: dict[str, Any]) -> None:
    scaling = _service(doc, "studiozens-api")["scaling"]
    assert (scaling["minInstances"], scaling["maxInstances"]) == (1, 3)
    assert 0 < scaling["targetCPUPercent"] <= 90 and 0 < scaling["targetMemoryPercent"] <= 90
    runbook = (ROOT / "docs/DEPLOYMENT_RUNBOOK.md").read_text()
    assert "Professional" in runbook and "maxInstances" in runbook


def test_sentry_traces_and_media_and_payouts_in_the_blueprint(
    inventory: Any, doc: dict[str, Any]
) -> None:
    group = {v["key"]: v for v in doc["envVarGroups"][0]["envVars"]}
    assert group["SENTRY_TRACES_SAMPLE_RATE"]["value"] == "0.1"
    assert group["MEDIA_STORAGE"]["value"] == "s3"
    assert "DEVELOPER_COMMISSION_PERCENT" in group
    env = inventory.blueprint_env(doc)
    for name in ("studiozens-api", "studiozens-worker", "studiozens-beat"):
        for key in (
            "WOMPI_PAYOUT_PRIVATE_KEY",
            "WOMPI_PAYOUT_USER_PRINCIPAL_ID",
            "WOMPI_PAYOUT_ACCOUNT_ID",
            "WOMPI_DEVELOPER_DESTINATION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
        ):
            assert env[name][key] == {"key": key, "sync": False}, (name, key)


def test_backup_cron(inventory: Any, doc: dict[str, Any]) -> None:
    import offsite_backup

    cron = _service(doc, "studiozens-db-backup")
    assert cron["type"] == "cron" and cron["runtime"] == "docker" and cron["schedule"]
    assert (ROOT / cron["dockerfilePath"]).is_file()
    env = inventory.blueprint_env(doc)["studiozens-db-backup"]
    assert env["DATABASE_URL"]["fromDatabase"]["name"] == "studiozens-db"
    needed = {"BACKUP_S3_BUCKET", "BACKUP_AGE_RECIPIENT", "BACKUP_AGE_IDENTITY"}
    assert needed <= set(env) <= set(offsite_backup.ENVIRONMENT)
    for secret in ("BACKUP_S3_SECRET_ACCESS_KEY", "BACKUP_AGE_IDENTITY"):
        assert env[secret] == {"key": secret, "sync": False}
    dockerfile = (ROOT / cron["dockerfilePath"]).read_text()
    db_major = doc["databases"][0]["postgresMajorVersion"]
    assert f"FROM postgres:{db_major}" in dockerfile  # pg_dump >= the server's major version
    assert 'CMD ["/opt/venv/bin/python", "scripts/offsite_backup.py", "run"]' in dockerfile


def test_every_env_read_of_the_backup_script_is_declared() -> None:
    import re

    import offsite_backup

    source = (ROOT / "scripts/offsite_backup.py").read_text()
    body = source.split('"""', 2)[2]  # after the module docstring
    read = set(re.findall(r'get\("([A-Z_]+)"', body)) | set(re.findall(r'whole\("([A-Z_]+)"', body))
    assert read and read <= set(offsite_backup.ENVIRONMENT)


# --- A payout destination Wompi can pay ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("dev@example.co", "an e-mail address, which Wompi cannot pay"),
        ("", "is empty"),
        ("legalIdType=CC;legalId=1", "lacks bankId, accountType, accountNumber, name, email"),
        (json.dumps({**GOOD, "accountType": "NOMINA"}), "accountType must be one of"),
        (json.dumps({**GOOD, "bankId": "bancolombia"}), "bankId must be the bank's UUID"),
        (json.dumps({**GOOD, "legalIdType": "PASAPORTE"}), "legalIdType must be one of"),
        (json.dumps({**GOOD, "accountNumber": "12-34"}), "accountNumber must be digits only"),
    ],
)
def test_unpayable_destinations(raw: str, message: str) -> None:
    assert any(message in p for p in destination.problems(raw)), destination.problems(raw)


def test_payable_destinations_in_both_formats() -> None:
    assert destination.problems(json.dumps(GOOD)) == []
    assert destination.problems(";".join(f"{k}={v}" for k, v in GOOD.items())) == []
    assert destination.parse("dev@example.co") == {}


def test_production_refuses_a_commission_it_cannot_pay() -> None:
    from tests.studiozens.test_settings import _load, _production_env

    payout = {
        "WOMPI_PAYOUT_PRIVATE_KEY": "prv_prod_payouts0123456789",
        "WOMPI_PAYOUT_USER_PRINCIPAL_ID": "principal-1",
        "WOMPI_PAYOUT_ACCOUNT_ID": "b3f5e6c2-0000-4000-8000-000000000001",
    }
    email = _load(
        _production_env(
            DEVELOPER_COMMISSION_PERCENT="5", WOMPI_DEVELOPER_DESTINATION="dev@example.co", **payout
        )
    )
    assert email.returncode != 0
    assert "an e-mail address, which Wompi cannot pay" in email.stderr
    assert "accountType (AHORROS or CORRIENTE)" in email.stderr
    no_keys = _load(
        _production_env(
            DEVELOPER_COMMISSION_PERCENT="5", WOMPI_DEVELOPER_DESTINATION=json.dumps(GOOD)
        )
    )
    assert "WOMPI_PAYOUT_PRIVATE_KEY is required" in no_keys.stderr
    good = _load(
        _production_env(
            DEVELOPER_COMMISSION_PERCENT="5", WOMPI_DEVELOPER_DESTINATION=json.dumps(GOOD), **payout
        )
    )
    assert good.returncode == 0, good.stderr
    # Without a commission nothing is paid out, so nothing is demanded.
    assert _load(_production_env(WOMPI_DEVELOPER_DESTINATION="dev@example.co")).returncode == 0


def test_gitignore_covers_every_filled_env_file() -> None:
    ignored = [".env", ".env.production", ".env.local", ".env.development.local", ".env.staging"]
    kept = [".env.example", ".env.production.template"]
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *ignored, *kept],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert sorted(result.stdout.split()) == sorted(ignored)


def test_worker_check_cron_alerts_on_queue_depth_and_age() -> None:
    script = (ROOT / "bin/worker-healthcheck").read_text()
    assert "celery_ping" in script
    assert "queue_depths --max-depth 100 --max-age 300" in script
    runbook = (ROOT / "docs/DEPLOYMENT_RUNBOOK.md").read_text()
    assert "queue depth 100 or oldest task 5 min" in runbook
