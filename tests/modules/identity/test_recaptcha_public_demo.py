"""reCAPTCHA, identity.public's functions for other modules, demo data and tasks."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from ninja_jwt.token_blacklist.models import OutstandingToken

from modules.identity import public, recaptcha
from modules.identity.demo import DEMO_PASSWORD_CLIENT, DEMO_PASSWORD_STAFF, DEMO_USERS, seed
from modules.identity.models import LocalVerification
from modules.identity.tasks import flush_expired_tokens
from modules.identity.tokens import issue_pair
from platform_core.errors import RateLimited
from tests.factories import UserFactory
from tests.modules.identity.conftest import PASSWORD, otp_for

pytestmark = pytest.mark.django_db
User = get_user_model()
PHONE = "+573001234567"


@pytest.fixture
def google(settings, monkeypatch):
    """Google's siteverify on httpx.MockTransport; answers per token."""
    settings.RECAPTCHA_SECRET_KEY = "secret-test"
    calls: list[dict] = []
    answers = {
        "good": (200, {"success": True, "score": 0.9, "action": "register"}),
        "bot": (200, {"success": True, "score": 0.1}),
        "bad": (200, {"success": False, "error-codes": ["invalid-input-response"]}),
        "down": (502, {}),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        calls.append({"url": str(request.url), **form})
        status, body = answers[form["response"]]
        return httpx.Response(status, json=body)

    monkeypatch.setattr(
        recaptcha, "client_factory", lambda: httpx.Client(transport=httpx.MockTransport(handler))
    )
    return calls


def test_register_requires_recaptcha_when_configured(client, google):
    body = {"phone_number": PHONE, "password": PASSWORD}
    for token in ("", "bad", "bot", "down"):
        r = client.post("/api/users/register/", {**body, "recaptcha_token": token})
        assert r.status_code == 422, token
        assert r.json()["error"]["code"] == "recaptcha_failed"
    assert not User.objects.filter(phone_number=PHONE).exists()
    r = client.post("/api/users/register/", {**body, "recaptcha_token": "good"})
    assert r.status_code == 202
    assert google[-1]["url"] == "https://www.google.com/recaptcha/api/siteverify"
    assert google[-1]["secret"] == "secret-test" and google[-1]["remoteip"] == "127.0.0.1"


def test_password_reset_requires_recaptcha_when_configured(client, google):
    assert client.post("/api/users/password/reset/", {"phone_number": PHONE}).status_code == 422
    r = client.post(
        "/api/users/password/reset/", {"phone_number": PHONE, "recaptcha_token": "good"}
    )
    assert r.status_code == 202


def test_recaptcha_off_by_default(settings):
    settings.RECAPTCHA_SECRET_KEY = ""
    recaptcha.verify("")  # no exception, no call


def test_default_client_has_timeout(settings):
    with recaptcha._default_client() as c:
        assert c.timeout.connect == settings.RECAPTCHA_TIMEOUT


# --- identity.public -----------------------------------------------------------------------


def test_assistant_sign_up_through_public(settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        public.start_phone_verification(PHONE)
    code = otp_for(PHONE)
    user = public.confirm_phone_verification(PHONE, code)
    assert isinstance(user, public.UserDTO) and user.phone_number == PHONE
    assert public.has_role(user, public.CLIENT)
    account = get_user_model().objects.get(pk=user.id)
    assert account.is_active and not account.has_usable_password()
    with pytest.raises(Exception) as excinfo:
        public.confirm_phone_verification(PHONE, code)  # used up
    assert excinfo.value.code == "invalid_code"


def test_public_start_is_rate_limited(settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 30
    public.start_phone_verification(PHONE, "sms")
    with pytest.raises(RateLimited):
        public.start_phone_verification(PHONE, "sms")


def test_get_or_create_client_by_phone():
    walk_in = public.get_or_create_client_by_phone("300 765 4321")
    assert isinstance(walk_in, public.UserDTO) and walk_in.phone_number == "+573007654321"
    account = get_user_model().objects.get(pk=walk_in.id)
    assert account.is_active and not account.has_usable_password()
    assert public.has_role(walk_in, "client")
    assert public.get_or_create_client_by_phone("+573007654321").id == walk_in.id
    existing = UserFactory(first_name="Ana")
    again = public.get_or_create_client_by_phone(existing.phone_number, first_name="Otra")
    assert again.id == existing.pk and again.first_name == "Ana"  # names kept
    named = public.get_or_create_client_by_phone("3007654322", first_name="Luz", last_name="Mar")
    assert named.full_name == "Luz Mar"


def test_staff_recipients():
    reception = UserFactory(roles=["reception"])
    UserFactory(roles=["client"])
    recipients = public.staff_recipients()
    assert [r.phone for r in recipients] == [reception.phone_number]
    assert recipients[0].user_id == reception.pk
    assert public.staff_recipients("client")[0].phone != reception.phone_number


def test_existing_public_functions_still_work():
    user = UserFactory()
    dto = public.to_dto(user)
    assert dto.public_id == user.public_id and not dto.is_vip
    until = timezone.now() + timedelta(days=30)
    assert public.extend_vip(user.pk, until) == until
    assert public.is_vip(public.get_user(public_id=user.public_id))
    assert public.get_user_by_phone(user.phone_number).id == user.pk


# --- demo data and tasks -----------------------------------------------------------------


def test_seed_demo_is_idempotent(client):
    seed()
    seed()
    assert User.objects.filter(phone_number__in=[u["phone"] for u in DEMO_USERS]).count() == 6
    admin = User.objects.get(phone_number="+573000000001")
    assert public.has_role(admin, "admin") and admin.is_staff
    for spec in DEMO_USERS:
        password = DEMO_PASSWORD_CLIENT if spec["role"] == "client" else DEMO_PASSWORD_STAFF
        r = client.post("/api/users/token/", {"phone_number": spec["phone"], "password": password})
        assert r.status_code == 200, spec


def test_flush_expired_tokens_task():
    user = UserFactory()
    issue_pair(user)
    OutstandingToken.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    LocalVerification.objects.create(
        phone_number=PHONE,
        channel="sms",
        code_hash="x",
        expires_at=timezone.now() - timedelta(days=2),
    )
    assert flush_expired_tokens.delay().get() == 1
    assert not OutstandingToken.objects.exists()
    assert not LocalVerification.objects.exists()


def test_plugin_wiring():
    from modules.identity.plugin import plugin
    from platform_core.plugins import resolve

    assert resolve(plugin.router) is not None
    assert plugin.periodic_tasks[0].task == "identity.flush_expired_tokens"
    assert resolve(plugin.exporter) and resolve(plugin.eraser) and resolve(plugin.seed_demo)


def test_openapi_lists_identity_routes(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/users/register/",
        "/api/users/verify/",
        "/api/users/token/",
        "/api/users/token/refresh/",
        "/api/users/me/",
        "/api/users/me/export/",
    ):
        assert path in paths
