"""Development that holds on any host and port (issue 20, part 3)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from studiozens.settings.env import ImproperlyConfiguredEnv, load_dotenv_for_development
from tests.ops.conftest import ROOT


def _settings(env: dict[str, str], *names: str) -> list[str]:
    """Values of ``names`` from the settings loaded in a fresh process with ``env``."""
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    base.update(
        {
            "DJANGO_SETTINGS_MODULE": "studiozens.settings",
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
            "DJANGO_READ_DOT_ENV": "false",
        }
    )
    code = (
        "from django.conf import settings as s; "
        "print(*[repr(getattr(s, n)) for n in %r], sep='\\n')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code % (names,)],
        env={**base, **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_site_url_follows_port_in_development_and_not_when_set() -> None:
    assert _settings(
        {"PORT": "8300"}, "SITE_URL", "SITE_URL_FROM_REQUEST", "WOMPI_REDIRECT_URL"
    ) == [
        "'http://127.0.0.1:8300'",
        "True",
        "'http://127.0.0.1:8300/pago/resultado'",
    ]
    assert _settings(
        {"PORT": "8300", "SITE_URL": "https://dev.example.co/"}, "SITE_URL", "SITE_URL_FROM_REQUEST"
    ) == [
        "'https://dev.example.co'",
        "False",
    ]


def test_cors_accepts_any_localhost_port_in_development_only() -> None:
    import re

    (dev,) = _settings({}, "CORS_ALLOWED_ORIGIN_REGEXES")
    patterns = eval(dev)
    allowed = [
        "http://localhost:5173",
        "http://127.0.0.1:3000",
        "http://localhost",
        "http://[::1]:8080",
    ]
    refused = ["http://localhost.evil.co", "https://evil.co", "http://localhost:5173.evil.co"]
    assert all(any(re.match(p, o) for p in patterns) for o in allowed)
    assert not any(re.match(p, o) for p in patterns for o in refused)
    assert _settings({"DJANGO_ENV": "test"}, "CORS_ALLOWED_ORIGIN_REGEXES") == ["[]"]


def test_cors_localhost_is_refused_in_production() -> None:
    from tests.studiozens.test_settings import _load, _production_env

    result = _load(_production_env(CORS_ALLOW_LOCALHOST="true"))
    assert result.returncode != 0
    assert "CORS_ALLOW_LOCALHOST must be false in production" in result.stderr


def test_cors_headers_for_a_vite_app(api: Any, settings: Any) -> None:
    settings.CORS_ALLOWED_ORIGIN_REGEXES = [
        r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$"
    ]
    response = api.client.options(
        "/api/core/health/",
        HTTP_ORIGIN="http://localhost:5173",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,idempotency-key",
    )
    assert response["access-control-allow-origin"] == "http://localhost:5173"
    assert "idempotency-key" in response["access-control-allow-headers"]
    other = api.client.get("/api/core/health/", HTTP_ORIGIN="https://evil.co")
    assert "access-control-allow-origin" not in other


# --- .env ------------------------------------------------------------------------------------


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in ("DJANGO_ENV", "DJANGO_READ_DOT_ENV", "SZ_DOTENV_PROBE", "SITE_URL"):
        monkeypatch.delenv(name, raising=False)
    return os.environ  # type: ignore[return-value]


def test_dotenv_is_read_in_development_and_the_environment_wins(
    tmp_path: Path, clean_environ: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("# comment\nSZ_DOTENV_PROBE=from-file\nSITE_URL=http://x.test:9000\n")
    monkeypatch.setenv("SITE_URL", "http://kept.test")
    assert load_dotenv_for_development(dotenv) is True
    assert os.environ["SZ_DOTENV_PROBE"] == "from-file"
    assert os.environ["SITE_URL"] == "http://kept.test"


@pytest.mark.parametrize("django_env", ["production", "test"])
def test_dotenv_is_never_read_in_test_or_production(
    tmp_path: Path, clean_environ: Any, monkeypatch: pytest.MonkeyPatch, django_env: str
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("SZ_DOTENV_PROBE=from-file\n")
    monkeypatch.setenv("DJANGO_ENV", django_env)
    assert load_dotenv_for_development(dotenv) is False
    assert "SZ_DOTENV_PROBE" not in os.environ


def test_a_dotenv_cannot_switch_to_production(tmp_path: Path, clean_environ: Any) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("DJANGO_ENV=production\nSZ_DOTENV_PROBE=x\n")
    with pytest.raises(ImproperlyConfiguredEnv, match="read in development only"):
        load_dotenv_for_development(dotenv)
    assert "SZ_DOTENV_PROBE" not in os.environ


def test_settings_read_the_project_dotenv(tmp_path: Path) -> None:
    """The settings package itself loads BASE_DIR/.env (here a copy of the tree's settings
    pointed at a temporary BASE_DIR would be overkill: DJANGO_READ_DOT_ENV switches it)."""
    (value,) = _settings({"DJANGO_READ_DOT_ENV": "false"}, "DOTENV_LOADED")
    assert value == "False"


# --- Links follow the request's host and port ---------------------------------------------------


def test_checkout_and_redirect_follow_the_request_host(
    api_as: Any, user: Any, settings: Any
) -> None:
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.SITE_URL_FROM_REQUEST = True
    settings.WOMPI_ADAPTER = "sandbox"
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.WOMPI_REDIRECT_URL = "http://127.0.0.1:8000/pago/resultado"
    response = api_as(user).get("/api/finances/vip/acceptance/", HTTP_HOST="localhost:8300")
    assert response.status_code == 200, response.content
    assert response.json()["tokens_url"] == (
        "http://localhost:8300/api/finances/sandbox/v1/tokens/cards"
    )
    from modules.payments import checkout

    assert checkout.redirect_url() == "http://127.0.0.1:8000/pago/resultado"  # no request
    settings.SITE_URL_FROM_REQUEST = False  # SITE_URL set explicitly: never the Host header
    response = api_as(user).get("/api/finances/vip/acceptance/", HTTP_HOST="localhost:8300")
    assert response.json()["tokens_url"].startswith("http://127.0.0.1:8000/")


def _pay_in_sandbox(
    api: Any, user: Any, settings: Any, on_commit: Any, amount_cents: int, card: str
) -> tuple[Any, Any]:
    """A checkout link paid on the in-process sandbox's form with ``card``: (dto, response)."""
    from modules.payments.public import create_checkout
    from modules.payments.sandbox.inprocess import reset_sandbox

    settings.WOMPI_ADAPTER = "sandbox"
    reset_sandbox()
    dto = create_checkout(
        purpose="demo.order", ref=f"o-{amount_cents}", amount_cents=amount_cents, customer=user
    )
    form = dict(parse_qsl(urlsplit(dto.checkout_url).query))
    form.update({"type": "CARD", "number": card})
    with on_commit(execute=True):
        return dto, api.client.post(urlsplit(dto.checkout_url).path, form)


def test_sandbox_checkout_lands_on_the_result_page_with_pago_aprobado(
    api: Any, user: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """make dev's round trip in-process: checkout link -> sandbox form with Wompi's test card
    -> Wompi's redirect -> /pago/resultado shows our (webhook-set) status."""
    from modules.payments.models import Payment

    dto, paid = _pay_in_sandbox(
        api, user, settings, django_capture_on_commit_callbacks, 6_200_000, "4242 4242 4242 4242"
    )
    assert paid.status_code == 302
    location = urlsplit(paid["Location"])
    assert location.path == "/pago/resultado"
    page = api.client.get(f"{location.path}?{location.query}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Pago aprobado" in html and "$ 62.000" in html
    assert 'data-final="1"' in html
    tx_id = dict(parse_qsl(location.query))["id"]
    assert Payment.objects.get(reference=dto.reference).wompi_transaction_id == tx_id
    status = api.client.get(f"/api/finances/checkout-results/{tx_id}/")
    assert status.json() == {
        "status": "APPROVED",
        "purpose": "demo.order",
        "amount_cents": 6_200_000,
        "currency": "COP",
    }


def test_result_page_before_the_event_polls_and_unknown_ids_are_404(api: Any, db: Any) -> None:
    page = api.client.get("/pago/resultado?id=99-1700000000-12345")
    html = page.content.decode()
    assert page.status_code == 200 and "Estamos confirmando tu pago" in html
    assert 'data-final="0"' in html and "/api/finances/checkout-results/" in html
    missing = api.client.get("/api/finances/checkout-results/99-1700000000-12345/")
    assert missing.status_code == 404 and missing.json()["error"]["code"]


def test_declined_card_shows_pago_rechazado(
    api: Any, user: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _dto, paid = _pay_in_sandbox(
        api, user, settings, django_capture_on_commit_callbacks, 70_000, "4111 1111 1111 1111"
    )
    page = api.client.get(paid["Location"].replace("http://127.0.0.1:8000", ""))
    assert "Pago rechazado" in page.content.decode()


def test_sandbox_tokenizes_documented_test_cards_over_http_for_vip(
    api_as: Any, user: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from modules.membership import services as vip
    from modules.payments.sandbox.inprocess import reset_sandbox

    settings.WOMPI_ADAPTER = "sandbox"
    reset_sandbox()
    vip.ensure_default_plan()
    client = api_as(user)
    acceptance = client.get("/api/finances/vip/acceptance/").json()
    card = client.client.post(
        urlsplit(acceptance["tokens_url"]).path,
        data={
            "number": "4242 4242 4242 4242",
            "cvc": "123",
            "exp_month": "12",
            "exp_year": "30",
            "card_holder": "Ana",
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {acceptance['public_key']}",
    )
    assert card.status_code == 201, card.content
    token = card.json()["data"]["id"]
    plan = client.get("/api/finances/vip/plans/").json()["items"][0]
    with django_capture_on_commit_callbacks(execute=True):
        subscribed = client.post(
            "/api/finances/vip/subscription/",
            {
                "plan_code": plan["code"],
                "card_token": token,
                "acceptance_token": acceptance["acceptance_token"],
                "personal_data_token": acceptance["personal_data_token"],
                "acceptance_permalink": acceptance["acceptance_permalink"],
                "personal_data_permalink": acceptance["personal_data_permalink"],
                "accept_terms": True,
                "accept_personal_data": True,
            },
        )
    assert subscribed.status_code == 201, subscribed.content
    user.refresh_from_db()
    assert user.is_vip
    # The sandbox's HTTP API is off with the real adapter.
    settings.WOMPI_ADAPTER = "wompi"
    assert client.client.post(urlsplit(acceptance["tokens_url"]).path).status_code == 404


def test_the_result_page_is_a_development_page_only(settings: Any) -> None:
    import importlib

    from django.urls import clear_url_caches

    import studiozens.urls as urls

    def routes() -> list[str]:
        return [str(p.pattern) for p in urls.urlpatterns]

    assert "pago/resultado" in routes()
    settings.PRODUCTION = True
    try:
        importlib.reload(urls)
        assert "pago/resultado" not in routes()
    finally:
        settings.PRODUCTION = False
        importlib.reload(urls)
        clear_url_caches()
    assert "pago/resultado" in routes()
