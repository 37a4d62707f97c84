"""Accounts: the phone number (E.164) is the login."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from platform_core.phones import normalize_phone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, phone_number: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(phone_number=normalize_phone(phone_number), **extra)
        if extra.get("email"):
            user.email = self.normalize_email(extra["email"])
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(
        self, phone_number: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_active", True)
        return self.create_user(phone_number, password, **extra)


class NotificationChannel(models.TextChoices):
    WHATSAPP = "whatsapp", "WhatsApp"
    SMS = "sms", "SMS"
    EMAIL = "email", "Correo"


class User(AbstractBaseUser, PermissionsMixin):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    phone_number = models.CharField("teléfono", max_length=20, unique=True)
    email = models.EmailField("correo", blank=True)
    first_name = models.CharField("nombres", max_length=150, blank=True)
    last_name = models.CharField("apellidos", max_length=150, blank=True)
    language = models.CharField("idioma", max_length=10, default="es-co")
    is_active = models.BooleanField("activo", default=False)
    is_staff = models.BooleanField("acceso al admin", default=False)
    date_joined = models.DateTimeField("fecha de registro", default=timezone.now)
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    vip_until = models.DateTimeField("VIP hasta", null=True, blank=True)
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    data_policy_accepted_at = models.DateTimeField(null=True, blank=True)
    policy_version = models.CharField(max_length=20, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    # A phone change waits here until the new number confirms an OTP.
    pending_phone_number = models.CharField(max_length=20, blank=True)
    notification_channel = models.CharField(
        "canal de notificaciones",
        max_length=10,
        choices=NotificationChannel.choices,
        default=NotificationChannel.WHATSAPP,
    )
    # Channels the user opted out of ("whatsapp", "sms", "email" or "all"); mirrored to
    # platform_core.notifications so non-transactional messages honour them.
    notification_opt_outs = models.JSONField(default=list, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "phone_number"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "usuario"
        verbose_name_plural = "usuarios"
        permissions = [
            ("export_personal_data", "Puede exportar los datos personales de un usuario"),
            ("erase_personal_data", "Puede borrar los datos personales de un usuario"),
            ("manage_roles", "Puede crear personal y asignar roles"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or f"Usuario {str(self.public_id)[:8]}"

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

    @property
    def is_vip(self) -> bool:
        return bool(self.vip_until and self.vip_until > timezone.now())


class LocalVerification(models.Model):
    """One OTP of the local verification adapter (development and tests, no Twilio).

    Mirrors Twilio Verify's semantics: one pending verification per phone, 10-minute
    expiry, at most OTP_MAX_CHECKS checks. Only a keyed hash of the code is stored.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        CANCELED = "canceled"
        MAX_ATTEMPTS = "max_attempts_reached"

    phone_number = models.CharField(max_length=20, db_index=True)
    channel = models.CharField(max_length=10)
    code_hash = models.CharField(max_length=128)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.PENDING)
    checks = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = "verificación local"
        verbose_name_plural = "verificaciones locales"
        indexes = [models.Index(fields=["phone_number", "status"])]

    def __str__(self) -> str:
        return f"{self.phone_number[:3]}… {self.status}"
