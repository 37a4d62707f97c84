from platform_core.plugins import ModulePlugin, PeriodicTask

plugin = ModulePlugin(
    name="identity",
    app="modules.identity.apps.IdentityConfig",
    label="identity",
    prefix="users/",
    router="modules.identity.api:router",
    description="Cuentas, verificación por OTP, tokens JWT y datos personales",
    user_model="identity.User",
    task_routes={"identity.*": "celery"},
    periodic_tasks=(
        PeriodicTask(
            name="identity: flush expired tokens",
            task="identity.flush_expired_tokens",
            crontab={"minute": "17", "hour": "3"},
        ),
    ),
    exporter="modules.identity.personal_data:export_user",
    eraser="modules.identity.personal_data:erase_user",
    seed_demo="modules.identity.demo:seed",
    order=10,
)
