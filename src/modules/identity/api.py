"""/api/users/: accounts, OTP, JWT sessions, profile, staff and personal data."""

import uuid
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from modules.identity import (
    credentials,
    privacy,
    profile,
    recaptcha,
    registration,
    selectors,
    sessions,
    staff,
    tokens,
)
from modules.identity.roles import ADMIN, RECEPTION
from modules.identity.schemas import (
    CodeIn,
    DetailOut,
    EraseIn,
    ExportOut,
    LoginIn,
    LogoutIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    PhoneChangeIn,
    ProfileOut,
    ProfilePatchIn,
    ReauthCodeIn,
    RefreshIn,
    RegisterIn,
    ResendIn,
    Role,
    RolesIn,
    StaffCreateIn,
    TokenPairOut,
    UserSummaryOut,
    VerifyIn,
)
from platform_core.errors import NotFound, PermissionDenied
from platform_core.pagination import Pagination
from platform_core.request_context import client_ip

router = Router(tags=["identity"])


def _sent() -> dict[str, str]:
    # One answer whether or not the number has an account.
    return {"detail": _("Si el número puede recibir mensajes, te enviamos un código.")}


def _require_role(request: HttpRequest, *roles: str) -> Any:
    from modules.identity.public import has_role

    if not has_role(request.auth, *roles):
        raise PermissionDenied()
    return request.auth


# --- Public: registration, verification, sessions ------------------------------------------


@router.post(
    "register/",
    operation_id="registerAccount",
    auth=None,
    response={202: DetailOut},
    summary="Sign up by phone",
)
def register(request: HttpRequest, payload: RegisterIn) -> Status:
    """Sign up with a phone number and password; a one-time code is sent by SMS or WhatsApp.
    Always 202 with the same answer, whether or not the number has an account."""
    ip = client_ip(request)
    if recaptcha.required_for_signup(ip):
        recaptcha.verify(payload.recaptcha_token, remote_ip=ip)
    registration.register(**payload.model_dump(exclude={"recaptcha_token"}), ip=ip)
    return Status(202, _sent())


@router.post(
    "verify/",
    operation_id="verifyPhone",
    auth=None,
    response=TokenPairOut,
    summary="Confirm the phone's code",
)
def verify(request: HttpRequest, payload: VerifyIn) -> dict:
    """Confirm the phone with the one-time code: activates the account and returns a token
    pair."""
    return registration.verify_phone(phone_number=payload.phone_number, code=payload.code)


@router.post(
    "verify/resend/",
    operation_id="resendVerificationCode",
    auth=None,
    response={202: DetailOut},
    summary="Send a new code",
)
def resend(request: HttpRequest, payload: ResendIn) -> Status:
    """Send a new one-time code (cooldown and hourly limits apply). Always 202."""
    registration.resend_verification(
        phone_number=payload.phone_number, channel=payload.channel, ip=client_ip(request)
    )
    return Status(202, _sent())


@router.post(
    "token/",
    operation_id="logIn",
    auth=None,
    response=TokenPairOut,
    summary="Log in (phone + password)",
)
def token(request: HttpRequest, payload: LoginIn) -> dict:
    """Log in with phone number and password: returns an access and a refresh token."""
    return sessions.login(
        phone_number=payload.phone_number, password=payload.password, ip=client_ip(request)
    )


@router.post(
    "token/refresh/",
    operation_id="refreshTokens",
    auth=None,
    response=TokenPairOut,
    summary="Rotate tokens",
)
def refresh(request: HttpRequest, payload: RefreshIn) -> dict:
    """Exchange a refresh token for a new pair (the old refresh token is revoked at once)."""
    return tokens.rotate(payload.refresh)


@router.post(
    "logout/", operation_id="logOut", response={204: None}, summary="Revoke the refresh token(s)"
)
def logout(request: HttpRequest, payload: LogoutIn) -> Status:
    """Revoke the given refresh token, or every session of the account (everywhere)."""
    sessions.logout(request.auth, refresh=payload.refresh, everywhere=payload.everywhere)
    return Status(204, None)


@router.post(
    "password/reset/",
    operation_id="requestPasswordReset",
    auth=None,
    response={202: DetailOut},
    summary="Forgot password",
)
def password_reset(request: HttpRequest, payload: PasswordResetIn) -> Status:
    """Forgot password: sends a one-time code to the number. Always 202."""
    ip = client_ip(request)
    recaptcha.verify(payload.recaptcha_token, remote_ip=ip)
    credentials.start_password_reset(phone_number=payload.phone_number, ip=ip)
    return Status(202, _sent())


@router.post(
    "password/reset/confirm/",
    operation_id="confirmPasswordReset",
    auth=None,
    response=TokenPairOut,
    summary="Set a new password",
)
def password_reset_confirm(request: HttpRequest, payload: PasswordResetConfirmIn) -> dict:
    """Set a new password with the one-time code; every other session is revoked."""
    return credentials.confirm_password_reset(
        phone_number=payload.phone_number, code=payload.code, new_password=payload.new_password
    )


# --- The signed-in user -------------------------------------------------------------------------


@router.get("me/", operation_id="getMyProfile", response=ProfileOut, summary="My profile")
def me(request: HttpRequest) -> dict:
    """The signed-in user's profile."""
    return selectors.profile(request.auth)


@router.patch(
    "me/", operation_id="updateMyProfile", response=ProfileOut, summary="Update my profile"
)
def update_me(request: HttpRequest, payload: ProfilePatchIn) -> dict:
    """Change names, e-mail, language or notification preferences (only the fields sent)."""
    user = profile.update_profile(request.auth, **payload.model_dump(exclude_unset=True))
    return selectors.profile(user)


@router.get(
    "me/export/", operation_id="exportMyData", response=ExportOut, summary="Export my personal data"
)
def export_me(request: HttpRequest) -> dict:
    """Everything the spa holds about the signed-in user, by module (Ley 1581 de 2012)."""
    return privacy.export_personal_data(request.auth, request=request)


@router.post(
    "me/reauth-code/",
    operation_id="sendReauthenticationCode",
    response={202: DetailOut},
    summary="Code to the current number, to confirm erasure or a phone change",
)
def reauth_code(request: HttpRequest, payload: ReauthCodeIn) -> Status:
    """Send a one-time code to the account's own number, to confirm an erasure or a phone
    change without a password."""
    credentials.send_reauthentication_code(
        request.auth, channel=payload.channel, ip=client_ip(request)
    )
    return Status(202, _sent())


@router.delete(
    "me/",
    operation_id="eraseMyAccount",
    response={204: None},
    summary="Erase my account and personal data",
)
def erase_me(request: HttpRequest, payload: EraseIn) -> Status:
    """Erase the account and its personal data (password or code required). Records the law
    requires are kept anonymised."""
    privacy.erase_own_account(
        request.auth, password=payload.password, code=payload.code, request=request
    )
    return Status(204, None)


@router.post(
    "me/phone/",
    operation_id="startPhoneChange",
    response={202: DetailOut},
    summary="Start a phone-number change",
)
def change_phone(request: HttpRequest, payload: PhoneChangeIn) -> Status:
    """Start a phone-number change: proves presence (password or code) and sends a code to the
    new number."""
    credentials.start_phone_change(
        request.auth,
        new_phone_number=payload.new_phone_number,
        password=payload.password,
        code=payload.code,
        channel=payload.channel,
        ip=client_ip(request),
    )
    return Status(202, _sent())


@router.post(
    "me/phone/confirm/",
    operation_id="confirmPhoneChange",
    response=ProfileOut,
    summary="Confirm the new number",
)
def confirm_phone(request: HttpRequest, payload: CodeIn) -> dict:
    """Confirm the new phone number with the code sent to it."""
    return selectors.profile(credentials.confirm_phone_change(request.auth, code=payload.code))


# --- Staff ----------------------------------------------------------------------------------------


@router.get(
    "",
    operation_id="listAccounts",
    response=list[UserSummaryOut],
    summary="Search accounts (staff)",
)
@paginate(Pagination)
def list_users(
    request: HttpRequest,
    q: str = Query("", max_length=100),
    role: Role | None = None,
    vip: bool | None = None,
) -> Any:
    """Staff (reception/admin): search accounts by text, role or VIP status."""
    _require_role(request, RECEPTION, ADMIN)
    return selectors.search_users(q=q, role=role, vip=vip)


@router.post(
    "staff/",
    operation_id="createStaffAccount",
    response={201: UserSummaryOut},
    summary="Create a staff account (admin)",
)
def create_staff(request: HttpRequest, payload: StaffCreateIn) -> Status:
    """Admin: create a staff account (therapist, reception, admin)."""
    actor = _require_role(request, ADMIN)
    user = staff.create_staff_account(actor=actor, request=request, **payload.model_dump())
    return Status(201, user)


def _visible_user(request: HttpRequest, public_id: uuid.UUID) -> Any:
    """Self, or anyone for reception/admin; everyone else gets 404 (not 403)."""
    from modules.identity.public import has_role

    if public_id == request.auth.public_id:
        return request.auth
    if not has_role(request.auth, RECEPTION, ADMIN):
        raise NotFound()
    return selectors.live_user(public_id)


@router.get(
    "{uuid:public_id}/", operation_id="getAccount", response=UserSummaryOut, summary="One account"
)
def get_account(request: HttpRequest, public_id: uuid.UUID) -> Any:
    """One account: yourself, or anyone for reception/admin."""
    return _visible_user(request, public_id)


@router.put(
    "{uuid:public_id}/roles/",
    operation_id="setAccountRoles",
    response=UserSummaryOut,
    summary="Set roles (admin)",
)
def set_roles(request: HttpRequest, public_id: uuid.UUID, payload: RolesIn) -> Any:
    """Admin: replace an account's roles."""
    user = _visible_user(request, public_id)
    actor = _require_role(request, ADMIN)
    return staff.set_roles(user, payload.roles, actor=actor, request=request)
