from __future__ import annotations

import pytest
from django.test import override_settings

from tests.sample_plugin import api as sample_api
from tests.studiozens.test_plugins import sample_enabled  # noqa: F401 - fixture

CLOSED_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
            "IGNORE_EXCEPTIONS": True,
        },
    }
}


@pytest.mark.django_db
def test_ready_is_503_naming_redis_when_it_is_down(api) -> None:
    with override_settings(CACHES=CLOSED_REDIS):  # Django rebuilds the cache handler
        response = api.get("/api/core/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.django_db
def test_redis_outage_degrades_cache_reads_to_misses() -> None:
    from django_redis.cache import RedisCache

    cache = RedisCache("redis://127.0.0.1:1/0", CLOSED_REDIS["default"])
    cache.set("k", "v")  # swallowed, logged
    assert cache.get("k") is None


@pytest.mark.django_db
def test_plugin_health_checks_are_included(sample_enabled) -> None:  # noqa: F811
    ok = sample_enabled.get("/api/core/health/ready")
    assert ok.status_code == 200
    assert ok.json()["checks"]["sample.always"]["status"] == "ok"
    sample_api.FAIL_HEALTH["on"] = True
    try:
        failing = sample_enabled.get("/api/core/health/ready")
    finally:
        sample_api.FAIL_HEALTH["on"] = False
    assert failing.status_code == 503
    assert failing.json()["checks"]["sample.always"] == {
        "status": "error",
        "error": "ConnectionError",
        "ms": failing.json()["checks"]["sample.always"]["ms"],
    }


@pytest.mark.django_db
def test_broker_check_fails_on_closed_port(api, settings) -> None:
    from celery import current_app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    original = current_app.conf.broker_url
    current_app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = api.get("/api/core/health/ready")
    finally:
        current_app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "error"


@pytest.mark.redis
@pytest.mark.django_db
def test_ready_is_200_with_real_redis(api, settings) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = api.get("/api/core/health/ready")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["broker"]["status"] == "ok"
    assert response.json()["checks"]["cache"]["status"] == "ok"


@pytest.mark.django_db
def test_redis_outage_leaves_public_reads_and_login_working(api) -> None:
    """Cache, sessions and rate limits all live in Redis: with it down, public reads
    degrade to the database and the limiter fails open, so nothing turns into a 500."""
    from tests.factories import UserFactory

    user = UserFactory(phone_number="+573001112233")
    with override_settings(CACHES=CLOSED_REDIS):
        for path in (
            "/api/",
            "/api/booking/categories",
            "/api/booking/services",
            "/api/booking/therapists",
            "/api/shop/categories",
            "/api/shop/products",
            "/api/finances/vip/plans/",
            "/api/core/health/",
        ):
            assert api.get(path).status_code == 200, path
        login = api.post(
            "/api/users/token/",
            {"phone_number": user.phone_number, "password": "ClaveSegura123!"},
        )
        assert login.status_code == 200, login.content
        assert api.get("/api/core/health/ready").status_code == 503
