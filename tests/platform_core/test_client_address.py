"""Client addresses cannot be forged: X-Forwarded-For is read only as far as the configured
proxies (TRUSTED_PROXY_COUNT) wrote it, and the server does not rewrite the peer address."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from platform_core.models import AuditEvent
from studiozens.gunicorn_worker import DjangoUvicornWorker

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected_ip"),
    [
        (0, "203.0.113.{i}", "127.0.0.1"),  # no proxy: the header is ignored
        (1, "203.0.113.{i}, 198.51.100.7", "198.51.100.7"),  # Render: its appended entry
        (2, "10.9.{i}.1, 198.51.100.8, 10.0.0.5", "198.51.100.8"),
    ],
)
def test_rotating_forwarded_for_does_not_dodge_the_per_ip_login_limit(
    api, settings, proxies: int, forwarded: str, expected_ip: str
) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    settings.LOGIN_FAILURES_PER_IP = 30
    statuses = []
    for i in range(40):
        response = api.post(
            "/api/users/token/",
            # A new number every time: only the per-IP limit can trip.
            {"phone_number": f"+5730099{i:05d}", "password": "no-es-esta-clave-1"},
            HTTP_X_FORWARDED_FOR=forwarded.format(i=i),
        )
        statuses.append(response.status_code)
    first_refusal = statuses.index(429)
    assert first_refusal <= 30, statuses
    assert set(statuses[:first_refusal]) == {401}
    assert set(statuses[first_refusal:]) == {429}, statuses
    # The audit trail names the same, real address for every attempt.
    ips = set(AuditEvent.objects.filter(action="auth.login_failed").values_list("ip", flat=True))
    assert ips == {expected_ip}


def test_the_server_does_not_take_the_client_address_from_headers() -> None:
    assert DjangoUvicornWorker.CONFIG_KWARGS["proxy_headers"] is False
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert "forwarded_allow_ips" not in config


def test_render_trusts_exactly_its_one_proxy() -> None:
    import yaml

    blueprint = yaml.safe_load((ROOT / "render.yaml").read_text(encoding="utf-8"))
    web = next(s for s in blueprint["services"] if s["type"] == "web")
    env = {v["key"]: v.get("value") for v in web["envVars"] if "key" in v}
    assert env["TRUSTED_PROXY_COUNT"] == "1"
