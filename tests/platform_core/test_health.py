from __future__ import annotations

from datetime import datetime

import pytest


@pytest.mark.django_db
def test_liveness_answers_without_io(api, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = api.get("/api/core/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["timezone"] == "America/Bogota"
    assert datetime.fromisoformat(body["timestamp"]).utcoffset() is not None


@pytest.mark.django_db
def test_readiness_ok_when_everything_is_up(api) -> None:
    response = api.get("/api/core/health/ready")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["cache"]["status"] == "ok"
