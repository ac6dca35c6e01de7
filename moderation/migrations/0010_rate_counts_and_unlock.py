"""Rate counts (moderation.throttle) for password-reset and set-password requests, and the
audit action for lifting a login lockout (issue 10)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0009_forwarded_request_id"),
    ]

    operations = [
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
            name="RateCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=100)),
                (
                    "window",
                    models.BigIntegerField(help_text="The window's start, in seconds since 1970."),
                ),
                ("hits", models.PositiveIntegerField(default=0)),
            ],
            options={
                "indexes": [models.Index(fields=["window"], name="rate_count_window")],
                "constraints": [
                    models.UniqueConstraint(fields=("key", "window"), name="rate_count_unique")
                ],
            },
        ),
    ]
