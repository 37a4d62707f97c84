from platform_core.plugins import ModulePlugin

plugin = ModulePlugin(
    name="identity",
    app="modules.identity.apps.IdentityConfig",
    label="identity",
    prefix="users/",
    description="Cuentas, verificación por OTP, tokens JWT y datos personales",
    user_model="identity.User",
    order=10,
)
