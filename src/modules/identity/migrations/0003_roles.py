"""Create the four role groups. Their permissions are synced after every migrate
(``modules.identity.staff.sync_role_permissions``), when every app's permissions exist."""

from django.db import migrations

ROLES = ("client", "therapist", "reception", "admin")


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0002_profile_preferences_local_verification"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
