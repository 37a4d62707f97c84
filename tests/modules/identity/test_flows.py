"""Acceptance flows of issue 4: register, verify, login, refresh, logout, reset, phone change."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from tests.factories import UserFactory
from tests.modules.identity.conftest import PASSWORD, bearer, messages_to, otp_for

pytestmark = pytest.mark.django_db
PHONE = "+573001234567"
User = get_user_model()


def test_register_verify_token_me(client, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    r = client.post("/api/users/register/", {"phone_number": PHONE, "password": PASSWORD})
    assert r.status_code == 202
    user = User.objects.get(phone_number=PHONE)
    assert not user.is_active and user.check_password(PASSWORD)
    assert messages_to(PHONE)[-1]["channel"] == "sms"

    r = client.post("/api/users/verify/", {"phone_number": PHONE, "code": otp_for(PHONE)})
    assert r.status_code == 200
    assert set(r.json()) == {"access", "refresh"}
    user.refresh_from_db()
    assert user.is_active and user.phone_verified_at is not None
    assert [g.name for g in user.groups.all()] == ["client"]

    r = client.post("/api/users/token/", {"phone_number": "300 123 4567", "password": PASSWORD})
    assert r.status_code == 200
    me = client.get("/api/users/me", **bearer(r.json()["access"]))
    assert me.status_code == 200
    assert me.json()["phone_number"] == PHONE
    assert me.json()["roles"] == ["client"]
    assert me.json()["id"] == str(user.public_id)


def test_register_with_optional_fields_stores_consents(client, settings):
    settings.DATA_POLICY_VERSION = "2026-07"
    r = client.post(
        "/api/users/register/",
        {
            "phone_number": "3011112233",
            "password": PASSWORD,
            "first_name": "Ana",
            "last_name": "Gómez",
            "email": "Ana@Example.com",
            "channel": "whatsapp",
            "accept_terms": True,
            "accept_data_policy": True,
        },
    )
    assert r.status_code == 202
    user = User.objects.get(phone_number="+573011112233")
    assert (user.first_name, user.email) == ("Ana", "Ana@example.com")
    assert user.terms_accepted_at and user.data_policy_accepted_at
    assert user.policy_version == "2026-07"
    assert messages_to("+573011112233")[-1]["channel"] == "whatsapp"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        # The schema's pattern and lengths refuse these (validation_error, field named)...
        ({"phone_number": "12", "password": PASSWORD}, "validation_error"),
        ({"phone_number": PHONE, "password": "123"}, "validation_error"),
        ({"phone_number": PHONE, "password": PASSWORD, "extra": 1}, "validation_error"),
        # ...and what only libphonenumber / Django's validators know keeps its code.
        ({"phone_number": "+1 000 000 0000", "password": PASSWORD}, "invalid_phone"),
        ({"phone_number": PHONE, "password": "12345678"}, "weak_password"),
        ({"phone_number": PHONE, "password": PASSWORD, "email": "nope"}, "validation_error"),
        ({"phone_number": PHONE, "password": PASSWORD, "channel": "fax"}, "validation_error"),
        ({"phone_number": PHONE}, "validation_error"),
    ],
)
def test_register_rejects_bad_input(client, body, code):
    r = client.post("/api/users/register/", body)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == code
    assert not User.objects.filter(phone_number=PHONE).exists()


def test_wrong_code_then_lock(client, settings):
    client.post("/api/users/register/", {"phone_number": PHONE, "password": PASSWORD})
    good = otp_for(PHONE)
    wrong = "000000" if good != "000000" else "111111"
    for _ in range(settings.OTP_MAX_CHECKS - 1):
        r = client.post("/api/users/verify/", {"phone_number": PHONE, "code": wrong})
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "invalid_code"
    r = client.post("/api/users/verify/", {"phone_number": PHONE, "code": wrong})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "verification_locked"
    # Locked: even the right code is refused now.
    r = client.post("/api/users/verify/", {"phone_number": PHONE, "code": good})
    assert r.status_code == 429
    assert not User.objects.get(phone_number=PHONE).is_active


def test_expired_code(client):
    client.post("/api/users/register/", {"phone_number": PHONE, "password": PASSWORD})
    code = otp_for(PHONE)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        r = client.post("/api/users/verify/", {"phone_number": PHONE, "code": code})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "invalid_code"


def test_resend_cooldown_and_new_code(client, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 60
    client.post("/api/users/register/", {"phone_number": PHONE, "password": PASSWORD})
    first = otp_for(PHONE)
    r = client.post("/api/users/verify/resend/", {"phone_number": PHONE})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "otp_cooldown"
    assert 0 < int(r["Retry-After"]) <= 60
    assert len(messages_to(PHONE)) == 1

    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    r = client.post("/api/users/verify/resend/", {"phone_number": PHONE})
    assert r.status_code == 202
    second = otp_for(PHONE)
    assert len(messages_to(PHONE)) == 2
    if first != second:  # the old code was replaced by the new one
        bad = client.post("/api/users/verify/", {"phone_number": PHONE, "code": first})
        assert bad.status_code == 403
    ok = client.post("/api/users/verify/", {"phone_number": PHONE, "code": second})
    assert ok.status_code == 200


def test_sixth_otp_send_within_an_hour_is_429(client, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    r = client.post("/api/users/register/", {"phone_number": PHONE, "password": PASSWORD})
    assert r.status_code == 202
    for _ in range(4):
        assert client.post("/api/users/verify/resend/", {"phone_number": PHONE}).status_code == 202
    r = client.post("/api/users/verify/resend/", {"phone_number": PHONE})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "verification_max_sends"
    assert len(messages_to(PHONE)) == 5
    # The same limit guards register and password reset for that number.
    r = client.post("/api/users/password/reset/", {"phone_number": PHONE})
    assert r.status_code == 429


def test_otp_sends_are_limited_per_ip(client, settings):
    settings.OTP_SENDS_PER_IP_PER_HOUR = 2
    for n in range(2):
        r = client.post(
            "/api/users/register/", {"phone_number": f"+57301000000{n}", "password": PASSWORD}
        )
        assert r.status_code == 202
    r = client.post("/api/users/register/", {"phone_number": "+573010000009", "password": PASSWORD})
    assert r.status_code == 429


def test_enumeration_register_same_answer(client, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    existing = UserFactory(phone_number="+573005550000")
    new = client.post(
        "/api/users/register/", {"phone_number": "+573005551111", "password": PASSWORD}
    )
    old = client.post(
        "/api/users/register/", {"phone_number": existing.phone_number, "password": PASSWORD}
    )
    assert (new.status_code, new.json()) == (old.status_code, old.json())
    existing.refresh_from_db()
    assert existing.check_password("ClaveSegura123!")  # untouched
    assert messages_to(existing.phone_number) == []  # no code for an existing account


def test_enumeration_password_reset_same_answer(client):
    existing = UserFactory(phone_number="+573005550000")
    a = client.post("/api/users/password/reset/", {"phone_number": existing.phone_number})
    b = client.post("/api/users/password/reset/", {"phone_number": "+573005551111"})
    assert (a.status_code, a.json()) == (b.status_code, b.json()) == (a.status_code, a.json())
    assert a.status_code == 202
    assert len(messages_to(existing.phone_number)) == 1
    assert messages_to("+573005551111") == []
    # Confirming for a number without an account answers like a wrong code.
    r = client.post(
        "/api/users/password/reset/confirm/",
        {"phone_number": "+573005551111", "code": "123456", "new_password": "OtraClave456!"},
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "invalid_code"


def test_reregistering_an_unverified_number_with_another_password(client, settings):
    """Whoever confirms the code owns the account: a password typed by someone else
    must not survive the verification."""
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    client.post("/api/users/register/", {"phone_number": PHONE, "password": PASSWORD})
    client.post("/api/users/register/", {"phone_number": PHONE, "password": "Intruso-999!"})
    user = User.objects.get(phone_number=PHONE)
    assert not user.has_usable_password()
    r = client.post("/api/users/verify/", {"phone_number": PHONE, "code": otp_for(PHONE)})
    assert r.status_code == 200
    bad = client.post("/api/users/token/", {"phone_number": PHONE, "password": "Intruso-999!"})
    assert bad.status_code == 401


def test_login_errors_and_lockout(client, settings):
    settings.LOGIN_FAILURES_PER_PHONE = 3
    user = UserFactory(phone_number=PHONE)
    wrong = client.post("/api/users/token/", {"phone_number": PHONE, "password": "nope"})
    unknown = client.post("/api/users/token/", {"phone_number": "+573009998877", "password": "x"})
    garbage = client.post("/api/users/token/", {"phone_number": "abc", "password": "x"})
    assert wrong.status_code == unknown.status_code == garbage.status_code == 401
    assert wrong.json() == unknown.json() == garbage.json()
    assert wrong.json()["error"]["code"] == "invalid_credentials"
    client.post("/api/users/token/", {"phone_number": PHONE, "password": "nope"})
    third = client.post("/api/users/token/", {"phone_number": PHONE, "password": "nope"})
    assert third.status_code == 429
    # Locked even with the right password, until the window passes.
    right = client.post("/api/users/token/", {"phone_number": PHONE, "password": "ClaveSegura123!"})
    assert right.status_code == 429
    assert user.pk


def test_login_is_limited_per_ip(client, settings):
    settings.LOGIN_FAILURES_PER_IP = 2
    for n in range(2):
        client.post("/api/users/token/", {"phone_number": f"+57301000000{n}", "password": "x"})
    r = client.post("/api/users/token/", {"phone_number": "+573010000005", "password": "x"})
    assert r.status_code == 429


def test_unverified_account_cannot_log_in(client):
    client.post("/api/users/register/", {"phone_number": PHONE, "password": PASSWORD})
    r = client.post("/api/users/token/", {"phone_number": PHONE, "password": PASSWORD})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "account_not_verified"


def test_refresh_rotation_and_reuse_of_blacklisted_token(client, signup):
    pair = signup()
    r = client.post("/api/users/token/refresh/", {"refresh": pair["refresh"]})
    assert r.status_code == 200
    rotated = r.json()
    assert rotated["refresh"] != pair["refresh"]
    assert client.get("/api/users/me", **bearer(rotated["access"])).status_code == 200

    reuse = client.post("/api/users/token/refresh/", {"refresh": pair["refresh"]})
    assert reuse.status_code == 401
    assert reuse.json()["error"]["code"] == "token_invalid"
    # Reuse of a rotated token is treated as theft: the newer token is revoked too.
    again = client.post("/api/users/token/refresh/", {"refresh": rotated["refresh"]})
    assert again.status_code == 401


def test_refresh_rejects_garbage_and_access_tokens(client, signup):
    pair = signup()
    assert client.post("/api/users/token/refresh/", {"refresh": "x.y.z"}).status_code == 401
    r = client.post("/api/users/token/refresh/", {"refresh": pair["access"]})
    assert r.status_code == 401


def test_logout_blacklists_refresh(client, signup):
    pair = signup()
    r = client.post("/api/users/logout/", {"refresh": pair["refresh"]}, **bearer(pair["access"]))
    assert r.status_code == 204
    r = client.post("/api/users/token/refresh/", {"refresh": pair["refresh"]})
    assert r.status_code == 401


def test_logout_everywhere(client, signup):
    pair = signup()
    other = client.post("/api/users/token/", {"phone_number": PHONE, "password": PASSWORD}).json()
    r = client.post("/api/users/logout/", {"everywhere": True}, **bearer(pair["access"]))
    assert r.status_code == 204
    for token in (pair["refresh"], other["refresh"]):
        assert client.post("/api/users/token/refresh/", {"refresh": token}).status_code == 401


def test_logout_with_someone_elses_refresh_is_refused(client, signup):
    mine = signup()
    theirs = signup("+573009876543")
    r = client.post("/api/users/logout/", {"refresh": theirs["refresh"]}, **bearer(mine["access"]))
    assert r.status_code == 401
    assert (
        client.post("/api/users/token/refresh/", {"refresh": theirs["refresh"]}).status_code == 200
    )


def test_token_signed_with_secret_key_is_rejected(client, signup):
    pair = signup()
    claims = jwt.decode(pair["access"], options={"verify_signature": False})
    assert settings.NINJA_JWT["SIGNING_KEY"] == settings.JWT_SIGNING_KEY != settings.SECRET_KEY
    jwt.decode(pair["access"], settings.JWT_SIGNING_KEY, algorithms=["HS256"])  # really signed so
    forged = jwt.encode(claims, settings.SECRET_KEY, algorithm="HS256")
    r = client.get("/api/users/me", **bearer(forged))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "not_authenticated"


def test_password_reset(client, settings):
    user = UserFactory(phone_number=PHONE)
    client_pair = client.post(
        "/api/users/token/", {"phone_number": PHONE, "password": "ClaveSegura123!"}
    ).json()
    r = client.post("/api/users/password/reset/", {"phone_number": PHONE})
    assert r.status_code == 202
    code = otp_for(PHONE)
    weak = client.post(
        "/api/users/password/reset/confirm/",
        {"phone_number": PHONE, "code": code, "new_password": "12345678"},
    )
    assert weak.status_code == 422 and weak.json()["error"]["code"] == "weak_password"
    r = client.post(
        "/api/users/password/reset/confirm/",
        {"phone_number": PHONE, "code": code, "new_password": "NuevaClave-2026"},
    )
    assert r.status_code == 200 and set(r.json()) == {"access", "refresh"}
    user.refresh_from_db()
    assert user.check_password("NuevaClave-2026")
    # Old sessions are revoked by the reset.
    old = client.post("/api/users/token/refresh/", {"refresh": client_pair["refresh"]})
    assert old.status_code == 401
    assert (
        client.post(
            "/api/users/token/", {"phone_number": PHONE, "password": "NuevaClave-2026"}
        ).status_code
        == 200
    )


def test_change_phone(client, signup, settings):
    pair = signup()
    new = "+573112223344"
    auth = bearer(pair["access"])
    r = client.post("/api/users/me/phone/", {"new_phone_number": new, "password": "bad"}, **auth)
    assert r.status_code == 403
    r = client.post(
        "/api/users/me/phone/", {"new_phone_number": PHONE, "password": PASSWORD}, **auth
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "same_phone"
    r = client.post("/api/users/me/phone/", {"new_phone_number": new, "password": PASSWORD}, **auth)
    assert r.status_code == 202
    assert client.get("/api/users/me", **auth).json()["pending_phone_number"] == new
    r = client.post(
        "/api/users/me/phone/confirm/",
        {"code": "000000" if otp_for(new) != "000000" else "111111"},
        **auth,
    )
    assert r.status_code == 403
    r = client.post("/api/users/me/phone/confirm/", {"code": otp_for(new)}, **auth)
    assert r.status_code == 200
    assert r.json()["phone_number"] == new and r.json()["pending_phone_number"] == ""
    assert (
        client.post("/api/users/token/", {"phone_number": new, "password": PASSWORD}).status_code
        == 200
    )
    assert (
        client.post("/api/users/token/", {"phone_number": PHONE, "password": PASSWORD}).status_code
        == 401
    )
    r = client.post("/api/users/me/phone/confirm/", {"code": "123456"}, **auth)
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_pending_phone_change"


def test_change_phone_to_a_taken_number_conflicts_only_after_the_code(client, signup):
    pair = signup()
    taken = UserFactory(phone_number="+573112223344")
    auth = bearer(pair["access"])
    r = client.post(
        "/api/users/me/phone/",
        {"new_phone_number": taken.phone_number, "password": PASSWORD},
        **auth,
    )
    assert r.status_code == 202  # same answer as for a free number
    r = client.post("/api/users/me/phone/confirm/", {"code": otp_for(taken.phone_number)}, **auth)
    assert r.status_code == 409 and r.json()["error"]["code"] == "phone_taken"


def test_verify_signs_in_an_already_verified_number(client, signup, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    signup()
    client.post("/api/users/password/reset/", {"phone_number": PHONE})
    r = client.post("/api/users/verify/", {"phone_number": PHONE, "code": otp_for(PHONE)})
    assert r.status_code == 200


def test_verify_without_account_is_a_wrong_code(client):
    r = client.post("/api/users/verify/", {"phone_number": PHONE, "code": "123456"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "invalid_code"


def test_passwordless_account_changes_phone_only_with_a_code_from_the_current_number(
    client_as, settings
):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    walk_in = UserFactory(phone_number=PHONE, password=None)
    walk_in.set_unusable_password()
    walk_in.save()
    me = client_as(walk_in)
    new = "+573112223344"
    r = me.post("/api/users/me/phone/", {"new_phone_number": new})
    assert r.status_code == 403 and r.json()["error"]["code"] == "reauthentication_failed"
    assert not messages_to(new)  # nothing was sent to the would-be new number
    assert me.post("/api/users/me/reauth-code/", {}).status_code == 202
    r = me.post("/api/users/me/phone/", {"new_phone_number": new, "code": otp_for(PHONE)})
    assert r.status_code == 202
    r = me.post("/api/users/me/phone/confirm/", {"code": otp_for(new)})
    assert r.status_code == 200 and r.json()["phone_number"] == new


def test_audit_events_of_services_without_the_request_carry_ip_and_request_id(client, signup):
    from platform_core.models import AuditEvent

    pair = signup()
    client.post(
        "/api/users/logout/",
        {"refresh": pair["refresh"]},
        HTTP_X_REQUEST_ID="logout-req-0001",
        REMOTE_ADDR="181.51.0.7",
        **bearer(pair["access"]),
    )
    event = AuditEvent.objects.get(action="auth.logout")
    assert event.ip == "181.51.0.7" and event.request_id == "logout-req-0001"
    verified = AuditEvent.objects.get(action="auth.phone_verified")
    assert verified.ip and verified.request_id
