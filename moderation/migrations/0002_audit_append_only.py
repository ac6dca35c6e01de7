"""Make the database itself refuse UPDATE and DELETE on the audit table (SQLite and
PostgreSQL triggers), and create the head row that appends lock."""

from django.db import migrations


def install(apps, schema_editor):
    from moderation.audit import install_guard

    install_guard(schema_editor.connection)
    apps.get_model("moderation", "AuditHead").objects.get_or_create(pk=1)


def remove(apps, schema_editor):
    from moderation.audit import remove_guard

    remove_guard(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
