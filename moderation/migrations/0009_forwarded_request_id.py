"""The id a trusted proxy gave a request, kept beside our own (issue 10: request ids are
ours). Nullable, so SQLite adds a column instead of copying the audit table without its
triggers."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0008_audit_checkpoints"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="forwarded_request_id",
            field=models.CharField(
                blank=True,
                help_text="The id a trusted proxy gave the request.",
                max_length=64,
                null=True,
            ),
        ),
    ]
