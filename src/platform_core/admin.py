"""Admin: the audit log is read-only; the outbox is browsable (body shown only in DEBUG)
with a requeue action; encrypted values are always masked."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from platform_core.crypto import mask
from platform_core.models import (
    AuditEvent,
    IdempotencyKey,
    KeyRotationCheckpoint,
    MessagingContact,
    Notification,
    NotificationOptOut,
)
from platform_core.notifications.services import requeue_failed


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "actor_label", "target", "ip", "request_id")
    list_filter = ("action",)
    search_fields = ("action", "target", "actor_label", "request_id")
    date_hierarchy = "created_at"

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}  # no bulk delete


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "template",
        "channel",
        "masked_to",
        "status",
        "sent_via",
        "attempts",
        "error_code",
    )
    list_filter = ("status", "channel", "template", "transactional")
    search_fields = ("public_id", "provider_sid", "template", "error_code")
    date_hierarchy = "created_at"
    actions = ("requeue",)
    exclude = ("body", "context", "to")
    readonly_fields = (
        "public_id",
        "channel",
        "template",
        "user_id",
        "masked_to",
        "language",
        "subject",
        "message_body",
        "transactional",
        "idempotency_key",
        "status",
        "provider_status",
        "provider_sid",
        "sent_via",
        "attempts",
        "next_attempt_at",
        "error_code",
        "error_message",
        "created_at",
        "sent_at",
        "delivered_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="mensaje")
    def message_body(self, obj: Notification) -> str:
        # Messages can carry OTP codes: readable only on a developer's machine.
        return str(obj.body) if settings.DEBUG else mask(str(obj.body))

    @admin.action(description="Reencolar las notificaciones fallidas seleccionadas")
    def requeue(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        ids = list(queryset.values_list("id", flat=True))
        count = 0
        for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
            count += requeue_failed(statuses=("failed", "undelivered"), ids=chunk)
        self.message_user(request, f"{count} notificaciones reencoladas.", messages.SUCCESS)


@admin.register(NotificationOptOut)
class NotificationOptOutAdmin(admin.ModelAdmin):
    list_display = ("__str__", "channel", "opted_out", "updated_at")
    list_filter = ("channel", "opted_out")


@admin.register(MessagingContact)
class MessagingContactAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "last_inbound_at")


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ("scope", "user_id", "status_code", "created_at", "completed_at")
    list_filter = ("scope",)
    exclude = ("response_body",)


@admin.register(KeyRotationCheckpoint)
class KeyRotationCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("model_label", "key_fingerprint", "last_pk", "rotated", "done", "updated_at")


# --- extra admin pages (a module's own screens inside the admin site) ---------------------------
_PAGES: list[dict[str, Any]] = []


def register_admin_page(
    *,
    app_label: str,
    slug: str,
    view: Any,
    name: str,
    label: str,
    visible: Any,
) -> None:
    """Serve ``view`` at /admin/<app_label>/<slug>/ (behind the admin login) and list
    it as the first entry of that app on the admin index and sidebar for users for whom
    ``visible(user)`` is true. The view checks its own permissions too."""
    _PAGES.append(
        {
            "app_label": app_label,
            "slug": slug,
            "view": view,
            "name": name,
            "label": label,
            "visible": visible,
        }
    )


def _page_urls() -> list[Any]:
    from django.urls import path

    return [
        path(f"{p['app_label']}/{p['slug']}/", admin.site.admin_view(p["view"]), name=p["name"])
        for p in _PAGES
    ]


def _install() -> None:
    site = admin.site
    if getattr(site, "_extra_pages_installed", False):
        return
    original_urls, original_app_list = site.get_urls, site.get_app_list

    def get_urls() -> list[Any]:
        return _page_urls() + original_urls()

    def get_app_list(request: HttpRequest, app_label: str | None = None) -> list[Any]:
        from django.urls import reverse

        apps = original_app_list(request, app_label)
        by_label = {a["app_label"]: a for a in apps}
        for page in _PAGES:
            if not page["visible"](request.user):
                continue
            if app_label is not None and page["app_label"] != app_label:
                continue
            app = by_label.get(page["app_label"])
            if app is None:
                app = {
                    "name": page["app_label"].capitalize(),
                    "app_label": page["app_label"],
                    "app_url": "",
                    "has_module_perms": True,
                    "models": [],
                }
                apps.append(app)
                by_label[page["app_label"]] = app
            app["models"].insert(
                0,
                {
                    "name": page["label"],
                    "object_name": page["slug"],
                    "admin_url": reverse(f"admin:{page['name']}"),
                    "add_url": None,
                    "view_only": True,
                    "perms": {"view": True},
                },
            )
        return apps

    site.get_urls = get_urls  # type: ignore[method-assign]
    site.get_app_list = get_app_list  # type: ignore[method-assign]
    site._extra_pages_installed = True  # type: ignore[attr-defined]


_install()
