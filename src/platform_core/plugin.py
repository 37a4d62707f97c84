"""The shared kernel's own plugin: health endpoints under /api/core/."""

from platform_core.plugins import ModulePlugin

plugin = ModulePlugin(
    name="core",
    app="platform_core.apps.PlatformCoreConfig",
    label="platform_core",
    prefix="core/",
    router="platform_core.api:router",
    description="Salud del sistema y utilidades de la plataforma",
    queues=("celery", "notifications"),
    order=0,
)
