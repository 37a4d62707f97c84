"""GeoIP (GEOIP_PATH): the country on sign-up and login audit entries, and reCAPTCHA for
sign-ups from outside Colombia. The MaxMind database is built in the test (mmdb-writer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from platform_core import geoip
from platform_core.models import AuditEvent
from tests.factories import UserFactory
from tests.modules.identity.conftest import PASSWORD
from tests.modules.identity.test_recaptcha_public_demo import google  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
BOGOTA_IP, US_IP, UNKNOWN_IP = "181.49.12.34", "8.8.8.8", "1.1.1.1"


def build_mmdb(path: Path) -> Path:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type="GeoLite2-Country", ipv4_compatible=True)
    writer.insert_network(
        IPSet(["181.48.0.0/13"]), {"country": {"iso_code": "CO", "names": {"es": "Colombia"}}}
    )
    writer.insert_network(IPSet(["8.8.8.0/24"]), {"country": {"iso_code": "US"}})
    writer.to_db_file(str(path))
    return path


@pytest.fixture
def geo(settings: Any, tmp_path: Path) -> Any:
    settings.GEOIP_PATH = str(build_mmdb(tmp_path / "GeoLite2-Country.mmdb"))
    geoip.reset()
    yield settings
    geoip.reset()


def _register(client: Any, phone: str, ip: str, token: str = "") -> Any:
    body = {"phone_number": phone, "password": PASSWORD, "recaptcha_token": token}
    return client.post("/api/users/register/", body, REMOTE_ADDR=ip)


def test_country_lookup(geo: Any, tmp_path: Path) -> None:
    assert geoip.country_of(BOGOTA_IP) == "CO"
    assert geoip.country_of(US_IP) == "US"
    assert geoip.country_of(UNKNOWN_IP) is None
    assert geoip.country_of("127.0.0.1") is None and geoip.country_of("no-ip") is None
    geo.GEOIP_PATH = str(tmp_path)  # a directory holding GeoLite2-Country.mmdb works too
    geoip.reset()
    assert geoip.country_of(BOGOTA_IP) == "CO"


def test_signups_outside_colombia_need_recaptcha(client: Any, geo: Any, google: Any) -> None:  # noqa: F811
    assert _register(client, "+573001110001", BOGOTA_IP).status_code == 202
    assert google == []  # Colombia: no challenge
    abroad = _register(client, "+573001110002", US_IP)
    assert abroad.status_code == 422
    assert abroad.json()["error"]["code"] == "recaptcha_failed"
    unknown = _register(client, "+573001110003", UNKNOWN_IP)
    assert unknown.status_code == 422  # unknown is not Colombia
    assert _register(client, "+573001110002", US_IP, token="good").status_code == 202
    assert google[-1]["remoteip"] == US_IP


def test_without_geoip_every_signup_needs_recaptcha(
    client: Any,
    settings: Any,
    google: Any,  # noqa: F811
) -> None:
    settings.GEOIP_PATH = ""
    assert _register(client, "+573001110004", BOGOTA_IP).status_code == 422


def test_recaptcha_off_means_no_challenge_anywhere(client: Any, geo: Any) -> None:
    geo.RECAPTCHA_SECRET_KEY = ""
    assert _register(client, "+573001110005", US_IP).status_code == 202


def test_signup_and_login_audit_entries_carry_the_country(client: Any, geo: Any) -> None:
    _register(client, "+573001110006", BOGOTA_IP)
    signup = AuditEvent.objects.get(action="auth.signup_started")
    assert signup.details["country"] == "CO" and signup.ip == BOGOTA_IP
    UserFactory(phone_number="+573001110007", password=PASSWORD)
    response = client.post(
        "/api/users/token/",
        {"phone_number": "+573001110007", "password": PASSWORD},
        REMOTE_ADDR=US_IP,
    )
    assert response.status_code == 200, response.content
    login = AuditEvent.objects.filter(action="auth.login").latest("pk")
    assert login.details["country"] == "US"
    failed = client.post(
        "/api/users/token/",
        {"phone_number": "+573001110007", "password": "wrong"},
        REMOTE_ADDR=BOGOTA_IP,
    )
    assert failed.status_code == 401
    assert AuditEvent.objects.get(action="auth.login_failed").details["country"] == "CO"


def test_no_country_without_geoip(client: Any, settings: Any) -> None:
    settings.GEOIP_PATH = ""
    _register(client, "+573001110008", BOGOTA_IP)
    assert "country" not in AuditEvent.objects.get(action="auth.signup_started").details
