"""PostgreSQL: each comment's text search vector, stored (see archive/search.py).

Migration 0004 indexed the expression `to_tsvector('english', body_text)`: the index finds the
matches, but ranking them ("Best match") and checking a comment's words row by row (the
queue walking its own index) parsed every comment's text again, about 0.1 ms a comment. A
stored generated column holds the vector once, kept by PostgreSQL itself whenever body_text
is written (an import, an edit, COPY); the GIN index moves onto it. The model does not
declare the column: SQLite has no such type (its index is the FTS5 table of 0004, untouched
here), and Django never writes a generated column. Adding it rewrites the comment table
once (a few minutes at a million comments, the table locked meanwhile).
Frozen here: nothing imported from the app.
"""

from django.db import migrations

VECTOR = "to_tsvector('english'::regconfig, COALESCE(body_text, ''))"

POSTGRES = [
    "DROP INDEX IF EXISTS archive_comment_search",
    f"ALTER TABLE archive_comment ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS ({VECTOR}) STORED",
    "CREATE INDEX archive_comment_search ON archive_comment USING GIN (search_vector)",
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS archive_comment_search",
    "ALTER TABLE archive_comment DROP COLUMN IF EXISTS search_vector",
    f"CREATE INDEX archive_comment_search ON archive_comment USING GIN ({VECTOR})",
]


def _run(statements, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        return  # FTS5 (migration 0004) keeps no vector to store
    if vendor != "postgresql":
        raise NotImplementedError(f"no full-text search for {vendor}")
    for sql in statements:
        schema_editor.execute(sql)


def install(apps, schema_editor):
    _run(POSTGRES, schema_editor)


def remove(apps, schema_editor):
    _run(POSTGRES_REVERSE, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("archive", "0004_comment_search")]

    operations = [migrations.RunPython(install, remove)]
