from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "modules.assistant"
    label = "assistant"
    verbose_name = "Asistente"
    default_auto_field = "django.db.models.BigAutoField"
