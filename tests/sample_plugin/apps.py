from django.apps import AppConfig


class SamplePluginConfig(AppConfig):
    name = "tests.sample_plugin"
    label = "sample_plugin"
