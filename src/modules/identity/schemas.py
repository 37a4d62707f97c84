"""Request/response schemas of /api/users/ (the OpenAPI contract)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

Channel = Literal["sms", "whatsapp"]
NotifyChannel = Literal["whatsapp", "sms", "email"]
OptOut = Literal["whatsapp", "sms", "email", "all"]
Role = Literal["client", "therapist", "reception", "admin"]
StaffRole = Literal["therapist", "reception", "admin"]


class RegisterIn(Schema):
    phone_number: str = Field(..., max_length=32, examples=["+573001234567"])
    password: str = Field(..., min_length=1, max_length=128)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    email: str = Field("", max_length=254)
    channel: Channel | None = None
    accept_terms: bool = False
    accept_data_policy: bool = False
    recaptcha_token: str = Field("", max_length=4096)


class DetailOut(Schema):
    detail: str


class VerifyIn(Schema):
    phone_number: str = Field(..., max_length=32)
    code: str = Field(..., max_length=10)


class ResendIn(Schema):
    phone_number: str = Field(..., max_length=32)
    channel: Channel | None = None


class TokenPairOut(Schema):
    access: str
    refresh: str


class LoginIn(Schema):
    phone_number: str = Field(..., max_length=32)
    password: str = Field(..., max_length=128)


class RefreshIn(Schema):
    refresh: str = Field(..., max_length=4096)


class LogoutIn(Schema):
    refresh: str = Field("", max_length=4096)
    everywhere: bool = False


class PasswordResetIn(Schema):
    phone_number: str = Field(..., max_length=32)
    recaptcha_token: str = Field("", max_length=4096)


class PasswordResetConfirmIn(Schema):
    phone_number: str = Field(..., max_length=32)
    code: str = Field(..., max_length=10)
    new_password: str = Field(..., min_length=1, max_length=128)


class PhoneChangeIn(Schema):
    new_phone_number: str = Field(..., max_length=32)
    password: str = Field("", max_length=128)
    # Accounts without a password: the code from POST /api/users/me/reauth-code/.
    code: str = Field("", max_length=10)
    channel: Channel | None = None


class CodeIn(Schema):
    code: str = Field(..., max_length=10)


class ReauthCodeIn(Schema):
    channel: Channel | None = None


class EraseIn(Schema):
    password: str = Field("", max_length=128)
    code: str = Field("", max_length=10)


class ProfileOut(Schema):
    id: uuid.UUID
    phone_number: str
    pending_phone_number: str
    email: str
    first_name: str
    last_name: str
    language: str
    notification_channel: str
    notification_opt_outs: list[str]
    roles: list[str]
    is_vip: bool
    vip_until: datetime | None
    phone_verified_at: datetime | None
    date_joined: datetime
    terms_accepted_at: datetime | None
    data_policy_accepted_at: datetime | None
    policy_version: str


class ProfilePatchIn(Schema):
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    email: str | None = Field(None, max_length=254)
    language: str | None = Field(None, max_length=10)
    notification_channel: NotifyChannel | None = None
    notification_opt_outs: list[OptOut] | None = None


class ExportOut(Schema):
    format: str
    generated_at: datetime
    user_id: uuid.UUID
    modules: dict[str, Any]


class StaffCreateIn(Schema):
    phone_number: str = Field(..., max_length=32)
    roles: list[StaffRole] = Field(..., min_length=1)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    email: str = Field("", max_length=254)
    password: str = Field("", max_length=128)


class RolesIn(Schema):
    roles: list[Role]


class UserSummaryOut(Schema):
    """Read from a User instance."""

    id: uuid.UUID = Field(..., alias="public_id")
    phone_number: str
    first_name: str
    last_name: str
    email: str
    roles: list[str]
    is_active: bool
    is_vip: bool
    vip_until: datetime | None

    @staticmethod
    def resolve_roles(obj: Any) -> list[str]:
        from modules.identity.selectors import roles_of

        return roles_of(obj)
