"""Every audit event signed as it is appended, when a signing key is configured (issue 10:
an event forged at the head with raw SQL has no signature that holds). Nullable, so SQLite
adds a column instead of copying the audit table without its triggers."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0010_rate_counts_and_unlock"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="signature",
            field=models.CharField(blank=True, max_length=120, null=True),
        ),
    ]
