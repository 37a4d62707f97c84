"""Demo accounts (passwords documented in docs/identity.md). Idempotent."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from modules.identity.roles import ADMIN, CLIENT, RECEPTION, THERAPIST

DEMO_PASSWORD_STAFF = "StudioZens-Staff-2026!"
DEMO_PASSWORD_CLIENT = "StudioZens-Cliente-2026!"

DEMO_USERS: tuple[dict[str, Any], ...] = (
    {"phone": "+573000000001", "first": "Adriana", "last": "Admin", "role": ADMIN},
    {"phone": "+573000000002", "first": "Rocío", "last": "Recepción", "role": RECEPTION},
    {"phone": "+573000000003", "first": "Tatiana", "last": "Terapeuta", "role": THERAPIST},
    {"phone": "+573000000004", "first": "Tomás", "last": "Terapeuta", "role": THERAPIST},
    {"phone": "+573000000005", "first": "Camila", "last": "Cliente", "role": CLIENT},
    {"phone": "+573000000006", "first": "Carlos", "last": "Cliente", "role": CLIENT},
)


def seed(stdout: Any = None) -> None:
    from modules.identity.staff import set_roles, sync_role_permissions

    sync_role_permissions()
    User = get_user_model()
    for spec in DEMO_USERS:
        user = User.objects.filter(phone_number=spec["phone"]).first()
        if user is None:
            password = DEMO_PASSWORD_CLIENT if spec["role"] == CLIENT else DEMO_PASSWORD_STAFF
            user = User.objects.create_user(
                spec["phone"],
                password,
                first_name=spec["first"],
                last_name=spec["last"],
                email=f"demo{spec['phone'][-2:]}@studiozens.co",
                is_active=True,
                is_superuser=spec["role"] == ADMIN,
                phone_verified_at=timezone.now(),
            )
            if stdout is not None:
                stdout.write(f"    {spec['role']}: {spec['phone']}")
        set_roles(user, [spec["role"]])
