"""A throw-away module that exists only under tests/: proves a plugin needs no core edit."""

from platform_core.plugins import ModulePlugin, PeriodicTask

plugin = ModulePlugin(
    name="sample",
    app="tests.sample_plugin.apps.SamplePluginConfig",
    label="sample_plugin",
    prefix="sample/",
    router="tests.sample_plugin.api:router",
    description="Módulo de prueba",
    queues=("sample",),
    task_routes={"sample.*": "sample"},
    periodic_tasks=(
        PeriodicTask(name="sample.tick", task="sample.tick", every_seconds=300, queue="sample"),
    ),
    health_checks={"always": "tests.sample_plugin.api:health_check"},
    role_permissions={
        "reception": ("sample_plugin.view_*", "sample_plugin.add_*"),
        "admin": ("sample_plugin.*",),
    },
)
