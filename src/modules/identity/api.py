"""/api/users/: accounts, OTP, JWT sessions, profile, staff and personal data."""

import uuid
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from modules.identity import recaptcha, selectors, services, tokens
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


@router.post("register/", auth=None, response={202: DetailOut}, summary="Sign up by phone")
def register(request: HttpRequest, payload: RegisterIn) -> Status:
    ip = client_ip(request)
    if recaptcha.required_for_signup(ip):
        recaptcha.verify(payload.recaptcha_token, remote_ip=ip)
    services.register(**payload.dict(exclude={"recaptcha_token"}), ip=ip)
    return Status(202, _sent())


@router.post("verify/", auth=None, response=TokenPairOut, summary="Confirm the phone's code")
def verify(request: HttpRequest, payload: VerifyIn) -> dict:
    return services.verify_phone(phone_number=payload.phone_number, code=payload.code)


@router.post("verify/resend/", auth=None, response={202: DetailOut}, summary="Send a new code")
def resend(request: HttpRequest, payload: ResendIn) -> Status:
    services.resend_verification(
        phone_number=payload.phone_number, channel=payload.channel, ip=client_ip(request)
    )
    return Status(202, _sent())


@router.post("token/", auth=None, response=TokenPairOut, summary="Log in (phone + password)")
def token(request: HttpRequest, payload: LoginIn) -> dict:
    return services.login(
        phone_number=payload.phone_number, password=payload.password, ip=client_ip(request)
    )


@router.post("token/refresh/", auth=None, response=TokenPairOut, summary="Rotate tokens")
def refresh(request: HttpRequest, payload: RefreshIn) -> dict:
    return tokens.rotate(payload.refresh)


@router.post("logout/", response={204: None}, summary="Revoke the refresh token(s)")
def logout(request: HttpRequest, payload: LogoutIn) -> Status:
    services.logout(request.auth, refresh=payload.refresh, everywhere=payload.everywhere)
    return Status(204, None)


@router.post("password/reset/", auth=None, response={202: DetailOut}, summary="Forgot password")
def password_reset(request: HttpRequest, payload: PasswordResetIn) -> Status:
    ip = client_ip(request)
    recaptcha.verify(payload.recaptcha_token, remote_ip=ip)
    services.start_password_reset(phone_number=payload.phone_number, ip=ip)
    return Status(202, _sent())


@router.post(
    "password/reset/confirm/", auth=None, response=TokenPairOut, summary="Set a new password"
)
def password_reset_confirm(request: HttpRequest, payload: PasswordResetConfirmIn) -> dict:
    return services.confirm_password_reset(
        phone_number=payload.phone_number, code=payload.code, new_password=payload.new_password
    )


# --- The signed-in user -------------------------------------------------------------------------


@router.get("me/", response=ProfileOut, summary="My profile")
def me(request: HttpRequest) -> dict:
    return selectors.profile(request.auth)


@router.patch("me/", response=ProfileOut, summary="Update my profile")
def update_me(request: HttpRequest, payload: ProfilePatchIn) -> dict:
    user = services.update_profile(request.auth, **payload.dict(exclude_unset=True))
    return selectors.profile(user)


@router.get("me/export/", response=ExportOut, summary="Export my personal data")
def export_me(request: HttpRequest) -> dict:
    return services.export_personal_data(request.auth, request=request)


@router.post(
    "me/reauth-code/",
    response={202: DetailOut},
    summary="Code to the current number, to confirm erasure or a phone change",
)
def reauth_code(request: HttpRequest, payload: ReauthCodeIn) -> Status:
    services.send_reauthentication_code(
        request.auth, channel=payload.channel, ip=client_ip(request)
    )
    return Status(202, _sent())


@router.delete("me/", response={204: None}, summary="Erase my account and personal data")
def erase_me(request: HttpRequest, payload: EraseIn) -> Status:
    services.erase_own_account(
        request.auth, password=payload.password, code=payload.code, request=request
    )
    return Status(204, None)


@router.post("me/phone/", response={202: DetailOut}, summary="Start a phone-number change")
def change_phone(request: HttpRequest, payload: PhoneChangeIn) -> Status:
    services.start_phone_change(
        request.auth,
        new_phone_number=payload.new_phone_number,
        password=payload.password,
        code=payload.code,
        channel=payload.channel,
        ip=client_ip(request),
    )
    return Status(202, _sent())


@router.post("me/phone/confirm/", response=ProfileOut, summary="Confirm the new number")
def confirm_phone(request: HttpRequest, payload: CodeIn) -> dict:
    return selectors.profile(services.confirm_phone_change(request.auth, code=payload.code))


# --- Staff ----------------------------------------------------------------------------------------


@router.get("", response=list[UserSummaryOut], summary="Search accounts (staff)")
@paginate(Pagination)
def list_users(
    request: HttpRequest,
    q: str = Query("", max_length=100),
    role: Role | None = None,
    vip: bool | None = None,
) -> Any:
    _require_role(request, RECEPTION, ADMIN)
    return selectors.search_users(q=q, role=role, vip=vip)


@router.post("staff/", response={201: UserSummaryOut}, summary="Create a staff account (admin)")
def create_staff(request: HttpRequest, payload: StaffCreateIn) -> Status:
    actor = _require_role(request, ADMIN)
    user = services.create_staff_account(actor=actor, request=request, **payload.dict())
    return Status(201, user)


def _visible_user(request: HttpRequest, public_id: uuid.UUID) -> Any:
    """Self, or anyone for reception/admin; everyone else gets 404 (not 403)."""
    from modules.identity.public import get_user, has_role

    if public_id == request.auth.public_id:
        return request.auth
    if not has_role(request.auth, RECEPTION, ADMIN):
        raise NotFound()
    user = get_user(public_id=public_id)
    if user.erased_at is not None:
        raise NotFound()
    return user


@router.get("{uuid:public_id}/", response=UserSummaryOut, summary="One account")
def get_account(request: HttpRequest, public_id: uuid.UUID) -> Any:
    return _visible_user(request, public_id)


@router.put("{uuid:public_id}/roles/", response=UserSummaryOut, summary="Set roles (admin)")
def set_roles(request: HttpRequest, public_id: uuid.UUID, payload: RolesIn) -> Any:
    user = _visible_user(request, public_id)
    actor = _require_role(request, ADMIN)
    return services.set_roles(user, payload.roles, actor=actor, request=request)
