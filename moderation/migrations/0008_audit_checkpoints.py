"""Signed checkpoints of the audit head (models.AuditCheckpoint), append-only like events;
and the raw-SQL gaps in the guard closed: PostgreSQL's TRUNCATE (no row trigger fires for it)
and SQLite's INSERT OR REPLACE (its implicit delete fires no delete trigger) are refused.

Frozen: the statements are written out here; with those of 0002 they are
`moderation.audit.GUARD` and `UNGUARD`, which a test checks.
"""

from django.db import migrations, models

TABLE = "moderation_auditevent"
CHECKPOINTS = "moderation_auditcheckpoint"
_REFUSE = "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"

GUARD = {
    "sqlite": [
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_replace BEFORE INSERT ON {TABLE} "
        f"WHEN EXISTS (SELECT 1 FROM {TABLE} WHERE id = NEW.id OR hash = NEW.hash) {_REFUSE}",
        f"CREATE TRIGGER IF NOT EXISTS {CHECKPOINTS}_no_update BEFORE UPDATE ON {CHECKPOINTS} "
        f"{_REFUSE}",
        f"CREATE TRIGGER IF NOT EXISTS {CHECKPOINTS}_no_delete BEFORE DELETE ON {CHECKPOINTS} "
        f"{_REFUSE}",
        f"CREATE TRIGGER IF NOT EXISTS {CHECKPOINTS}_no_replace BEFORE INSERT ON {CHECKPOINTS} "
        f"WHEN EXISTS (SELECT 1 FROM {CHECKPOINTS} WHERE id = NEW.id) {_REFUSE}",
    ],
    "postgresql": [
        f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION moderation_audit_append_only()",
        f"DROP TRIGGER IF EXISTS {CHECKPOINTS}_append_only ON {CHECKPOINTS}",
        f"CREATE TRIGGER {CHECKPOINTS}_append_only BEFORE UPDATE OR DELETE ON {CHECKPOINTS} "
        "FOR EACH ROW EXECUTE FUNCTION moderation_audit_append_only()",
        f"DROP TRIGGER IF EXISTS {CHECKPOINTS}_no_truncate ON {CHECKPOINTS}",
        f"CREATE TRIGGER {CHECKPOINTS}_no_truncate BEFORE TRUNCATE ON {CHECKPOINTS} "
        "FOR EACH STATEMENT EXECUTE FUNCTION moderation_audit_append_only()",
    ],
}
UNGUARD = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS {TABLE}_no_replace",
        f"DROP TRIGGER IF EXISTS {CHECKPOINTS}_no_update",
        f"DROP TRIGGER IF EXISTS {CHECKPOINTS}_no_delete",
        f"DROP TRIGGER IF EXISTS {CHECKPOINTS}_no_replace",
    ],
    "postgresql": [
        f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
        f"DROP TRIGGER IF EXISTS {CHECKPOINTS}_append_only ON {CHECKPOINTS}",
        f"DROP TRIGGER IF EXISTS {CHECKPOINTS}_no_truncate ON {CHECKPOINTS}",
    ],
}


def _run(statements_by_vendor, connection):
    statements = statements_by_vendor.get(connection.vendor)
    if statements is None:
        raise NotImplementedError(f"no append-only guard for {connection.vendor}")
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(apps, schema_editor):
    _run(GUARD, schema_editor.connection)


def remove(apps, schema_editor):
    _run(UNGUARD, schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0007_queue_marks")]

    operations = [
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "event_id",
                    models.PositiveBigIntegerField(help_text="The head event's id (not a key)."),
                ),
                (
                    "appended",
                    models.PositiveBigIntegerField(help_text="How many events, this one included."),
                ),
                ("head_hash", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField()),
                (
                    "key_id",
                    models.CharField(help_text="Which public key verifies it.", max_length=16),
                ),
                ("signature", models.CharField(max_length=100)),
            ],
            options={"ordering": ["appended", "pk"]},
        ),
        migrations.RunPython(install, remove),
    ]
