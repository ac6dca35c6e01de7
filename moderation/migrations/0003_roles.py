"""The three roles as groups with their capabilities.

A frozen copy of `moderation.permissions.ROLE_CAPABILITIES` and `ARCHIVE_READ` as they stood
(codenames without the app label): a migration must not change meaning when the app does. A
test checks that the live definitions still agree; a change of roles is a new migration.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_CAPABILITIES = {
    "Admin": ["moderate", "view_audit", "edit_policy", "manage_users", "export_data",
              "view_threads"],
    "Moderator": ["moderate", "view_audit", "view_threads"],
    "Researcher": ["export_data", "view_threads"],
}  # fmt: skip
# Every role reads the published record (the archive's own view permissions).
ARCHIVE_READ = ["view_site", "view_article", "view_commenter", "view_comment"]


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrations; the roles need them now.
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_CAPABILITIES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="moderation", codename__in=codenames
            ),
            *Permission.objects.filter(
                content_type__app_label="archive", codename__in=ARCHIVE_READ
            ),
        )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_CAPABILITIES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0002_audit_append_only"),
        ("archive", "0002_wider_position"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
