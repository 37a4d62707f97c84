from django.apps import AppConfig


class SamplePluginConfig(AppConfig):
    name = "tests.sample_plugin"
    label = "sample_plugin"
    default_auto_field = "django.db.models.BigAutoField"
