"""Roles are Django groups; these are their names."""

CLIENT = "client"
THERAPIST = "therapist"
RECEPTION = "reception"
ADMIN = "admin"
ALL_ROLES = (CLIENT, THERAPIST, RECEPTION, ADMIN)
STAFF_ROLES = (THERAPIST, RECEPTION, ADMIN)

# What each role may do in the Django admin, as "app_label.action" or "app_label.codename"
# patterns ("*" matches any model). Applied after every migrate (see apps.ready), so
# permissions of modules that land later are granted without a new migration here.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    CLIENT: (),
    THERAPIST: ("booking.view_*",),
    RECEPTION: (
        "booking.view_*",
        "booking.add_*",
        "booking.change_*",
        "shop.view_*",
        "shop.change_*",
        "payments.view_*",
        "identity.view_user",
        "identity.change_user",
        "identity.export_personal_data",
        # The WhatsApp inbox: read and answer handed-off conversations.
        "assistant.view_handoffconversation",
        "assistant.change_handoffconversation",
    ),
    ADMIN: (
        "identity.*",
        "booking.*",
        "shop.*",
        "payments.*",
        "assistant.*",
        "platform_core.*",
        "auth.view_group",
        "django_celery_beat.*",
        "token_blacklist.*",
    ),
}
