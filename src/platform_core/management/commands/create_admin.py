"""Create (or update) the first administrator from environment variables, non-interactively.

    ADMIN_PHONE=+573001234567 ADMIN_PASSWORD='...' [ADMIN_EMAIL=ops@studiozens.co] \\
        python manage.py create_admin

Idempotent: running it again updates the password/e-mail and keeps one account. Works with
any user model (get_user_model(), USERNAME_FIELD); phone numbers are normalised to E.164.
Adds the user to the "admin" group when that group exists (roles are groups).
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from platform_core.errors import ValidationFailed
from platform_core.phones import mask_phone, normalize_phone

ADMIN_GROUP = "admin"


class Command(BaseCommand):
    help = "Create or update a superuser from ADMIN_PHONE / ADMIN_PASSWORD / ADMIN_EMAIL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--keep-password",
            action="store_true",
            help="do not change the password of an existing account",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        phone_raw = os.environ.get("ADMIN_PHONE", "").strip()
        password = os.environ.get("ADMIN_PASSWORD", "")
        email = os.environ.get("ADMIN_EMAIL", "").strip()
        if not phone_raw or not password:
            raise CommandError("ADMIN_PHONE and ADMIN_PASSWORD must be set")
        try:
            phone = normalize_phone(phone_raw)
        except ValidationFailed as exc:
            raise CommandError("ADMIN_PHONE is not a valid phone number (use +57...)") from exc

        user_model = get_user_model()
        username_field = user_model.USERNAME_FIELD
        with transaction.atomic():
            user = (
                user_model._default_manager.select_for_update()
                .filter(**{username_field: phone})
                .first()
            )
            created = user is None
            if created:
                user = user_model(**{username_field: phone})
            if email and hasattr(user, "email"):
                user.email = user_model._default_manager.normalize_email(email)
            if created or not options["keep_password"]:
                try:
                    validate_password(password, user=user)
                except ValidationError as exc:
                    raise CommandError("ADMIN_PASSWORD: " + " ".join(exc.messages)) from exc
                user.set_password(password)
            for flag in ("is_active", "is_staff", "is_superuser"):
                if hasattr(user, flag):
                    setattr(user, flag, True)
            user.save()
            group = Group.objects.filter(name=ADMIN_GROUP).first()
            if group is not None:
                user.groups.add(group)
        verb = "created" if created else "updated"
        self.stdout.write(self.style.SUCCESS(f"Administrator {verb}: {mask_phone(phone)}"))
