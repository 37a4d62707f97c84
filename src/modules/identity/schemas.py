"""Request/response schemas of /api/users/ (the OpenAPI contract)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from platform_core.output_schema import OutputSchema
from platform_core.schemas import (
    PASSWORD_DESCRIPTION,
    Email,
    Flag,
    InputSchema,
    NewPassword,
    OtpCode,
    Phone,
    body_example,
)

Channel = Literal["sms", "whatsapp"]
NotifyChannel = Literal["whatsapp", "sms", "email"]
OptOut = Literal["whatsapp", "sms", "email", "all"]
Role = Literal["client", "therapist", "reception", "admin"]
StaffRole = Literal["therapist", "reception", "admin"]
# settings.LANGUAGES (one language today); a code outside it is refused by the schema.
Language = Literal["es-co"]


# The shape of a refresh token (a JWT) as POST /api/users/token/ returns it.
REFRESH_TOKEN_EXAMPLE = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2ln"


class RegisterIn(InputSchema):
    model_config = body_example(
        {
            "phone_number": "+573001234567",
            "password": "Zen-Bogota-2030!",
            "first_name": "Ana",
            "last_name": "Gómez",
            "email": "ana@example.com",
            "channel": "whatsapp",
            "accept_terms": True,
            "accept_data_policy": True,
        }
    )

    phone_number: str = Phone()
    password: str = NewPassword()
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    email: str = Email()
    channel: Channel | None = None
    accept_terms: Flag = False
    accept_data_policy: Flag = False
    recaptcha_token: str = Field("", max_length=4096)


class DetailOut(Schema):
    detail: str


class VerifyIn(InputSchema):
    model_config = body_example({"phone_number": "+573001234567", "code": "123456"})

    phone_number: str = Phone()
    code: str = OtpCode()


class ResendIn(InputSchema):
    model_config = body_example({"phone_number": "+573001234567", "channel": "sms"})

    phone_number: str = Phone()
    channel: Channel | None = None


class TokenPairOut(Schema):
    access: str
    refresh: str


class LoginIn(InputSchema):
    model_config = body_example({"phone_number": "+573001234567", "password": "Zen-Bogota-2030!"})

    # No pattern: a malformed number gets the same 401 as a wrong password (no hint about
    # which accounts exist).
    phone_number: str = Field(..., max_length=32, examples=["+573001234567"])
    password: str = Field(..., min_length=1, max_length=128)


class RefreshIn(InputSchema):
    model_config = body_example({"refresh": REFRESH_TOKEN_EXAMPLE})

    refresh: str = Field(..., max_length=4096)


class LogoutIn(InputSchema):
    model_config = body_example(
        {
            "refresh": REFRESH_TOKEN_EXAMPLE,
            "everywhere": False,
        }
    )

    refresh: str = Field("", max_length=4096)
    everywhere: Flag = False


class PasswordResetIn(InputSchema):
    model_config = body_example({"phone_number": "+573001234567"})

    phone_number: str = Phone()
    recaptcha_token: str = Field("", max_length=4096)


class PasswordResetConfirmIn(InputSchema):
    model_config = body_example(
        {"phone_number": "+573001234567", "code": "123456", "new_password": "Zen-Bogota-2031!"}
    )

    phone_number: str = Phone()
    code: str = OtpCode()
    new_password: str = NewPassword()


class PhoneChangeIn(InputSchema):
    model_config = body_example(
        {"new_phone_number": "+573107654321", "password": "Zen-Bogota-2030!", "channel": "sms"}
    )

    new_phone_number: str = Phone()
    password: str = Field("", max_length=128)
    # Accounts without a password: the code from POST /api/users/me/reauth-code/.
    code: str = OtpCode("")
    channel: Channel | None = None


class CodeIn(InputSchema):
    model_config = body_example({"code": "123456"})

    code: str = OtpCode()


class ReauthCodeIn(InputSchema):
    model_config = body_example({"channel": "whatsapp"})

    channel: Channel | None = None


class EraseIn(InputSchema):
    model_config = body_example({"password": "Zen-Bogota-2030!"})

    password: str = Field("", max_length=128)
    code: str = OtpCode("")


class ProfileOut(OutputSchema):
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


class ProfilePatchIn(InputSchema):
    model_config = body_example(
        {
            "first_name": "Ana María",
            "email": "ana.maria@example.com",
            "notification_channel": "whatsapp",
            "notification_opt_outs": ["email"],
        }
    )

    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    email: str | None = Email(None)
    language: Language | None = Field(None, description="Interface language (es-co only today)")
    notification_channel: NotifyChannel | None = None
    notification_opt_outs: list[OptOut] | None = Field(None, max_length=4)


class ExportOut(Schema):
    format: str
    generated_at: datetime
    user_id: uuid.UUID
    modules: dict[str, Any]


class StaffCreateIn(InputSchema):
    model_config = body_example(
        {
            "phone_number": "+573112223344",
            "roles": ["reception"],
            "first_name": "Laura",
            "last_name": "Pérez",
            "email": "laura@example.com",
        }
    )

    phone_number: str = Phone()
    roles: list[StaffRole] = Field(..., min_length=1, max_length=3)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    email: str = Email()
    password: str = NewPassword(
        "",
        description="Optional: without one the person sets it through the password reset. "
        + PASSWORD_DESCRIPTION,
    )


class RolesIn(InputSchema):
    model_config = body_example({"roles": ["therapist", "reception"]})

    roles: list[Role] = Field(..., max_length=4)


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


# Descriptions of this module's fields and parameters (platform_core.schemas.document_fields).
FIELD_DOCS: dict[str, str] = {
    "accept_terms": "The user accepted the terms of service (recorded with the policy version).",
    "accept_data_policy": "The user accepted the personal-data policy (Ley 1581 de 2012).",
    "everywhere": "true: revoke every session of the account, not only this refresh token.",
    "LoginIn.phone_number": "The account's phone number.",
    "LoginIn.password": "The account's password.",
    "EraseIn.password": "The account's password (or send `code` instead).",
    "PhoneChangeIn.password": "The account's password (or send `code` instead).",
    "pending_phone_number": "A new number waiting for its code, or empty.",
    "language": "Interface language (es-co).",
    "notification_channel": "Where the spa sends notices: whatsapp, sms or email.",
    "notification_opt_outs": "Channels the user does not want messages on (all: none at all).",
    "ProfileOut.roles": "The account's roles.",
    "phone_verified_at": "When the phone number was verified, or null.",
    "date_joined": "When the account was created.",
    "terms_accepted_at": "When the terms were accepted, or null.",
    "data_policy_accepted_at": "When the personal-data policy was accepted, or null.",
    "policy_version": "Version of the policies accepted.",
    "format": "Format of the export (studiozens-export/1).",
    "generated_at": "When the export was made.",
    "user_id": "The account's id.",
    "modules": "Each module's data about the user, by module name.",
    "is_active": "Whether the account can log in (verified and not disabled).",
    "RolesIn.roles": "The complete new set of roles (replaces the current one).",
    "StaffCreateIn.roles": "Staff roles (therapist, reception, admin): at least one.",
    "query.q": "Text in the name, phone number or e-mail.",
    "query.role": "Only accounts with this role.",
    "query.vip": "true: only VIP members; false: only non-members.",
    "path.public_id": "The account's id (UUID).",
}
