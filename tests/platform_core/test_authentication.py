"""platform_core.authentication: the bearer user look-up compiled once gives what ninja-jwt's
ORM look-up gave — the same user, the same refusals — in one query per request."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from ninja_jwt.authentication import JWTAuth as NinjaJWTAuth
from ninja_jwt.exceptions import AuthenticationFailed, InvalidToken
from ninja_jwt.tokens import AccessToken

from platform_core.authentication import JWTAuth, UserLookup
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _fields(user: Any) -> dict[str, Any]:
    return {f.attname: getattr(user, f.attname) for f in type(user)._meta.concrete_fields}


def _refusal(auth: Any, token: Any) -> tuple[type[Exception], str]:
    with pytest.raises((AuthenticationFailed, InvalidToken)) as caught:
        auth.get_user(token)
    return type(caught.value), str(caught.value.detail)


def test_the_user_is_the_one_the_orm_loads_field_for_field() -> None:
    user = UserFactory(
        vip_until=timezone.now() + timedelta(days=30),
        notification_opt_outs=["booking.reminder", "shop.order"],
    )
    token = AccessToken.for_user(user)

    ours = JWTAuth().get_user(token)
    theirs = NinjaJWTAuth().get_user(token)

    assert type(ours) is type(theirs)
    assert _fields(ours) == _fields(theirs)
    assert isinstance(ours.public_id, uuid.UUID)
    assert ours.notification_opt_outs == ["booking.reminder", "shop.order"]
    assert ours.vip_until == user.vip_until and ours.vip_until.tzinfo is not None
    assert (ours._state.db, ours._state.adding) == (theirs._state.db, theirs._state.adding)
    assert ours.pk == user.pk and ours.check_password("ClaveSegura123!")


def test_a_deactivated_or_deleted_user_is_refused_as_ninja_jwt_refuses() -> None:
    user = UserFactory()
    token = AccessToken.for_user(user)
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    assert _refusal(JWTAuth(), token) == _refusal(NinjaJWTAuth(), token)
    assert _refusal(JWTAuth(), token)[0] is AuthenticationFailed

    get_user_model().objects.filter(pk=user.pk).delete()
    assert _refusal(JWTAuth(), token) == _refusal(NinjaJWTAuth(), token)


def test_a_token_without_a_subject_is_refused_as_ninja_jwt_refuses() -> None:
    token = AccessToken.for_user(UserFactory())
    del token["sub"]
    assert _refusal(JWTAuth(), token) == _refusal(NinjaJWTAuth(), token)
    assert _refusal(JWTAuth(), token)[0] is InvalidToken


def test_the_look_up_refuses_what_the_field_cannot_hold_and_misses_what_is_not_there() -> None:
    lookup = UserLookup(get_user_model(), "public_id")
    assert lookup.get(uuid.uuid4()) is None
    assert lookup.get(str(UserFactory().public_id)) is not None  # a claim is a string
    with pytest.raises(ValidationError):
        lookup.get("not-a-uuid")
    with pytest.raises(ValidationError):
        get_user_model().objects.get(public_id="not-a-uuid")


def test_a_request_authenticates_with_one_query_and_a_deactivation_applies_at_once(
    api_as: Any,
) -> None:
    user = UserFactory()
    client = api_as(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/users/me/")
    assert response.status_code == 200, response.content
    assert response.json()["phone_number"] == user.phone_number
    user_rows = [q for q in queries.captured_queries if 'FROM "identity_user" WHERE' in q["sql"]]
    assert len(user_rows) == 1, queries.captured_queries

    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    refused = client.get("/api/users/me/")
    assert refused.status_code == 401
    assert refused.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "El token es inválido o ha expirado.",
            "details": None,
        }
    }
