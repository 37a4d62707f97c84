from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender: Any, apps: Any = None, **kwargs: Any) -> None:
    from django.apps import apps as registry

    from modules.identity.staff import sync_role_permissions

    # post_migrate is sent once per app; permissions of every app exist after the last.
    if sender is not list(registry.get_app_configs())[-1]:
        return
    sync_role_permissions()


class IdentityConfig(AppConfig):
    name = "modules.identity"
    label = "identity"
    verbose_name = "Identidad"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # After every migrate, when all apps' permissions exist, grant the roles theirs.
        post_migrate.connect(_sync_roles, dispatch_uid="identity.sync_roles")
        # has_role's per-process answers end with every membership or group change.
        from modules.identity import memberships

        memberships.connect()
