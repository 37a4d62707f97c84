"""The shared kernel's own plugin: health endpoints under /api/core/, the notification
queue and its beat entries, and its share of personal-data export and erasure."""

from platform_core.plugins import ModulePlugin, PeriodicTask

plugin = ModulePlugin(
    name="core",
    app="platform_core.apps.PlatformCoreConfig",
    label="platform_core",
    prefix="core/",
    router="platform_core.api:router",
    description="Salud del sistema y utilidades de la plataforma",
    error_statuses={
        "POST webhooks/twilio/status/": (403,),  # Twilio's signature
        "GET dev/outbox/": (404,),  # development only: absent with DEBUG off
    },
    exporter="platform_core.personal_data:export_user",
    eraser="platform_core.personal_data:erase_user",
    admin_technical=(
        "platform_core.idempotencykey",
        "platform_core.keyrotationcheckpoint",
        "platform_core.messagingcontact",
    ),
    queues=("celery", "notifications"),
    task_routes={
        "platform_core.deliver_notification": "notifications",
        "platform_core.relay_pending_notifications": "notifications",
    },
    periodic_tasks=(
        PeriodicTask(
            name="core.relay_pending_notifications",
            task="platform_core.relay_pending_notifications",
            every_seconds=30,
            queue="notifications",
        ),
        PeriodicTask(
            name="core.relay_task_outbox",
            task="platform_core.relay_task_outbox",
            every_seconds=15,
        ),
        PeriodicTask(
            name="core.prune_idempotency_keys",
            task="platform_core.prune_idempotency_keys",
            crontab={"minute": "17", "hour": "3"},
        ),
    ),
    # The kernel's technical tables and the beat schedule: the owner's (admin) only.
    role_permissions={"admin": ("platform_core.*", "django_celery_beat.*")},
    order=0,
)
