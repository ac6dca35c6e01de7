"""Full-text search indexes over comments' text (see archive/search.py), per database:
PostgreSQL a GIN index on the exact expression the queries use; SQLite an FTS5 table over
body_text, filled now and kept in step by triggers. Frozen here: nothing imported from the app.
"""

from django.db import migrations

POSTGRES = [
    "CREATE INDEX IF NOT EXISTS archive_comment_search ON archive_comment USING GIN "
    "(to_tsvector('english'::regconfig, COALESCE(body_text, '')))",
]
POSTGRES_REVERSE = ["DROP INDEX IF EXISTS archive_comment_search"]

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS archive_comment_fts USING fts5("
    "body_text, content='archive_comment', content_rowid='id', tokenize='porter unicode61')",
    "INSERT INTO archive_comment_fts(archive_comment_fts) VALUES ('rebuild')",
    "CREATE TRIGGER IF NOT EXISTS archive_comment_fts_insert AFTER INSERT ON archive_comment "
    "BEGIN INSERT INTO archive_comment_fts(rowid, body_text) VALUES (new.id, new.body_text); END",
    "CREATE TRIGGER IF NOT EXISTS archive_comment_fts_delete AFTER DELETE ON archive_comment "
    "BEGIN INSERT INTO archive_comment_fts(archive_comment_fts, rowid, body_text) "
    "VALUES ('delete', old.id, old.body_text); END",
    "CREATE TRIGGER IF NOT EXISTS archive_comment_fts_update AFTER UPDATE OF body_text "
    "ON archive_comment BEGIN "
    "INSERT INTO archive_comment_fts(archive_comment_fts, rowid, body_text) "
    "VALUES ('delete', old.id, old.body_text); "
    "INSERT INTO archive_comment_fts(rowid, body_text) VALUES (new.id, new.body_text); END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS archive_comment_fts_insert",
    "DROP TRIGGER IF EXISTS archive_comment_fts_delete",
    "DROP TRIGGER IF EXISTS archive_comment_fts_update",
    "DROP TABLE IF EXISTS archive_comment_fts",
]


def _run(by_vendor, schema_editor):
    statements = by_vendor.get(schema_editor.connection.vendor)
    if statements is None:
        raise NotImplementedError(f"no full-text search for {schema_editor.connection.vendor}")
    for sql in statements:
        schema_editor.execute(sql)


def install(apps, schema_editor):
    _run({"postgresql": POSTGRES, "sqlite": SQLITE}, schema_editor)


def remove(apps, schema_editor):
    _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("archive", "0003_comment_missing_from_source")]

    operations = [migrations.RunPython(install, remove)]
