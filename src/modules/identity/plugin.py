from platform_core.plugins import ModulePlugin, PeriodicTask

plugin = ModulePlugin(
    name="identity",
    app="modules.identity.apps.IdentityConfig",
    label="identity",
    prefix="users/",
    router="modules.identity.api:router",
    schema_docs="modules.identity.schemas:FIELD_DOCS",
    description="Cuentas, verificación por OTP, tokens JWT y datos personales",
    user_model="identity.User",
    password_hashers=(
        "modules.identity.hashers.StudioZensArgon2Hasher",
        "modules.identity.hashers.BoundedPBKDF2Hasher",
    ),
    hashing_routes=("register/", "token/", "password/reset/confirm/"),
    task_routes={"identity.*": "celery"},
    periodic_tasks=(
        PeriodicTask(
            name="identity: flush expired tokens",
            task="identity.flush_expired_tokens",
            crontab={"minute": "17", "hour": "3"},
        ),
    ),
    # OTP sends and checks are rate limited; checks and some sends ask Twilio Verify.
    error_statuses={
        "POST register/": (429,),
        # 403 invalid_code: a well-formed code that does not match.
        "POST verify/": (403, 429, 503),
        "POST verify/resend/": (429,),
        "POST token/": (401, 429, 503),
        "POST token/refresh/": (401,),
        "POST password/reset/": (429,),
        "POST password/reset/confirm/": (403, 429, 503),
        "POST me/reauth-code/": (429, 503),
        "POST me/phone/": (429, 503),
        "POST me/phone/confirm/": (429, 503),
        "DELETE me/": (429, 503),
    },
    exporter="modules.identity.personal_data:export_user",
    eraser="modules.identity.personal_data:erase_user",
    seed_demo="modules.identity.demo:seed",
    admin_technical=("identity.localverification",),
    role_permissions={
        "reception": (
            "identity.view_user",
            "identity.change_user",
            "identity.export_personal_data",
        ),
        # Django's groups (the roles themselves) and JWT's blacklist belong with accounts.
        "admin": ("identity.*", "auth.view_group", "token_blacklist.*"),
    },
    order=10,
)
