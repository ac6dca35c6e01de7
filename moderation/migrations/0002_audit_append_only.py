"""Make the database itself refuse UPDATE and DELETE on the audit table (SQLite and
PostgreSQL triggers), and create the head row that appends lock.

The SQL is frozen here, as migrations must not change meaning when app code changes later;
`moderation.audit` keeps the live copy (tests put the guard back after a flush with it), and
a test checks that the two agree.
"""

from django.db import migrations

TABLE = "moderation_auditevent"

GUARD = {
    "sqlite": [
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION moderation_audit_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP; END $$",
        f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION moderation_audit_append_only()",
    ],
}
UNGUARD = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
        f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
    ],
    "postgresql": [f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}"],
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
    apps.get_model("moderation", "AuditHead").objects.get_or_create(pk=1)


def remove(apps, schema_editor):
    _run(UNGUARD, schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
