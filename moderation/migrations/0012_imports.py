"""Uploads to import (issue 11): the ImportJob table, the audit actions for an upload and a
failed import, and the capability to import, granted to the Admin role.

ADDED is a frozen copy of what this migration grants (codenames without the app label); with
0003_roles' ROLE_CAPABILITIES it makes moderation.permissions.ROLE_CAPABILITIES (a test checks).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

ADDED = {"Admin": ["import_data"]}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("moderation")
    original = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ADDED.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="moderation", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for codenames in ADDED.values():
        Permission.objects.filter(
            content_type__app_label="moderation", codename__in=codenames
        ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0011_event_signatures"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="capability",
            options={
                "default_permissions": (),
                "managed": False,
                "permissions": [
                    ("moderate", "Tag, decide, block and annotate comments and commenters"),
                    ("view_audit", "Read the audit history"),
                    ("edit_policy", "Edit a site's policy and its categories"),
                    ("manage_users", "Manage dashboard users and their roles"),
                    ("export_data", "Export tagged comments for research"),
                    ("view_threads", "Read articles, threads, tags and agreement figures"),
                    ("import_data", "Upload exports and page captures to import"),
                ],
            },
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("tag.add", "Tag added"),
                    ("tag.retract", "Tag retracted"),
                    ("comment.approved", "Approved"),
                    ("comment.removed", "Removed"),
                    ("comment.escalated", "Escalated"),
                    ("comment.pending", "Back to pending"),
                    ("commenter.block", "Commenter blocked"),
                    ("commenter.unblock", "Commenter unblocked"),
                    ("commenter.note", "Note on commenter"),
                    ("policy.create", "Policy created"),
                    ("policy.edit", "Policy edited"),
                    ("category.add", "Category added"),
                    ("category.edit", "Category edited"),
                    ("import", "Import"),
                    ("import.upload", "File uploaded for import"),
                    ("import.failed", "Import failed"),
                    ("export", "Export"),
                    ("user.create", "User created"),
                    ("user.roles", "Roles changed"),
                    ("user.deactivate", "User deactivated"),
                    ("user.reactivate", "User reactivated"),
                    ("user.password_link", "Set-password link sent"),
                    ("user.unlock", "Login lockout lifted"),
                ],
                db_index=True,
                max_length=50,
            ),
        ),
        migrations.CreateModel(
            name="ImportJob",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "kind",
                    models.CharField(
                        help_text="The format: archive.importing.formats.", max_length=20
                    ),
                ),
                (
                    "file_name",
                    models.CharField(
                        help_text="As uploaded (shown, never opened).", max_length=255
                    ),
                ),
                ("size", models.BigIntegerField()),
                ("sha256", models.CharField(max_length=64)),
                ("site_name", models.CharField(blank=True, max_length=200)),
                ("domain", models.CharField(blank=True, max_length=253)),
                ("dry_run", models.BooleanField(default=False)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("queued", "Waiting for a worker"),
                            ("running", "Importing"),
                            ("done", "Imported"),
                            ("checked", "Checked (nothing written)"),
                            ("failed", "Not imported"),
                        ],
                        default="queued",
                        max_length=10,
                    ),
                ),
                ("task_id", models.CharField(blank=True, max_length=64)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("report", models.JSONField(blank=True, default=dict)),
                ("error", models.TextField(blank=True)),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["-created_at", "-id"], name="import_job_recent")],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
