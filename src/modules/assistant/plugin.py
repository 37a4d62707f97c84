from platform_core.plugins import ModulePlugin

plugin = ModulePlugin(
    name="assistant",
    app="modules.assistant.apps.AssistantConfig",
    label="assistant",
    prefix="assistant/",
    router="modules.assistant.api:router",
    description="Asistente de WhatsApp",
    queues=("bot",),
    task_routes={"assistant.*": "bot"},
    exporter="modules.assistant.personal_data:export_user",
    eraser="modules.assistant.personal_data:erase_user",
    order=50,
)
