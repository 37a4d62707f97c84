"""identity's write use-cases: accounts, OTP flows, sessions, profile, roles, personal data.

Anti-enumeration: the public flows (register, resend, password reset) answer the same
whether or not a phone has an account; they run the same rate limits and the same
number of password-hasher rounds on every path, and send codes from a Celery task
after commit so the provider's round trip is never part of the answer's timing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group
from django.core.cache import cache as django_cache
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from modules.identity import errors, tokens
from modules.identity.gateways import CHANNELS, get_gateway
from modules.identity.roles import ALL_ROLES, CLIENT, STAFF_ROLES
from platform_core import audit
from platform_core.errors import Conflict, RateLimited, ServiceUnavailable, ValidationFailed
from platform_core.outbox import enqueue as enqueue_task
from platform_core.phones import mask_phone, normalize_phone
from platform_core.plugins import (
    get_plugins,
    personal_data_erasers,
    personal_data_exporters,
    role_permissions,
)
from platform_core.ratelimit import LOCAL, OPEN, hit

logger = logging.getLogger(__name__)

OPT_OUT_CHANNELS = ("whatsapp", "sms", "email")
EXPORT_FORMAT = "studiozens.personal-data.v1"


def _user_model() -> Any:
    return get_user_model()


# --- Helpers: rate limits, lockouts, hashing ----------------------------------------------


def _ident(value: str) -> str:
    """A keyed digest so rate-limit keys in Redis never hold a phone number."""
    return salted_hmac("identity.ratelimit", value).hexdigest()[:32]


def _guard_otp_send(phone: str, ip: str | None) -> None:
    """Resend cooldown, then hourly sends per phone and per IP (429 when exceeded).

    With Redis down these count per process (LOCAL): each code costs an SMS, so a bound
    must survive the outage, and a per-process bound never refuses a first request."""
    pid = _ident(phone)
    cooldown = settings.OTP_RESEND_COOLDOWN_SECONDS
    if cooldown > 0:
        result = hit(
            f"identity:otp-cooldown:{pid}", limit=1, window_seconds=cooldown, on_outage=LOCAL
        )
        if not result.allowed:
            raise RateLimited(
                result.retry_after,
                _("Espera un momento antes de pedir otro código."),
                code="otp_cooldown",
            )
    result = hit(
        f"identity:otp-send:phone:{pid}",
        limit=settings.OTP_SENDS_PER_PHONE_PER_HOUR,
        window_seconds=3600,
        on_outage=LOCAL,
    )
    if not result.allowed:
        raise errors.too_many_sends(result.retry_after)
    if ip:
        result = hit(
            f"identity:otp-send:ip:{_ident(ip)}",
            limit=settings.OTP_SENDS_PER_IP_PER_HOUR,
            window_seconds=3600,
            on_outage=LOCAL,
        )
        if not result.allowed:
            raise errors.too_many_sends(result.retry_after)


class _Lockout:
    """Counts failures; after ``limit`` of them within ``window`` the key is locked.

    ``on_outage`` is the limiter's policy while Redis is down (platform_core.ratelimit):
    OPEN never locks (a wrong password stays a 401), LOCAL counts in this process."""

    def __init__(self, scope: str, *, limit: int, window: int, on_outage: str = OPEN) -> None:
        self.scope, self.limit, self.window = scope, limit, window
        self.on_outage = on_outage

    def _keys(self, ident: str) -> tuple[str, str]:
        base = f"identity:{self.scope}:{_ident(ident)}"
        return base, f"{base}:locked"

    def locked_for(self, ident: str) -> int:
        """Seconds left on the lock (0 when not locked)."""
        _, lock_key = self._keys(ident)
        until = django_cache.get(lock_key)
        if not until:
            return 0
        return max(1, int(until - timezone.now().timestamp()))

    def fail(self, ident: str) -> int:
        """Record a failure; returns the lock's seconds when this failure locks the key."""
        key, lock_key = self._keys(ident)
        result = hit(key, limit=self.limit, window_seconds=self.window, on_outage=self.on_outage)
        if result.allowed and (
            result.remaining > 0 or (self.on_outage == OPEN and result.degraded)
        ):
            return 0
        retry = self.window if result.allowed else result.retry_after
        django_cache.set(lock_key, timezone.now().timestamp() + retry, timeout=retry)
        return retry


def _otp_lockout() -> _Lockout:
    # LOCAL: a six-digit code must not become guessable while Redis is down.
    return _Lockout(
        "otp-fail",
        limit=settings.OTP_MAX_CHECKS,
        window=settings.OTP_CODE_TTL_SECONDS,
        on_outage=LOCAL,
    )


def _login_lockouts() -> tuple[_Lockout, _Lockout]:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    return (
        _Lockout("login-fail:phone", limit=settings.LOGIN_FAILURES_PER_PHONE, window=window),
        _Lockout("login-fail:ip", limit=settings.LOGIN_FAILURES_PER_IP, window=window),
    )


@cache
def _dummy_hash() -> str:
    return make_password("studiozens-timing-equaliser")


def _password_matches(user: Any, password: str) -> bool:
    """Always one full hasher round, also for unknown phones and unusable passwords.
    ``user.check_password`` re-hashes a correct password whose stored hash uses an older
    hasher or other parameters (PBKDF2 -> Argon2id) and saves it."""
    if user is not None and user.has_usable_password():
        return user.check_password(password)
    check_password(password, _dummy_hash())
    return False


def _validate_password(password: str, user: Any) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            _("La contraseña no es suficientemente segura."),
            code="weak_password",
            details=[{"field": "password", "message": str(m)} for m in exc.messages],
        ) from None


def _validate_channel(channel: str | None) -> str:
    channel = channel or settings.OTP_DEFAULT_CHANNEL
    if channel not in CHANNELS:
        raise ValidationFailed(
            _("El canal debe ser sms o whatsapp."),
            details=[{"field": "channel", "message": _("Usa sms o whatsapp.")}],
        )
    return channel


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    if not email:
        return ""
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed(
            _("El correo no es válido."),
            details=[{"field": "email", "message": _("Revisa el correo.")}],
        ) from None
    return _user_model().objects.normalize_email(email)


def _enqueue_verification(phone: str, channel: str) -> None:
    """The code is sent by a task recorded in platform_core's task outbox, in this
    transaction: a broker outage delays it (the relay publishes it when the broker is back)
    but neither loses it nor fails the request."""
    from modules.identity.tasks import send_verification

    enqueue_task(send_verification, args=(phone, channel))


def check_code(phone: str, code: str) -> bool:
    """Ask the gateway, locking the phone's verification after OTP_MAX_CHECKS failures."""
    lockout = _otp_lockout()
    if lockout.locked_for(phone):
        raise errors.too_many_checks()
    code = (code or "").strip()
    approved = code.isdigit() and 4 <= len(code) <= 10 and get_gateway().check(phone, code)
    if not approved and lockout.fail(phone):
        audit.record("otp.locked", target=f"phone:{mask_phone(phone)}")
        raise errors.too_many_checks()
    return bool(approved)


def _live_user(phone: str) -> Any | None:
    return _user_model().objects.filter(phone_number=phone, erased_at__isnull=True).first()


def _activate(user: Any) -> None:
    now = timezone.now()
    changed = ["phone_verified_at"]
    user.phone_verified_at = now
    if not user.is_active:
        user.is_active = True
        changed.append("is_active")
    user.save(update_fields=changed)
    if not user.groups.exists():
        user.groups.add(Group.objects.get_or_create(name=CLIENT)[0])


# --- Registration ---------------------------------------------------------------------------


def register(
    *,
    phone_number: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    channel: str | None = None,
    accept_terms: bool = False,
    accept_data_policy: bool = False,
    ip: str | None = None,
) -> None:
    """Create an inactive account and send a code. Says nothing about existing accounts."""
    phone = normalize_phone(phone_number)
    channel = _validate_channel(channel)
    email = _clean_email(email)
    User = _user_model()
    _validate_password(
        password, User(phone_number=phone, first_name=first_name, last_name=last_name)
    )
    _guard_otp_send(phone, ip)
    password_hash = make_password(password)
    now = timezone.now()
    consents: dict[str, Any] = {}
    if accept_terms:
        consents["terms_accepted_at"] = now
    if accept_data_policy:
        consents["data_policy_accepted_at"] = now
    if consents:
        consents["policy_version"] = settings.DATA_POLICY_VERSION

    with transaction.atomic():
        user = User.objects.select_for_update().filter(phone_number=phone).first()
        same_password = _password_matches(user, password)  # equal hasher cost on every path
        if user is None:
            try:
                with transaction.atomic():
                    User.objects.create(
                        phone_number=phone,
                        password=password_hash,
                        first_name=first_name,
                        last_name=last_name,
                        email=email,
                        is_active=False,
                        **consents,
                    )
            except IntegrityError:
                return  # a concurrent registration won; answer the same
            audit.record("auth.signup_started", target=f"phone:{mask_phone(phone)}", ip=ip)
        elif user.is_active or user.erased_at is not None:
            return  # an existing account: same answer, no code, no change
        else:
            # A second registration of an unverified number: whoever confirms the code
            # owns the account, so a password set by someone else must not survive.
            if not same_password:
                user.set_unusable_password()
            user.first_name = user.first_name or first_name
            user.last_name = user.last_name or last_name
            user.email = user.email or email
            for field, value in consents.items():
                setattr(user, field, value)
            user.save()
        _enqueue_verification(phone, channel)


def resend_verification(*, phone_number: str, channel: str | None = None, ip: str | None) -> None:
    """Send a new code to a pending registration (same answer for any number)."""
    phone = normalize_phone(phone_number)
    channel = _validate_channel(channel)
    _guard_otp_send(phone, ip)
    user = _live_user(phone)
    if user is not None and not user.is_active:
        _enqueue_verification(phone, channel)


def verify_phone(*, phone_number: str, code: str) -> dict[str, str]:
    """Confirm the code: activates a pending account (or signs in a verified one)."""
    phone = normalize_phone(phone_number)
    if not check_code(phone, code):
        raise errors.InvalidCode()
    user = _live_user(phone)
    if user is None:
        raise errors.InvalidCode()
    was_active = user.is_active
    _activate(user)
    audit.record("auth.phone_verified", actor=user, details={"activated": not was_active})
    return tokens.issue_pair(user)


# --- Sessions ---------------------------------------------------------------------------------


def login(*, phone_number: str, password: str, ip: str | None) -> dict[str, str]:
    try:
        phone = normalize_phone(phone_number)
    except ValidationFailed:
        phone = ""
    by_phone, by_ip = _login_lockouts()
    wait = max(by_phone.locked_for(phone) if phone else 0, by_ip.locked_for(ip or "-"))
    if wait:
        raise RateLimited(wait, _("Demasiados intentos fallidos. Intenta más tarde."))
    user = _live_user(phone) if phone else None
    if not _password_matches(user, password):
        locked = max(by_phone.fail(phone) if phone else 0, by_ip.fail(ip or "-"))
        audit.record("auth.login_failed", target=f"phone:{mask_phone(phone)}", ip=ip)
        if locked:
            raise RateLimited(locked, _("Demasiados intentos fallidos. Intenta más tarde."))
        raise errors.InvalidCredentials()
    if not user.is_active:
        raise errors.AccountNotVerified()
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    audit.record("auth.login", actor=user, ip=ip)
    return tokens.issue_pair(user)


def logout(user: Any, *, refresh: str = "", everywhere: bool = False) -> None:
    if everywhere:
        tokens.revoke_all(user)
    if refresh:
        tokens.revoke(refresh, user)
    audit.record("auth.logout", actor=user, details={"everywhere": everywhere})


# --- Password reset and phone change ------------------------------------------------------------


def start_password_reset(*, phone_number: str, ip: str | None) -> None:
    phone = normalize_phone(phone_number)
    _guard_otp_send(phone, ip)
    if _live_user(phone) is not None:
        _enqueue_verification(phone, settings.OTP_DEFAULT_CHANNEL)


def confirm_password_reset(*, phone_number: str, code: str, new_password: str) -> dict[str, str]:
    phone = normalize_phone(phone_number)
    user = _live_user(phone)
    _validate_password(new_password, user or _user_model()(phone_number=phone))
    if not check_code(phone, code) or user is None:
        raise errors.InvalidCode()
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _activate(user)
    tokens.revoke_all(user)  # a reset ends every other session
    audit.record("auth.password_reset", actor=user)
    return tokens.issue_pair(user)


def _reauthenticate(user: Any, *, password: str = "", code: str = "") -> None:
    """Proof of presence for sensitive changes: the password, or a fresh OTP."""
    if password:
        lockout = _Lockout("reauth", limit=settings.LOGIN_FAILURES_PER_PHONE, window=900)
        if lockout.locked_for(str(user.pk)):
            raise RateLimited(lockout.locked_for(str(user.pk)))
        if user.has_usable_password() and user.check_password(password):
            return
        if lockout.fail(str(user.pk)):
            raise RateLimited(lockout.window)
    elif code and check_code(user.phone_number, code):
        return
    raise errors.ReauthenticationFailed()


def send_reauthentication_code(user: Any, *, channel: str | None = None, ip: str | None) -> None:
    """A code to the account's own phone, for erasure without a password."""
    channel = _validate_channel(channel)
    _guard_otp_send(user.phone_number, ip)
    get_gateway().start(user.phone_number, channel)


def start_phone_change(
    user: Any,
    *,
    new_phone_number: str,
    password: str = "",
    code: str = "",
    channel: str | None = None,
    ip: str | None,
) -> None:
    """Send a code to the new number; the change happens when it is confirmed. Moving the
    login is proof-of-presence work: the password, or a code sent to the current number
    (``me/reauth-code/``), so a stolen access token alone cannot take the account."""
    new_phone = normalize_phone(new_phone_number)
    channel = _validate_channel(channel)
    _reauthenticate(user, password=password, code=code)
    if new_phone == user.phone_number:
        raise Conflict(_("El número nuevo es igual al actual."), code="same_phone")
    _guard_otp_send(new_phone, ip)
    user.pending_phone_number = new_phone
    user.save(update_fields=["pending_phone_number"])
    get_gateway().start(new_phone, channel)


def confirm_phone_change(user: Any, *, code: str) -> Any:
    new_phone = user.pending_phone_number
    if not new_phone:
        raise Conflict(_("No hay un cambio de número pendiente."), code="no_pending_phone_change")
    if not check_code(new_phone, code):
        raise errors.InvalidCode()
    User = _user_model()
    old_phone = user.phone_number
    try:
        with transaction.atomic():
            if User.objects.filter(phone_number=new_phone).exclude(pk=user.pk).exists():
                raise errors.PhoneTaken()
            user.phone_number = new_phone
            user.pending_phone_number = ""
            user.phone_verified_at = timezone.now()
            user.save(update_fields=["phone_number", "pending_phone_number", "phone_verified_at"])
    except IntegrityError:
        raise errors.PhoneTaken() from None
    audit.record(
        "auth.phone_changed",
        actor=user,
        details={"from": mask_phone(old_phone), "to": mask_phone(new_phone)},
    )
    return user


# --- Profile ----------------------------------------------------------------------------------


def update_profile(user: Any, **changes: Any) -> Any:
    """Apply the given fields (names, email, language, notification preferences)."""
    fields: list[str] = []
    for name in ("first_name", "last_name"):
        if changes.get(name) is not None:
            setattr(user, name, changes[name].strip())
            fields.append(name)
    if changes.get("email") is not None:
        user.email = _clean_email(changes["email"])
        fields.append("email")
    if changes.get("language") is not None:
        languages = {code for code, _name in settings.LANGUAGES}
        if changes["language"] not in languages:
            raise ValidationFailed(
                _("Idioma no disponible."),
                details=[{"field": "language", "message": ", ".join(sorted(languages))}],
            )
        user.language = changes["language"]
        fields.append("language")
    if changes.get("notification_channel") is not None:
        user.notification_channel = changes["notification_channel"]
        fields.append("notification_channel")
    opt_outs = changes.get("notification_opt_outs")
    if opt_outs is not None:
        user.notification_opt_outs = sorted(set(opt_outs))
        fields.append("notification_opt_outs")
    if fields:
        user.save(update_fields=fields)
    if opt_outs is not None:
        _sync_opt_outs(user)
    return user


def _sync_opt_outs(user: Any) -> None:
    from platform_core.notifications import set_opt_out

    every = "all" in user.notification_opt_outs
    for channel in OPT_OUT_CHANNELS:
        set_opt_out(
            user_id=user.pk,
            channel=channel,
            opted_out=every or channel in user.notification_opt_outs,
        )


# --- Staff and roles --------------------------------------------------------------------------


def _role_groups(roles: Iterable[str]) -> list[Group]:
    roles = list(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in ALL_ROLES]
    if unknown:
        raise ValidationFailed(
            _("Rol desconocido."), details=[{"field": "roles", "message": ", ".join(unknown)}]
        )
    return [Group.objects.get_or_create(name=r)[0] for r in roles]


def set_roles(user: Any, roles: Iterable[str], *, actor: Any = None, request: Any = None) -> Any:
    """Replace the user's role groups (other groups stay) and audit the change."""
    groups = _role_groups(roles)
    new_roles = sorted(g.name for g in groups)
    before = sorted(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
    if actor is not None and actor.pk == user.pk and "admin" in before and "admin" not in new_roles:
        raise Conflict(
            _("No puedes quitarte tu propio rol de administrador."), code="self_demotion"
        )
    with transaction.atomic():
        user.groups.remove(*Group.objects.filter(name__in=ALL_ROLES))
        user.groups.add(*groups)
        is_staff = user.is_superuser or any(r in STAFF_ROLES for r in new_roles)
        if user.is_staff != is_staff:
            user.is_staff = is_staff
            user.save(update_fields=["is_staff"])
        if before != new_roles:
            audit.record(
                "roles.changed",
                actor=actor,
                request=request,
                target=f"user:{user.public_id}",
                details={"before": before, "after": new_roles},
            )
    return user


def create_staff_account(
    *,
    actor: Any,
    phone_number: str,
    roles: Iterable[str],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    password: str = "",
    request: Any = None,
) -> Any:
    """An active account for staff. Without a password the person sets one via reset."""
    phone = normalize_phone(phone_number)
    roles = list(roles)
    if not roles or any(r not in STAFF_ROLES for r in roles):
        raise ValidationFailed(
            _("Indica al menos un rol de personal."),
            details=[{"field": "roles", "message": ", ".join(STAFF_ROLES)}],
        )
    User = _user_model()
    email = _clean_email(email)
    if password:
        _validate_password(password, User(phone_number=phone, first_name=first_name))
    with transaction.atomic():
        if User.objects.filter(phone_number=phone).exists():
            raise errors.PhoneTaken()
        user = User.objects.create_user(
            phone,
            password or None,
            first_name=first_name,
            last_name=last_name,
            email=email,
            is_active=True,
            is_staff=True,
        )
        audit.record(
            "staff.created",
            actor=actor,
            request=request,
            target=f"user:{user.public_id}",
            details={"roles": sorted(roles)},
        )
        set_roles(user, roles, actor=actor, request=request)
    return user


def role_permission_patterns() -> dict[str, tuple[str, ...]]:
    """Each role's permission patterns, as the enabled plugins declare them (every role is
    present, possibly empty). A plugin naming a role identity does not know is an error."""
    declared = role_permissions(get_plugins())
    unknown = sorted(set(declared) - set(ALL_ROLES))
    if unknown:
        raise ImproperlyConfigured(f"plugins grant permissions to unknown roles: {unknown}")
    return {role: declared.get(role, ()) for role in ALL_ROLES}


def sync_role_permissions() -> None:
    """Create the role groups and grant what the plugins declare for each (idempotent; runs
    after migrate)."""
    from django.contrib.auth.models import Permission

    permissions = list(Permission.objects.select_related("content_type"))
    for role, patterns in role_permission_patterns().items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = [p for p in permissions if _matches(p, patterns)]
        group.permissions.add(*wanted)


def _matches(permission: Any, patterns: Iterable[str]) -> bool:
    label = permission.content_type.app_label
    codename = permission.codename
    for pattern in patterns:
        app, _dot, rule = pattern.partition(".")
        if app != label:
            continue
        if rule == "*" or rule == codename:
            return True
        if rule.endswith("_*") and codename.startswith(rule[:-1]):
            return True
    return False


def get_or_create_client_by_phone(phone_number: str) -> Any:
    """For reception's walk-ins: an active client with no usable password."""
    phone = normalize_phone(phone_number)
    user = _live_user(phone)
    if user is not None:
        return user
    User = _user_model()
    try:
        with transaction.atomic():
            user = User.objects.create_user(phone, None, is_active=True)
    except IntegrityError:
        return _live_user(phone) or _raise_taken()
    user.groups.add(Group.objects.get_or_create(name=CLIENT)[0])
    audit.record("auth.client_created", target=f"user:{user.public_id}")
    return user


def _raise_taken() -> Any:
    raise errors.PhoneTaken()


def start_phone_verification(phone_number: str, channel: str = "whatsapp") -> None:
    """Send a code now (the assistant's sign-up); provider errors surface as 4xx."""
    phone = normalize_phone(phone_number)
    channel = _validate_channel(channel)
    _guard_otp_send(phone, None)
    get_gateway().start(phone, channel)


def confirm_phone_verification(phone_number: str, code: str) -> Any:
    """Check a code; returns the (now active) account, creating a client if none exists."""
    phone = normalize_phone(phone_number)
    if not check_code(phone, code):
        raise errors.InvalidCode()
    user = _live_user(phone) or get_or_create_client_by_phone(phone)
    _activate(user)
    audit.record("auth.phone_verified", actor=user, details={"via": "assistant"})
    return user


# --- Personal data ----------------------------------------------------------------------------


def export_personal_data(user: Any, *, actor: Any = None, request: Any = None) -> dict[str, Any]:
    """One document with what every enabled module holds about ``user``."""
    modules = {name: exporter(user) for name, exporter in personal_data_exporters().items()}
    audit.record(
        "personal_data.exported",
        actor=actor if actor is not None else user,
        request=request,
        target=f"user:{user.public_id}",
        details={"modules": sorted(modules)},
    )
    return {
        "format": EXPORT_FORMAT,
        "generated_at": timezone.now(),
        "user_id": str(user.public_id),
        "modules": modules,
    }


def erase_account(user: Any, *, actor: Any = None, request: Any = None) -> datetime:
    """Erase through every module's eraser (identity's last), revoke sessions, audit.

    All or nothing: one failing eraser rolls the whole erasure back.
    """
    if user.erased_at is not None:
        return user.erased_at
    erasers = personal_data_erasers()
    own = erasers.pop("identity", None)
    target = f"user:{user.public_id}"
    with transaction.atomic():
        for name, eraser in sorted(erasers.items()):
            try:
                eraser(user)
            except Exception as exc:
                # Roll everything back: a half-erased account is worse than none.
                logger.exception("personal-data eraser %s failed", name)
                raise ServiceUnavailable(
                    _("No pudimos borrar tus datos en este momento. Intenta más tarde."),
                    code="erasure_failed",
                ) from exc
        tokens.revoke_all(user)
        if own is not None:
            own(user)
        audit.record(
            "personal_data.erased",
            actor=actor,
            request=request,
            target=target,
            details={"modules": sorted([*erasers, *(["identity"] if own else [])])},
        )
    return user.erased_at


def erase_own_account(
    user: Any, *, password: str = "", code: str = "", request: Any = None
) -> None:
    _reauthenticate(user, password=password, code=code)
    erase_account(user, actor=user, request=request)
