from platform_core.plugins import ModulePlugin

plugin = ModulePlugin(
    name="assistant",
    app="modules.assistant.apps.AssistantConfig",
    label="assistant",
    prefix="assistant/",
    description="Asistente de WhatsApp",
    order=50,
)
