from platform_core.plugins import ModulePlugin, PeriodicTask

plugin = ModulePlugin(
    name="assistant",
    app="modules.assistant.apps.AssistantConfig",
    label="assistant",
    prefix="assistant/",
    router="modules.assistant.api:router",
    schema_docs="modules.assistant.schemas:FIELD_DOCS",
    description="Asistente de WhatsApp",
    queues=("bot",),
    task_routes={"assistant.*": "bot"},
    periodic_tasks=(
        PeriodicTask(
            name="assistant: answer messages whose processing was never queued",
            task="assistant.requeue_unanswered",
            every_seconds=300,
            queue="bot",
        ),
        PeriodicTask(
            name="assistant: return unanswered handoffs to the assistant",
            task="assistant.release_stale_handoffs",
            every_seconds=300,
            queue="bot",
        ),
    ),
    error_statuses={"POST webhooks/whatsapp/": (403,)},  # Twilio's signature
    exporter="modules.assistant.personal_data:export_user",
    eraser="modules.assistant.personal_data:erase_user",
    admin_index="modules.assistant.dashboard:index_cards",
    seed_demo="modules.assistant.demo:seed",
    role_permissions={
        # The WhatsApp inbox: read and answer handed-off conversations.
        "reception": (
            "assistant.view_handoffconversation",
            "assistant.change_handoffconversation",
        ),
        "admin": ("assistant.*",),
    },
    order=50,
)
