"""Rows straight into tables, as fast as each database takes them: on SQLite one INSERT of a
few hundred rows at a time (one statement per row, as `executemany` runs it, costs each row
a statement's overhead, and on an AUTOINCREMENT table an update of `sqlite_sequence`), on
PostgreSQL `COPY … FROM STDIN` (psycopg 3). For generating corpora only: nothing here
checks a rule, sends a signal or writes an audit event; `moderation.corpus.build` makes rows
that keep the rules, and the tests check that they do.

Tables and columns are read from the models, and a field the caller does not fill gets what
Django would save for it (its default, "" for text, NULL where allowed), so a column added
to a model later is filled or named in a clear error, never silently skipped.
"""

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import chain

from django.core.management.color import no_style
from django.db import OperationalError
from django.db import connection as default_connection

from archive import search
from archive.models import Comment
from moderation.models import AuditEvent

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Only for the load, then put back: SQLite keeps its working set in memory, does not wait
# for the disk at each commit (a crash mid-load loses the load, nothing older), and does not
# look up each row's foreign keys (the tests check the generated rows' integrity instead).
SQLITE_LOAD_PRAGMAS = {
    "synchronous": "OFF",
    "cache_size": "-1000000",
    "temp_store": "MEMORY",
    "foreign_keys": "OFF",
    "threads": "2",
}
# And the rollback journal rather than the write-ahead log: the log takes every page the
# load writes and copies it into the database again at the checkpoint (at a million
# comments, a second gigabyte written), where a rollback journal keeps only the pages that
# were there before (a few, in an empty archive). WAL comes back after the load; SQLite
# keeps it while another connection has the database open, and then so does the load.
SQLITE_LOAD_JOURNAL = "delete"
# Each table's indexes that no constraint needs: (table, name, the SQL that makes it).
INDEXES = {
    "sqlite": "SELECT tbl_name, name, sql, (SELECT name FROM pragma_index_info(m.name) "
    "WHERE seqno = 0) FROM sqlite_master m WHERE type = 'index' "
    "AND sql IS NOT NULL AND tbl_name IN (SELECT value FROM json_each(%s))",
    "postgresql": "SELECT t.relname, c.relname, pg_get_indexdef(c.oid), NULL FROM pg_index x "
    "JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
    "WHERE t.relname = ANY(%s) AND t.relnamespace = current_schema()::regnamespace "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid "
    "AND k.conrelid = t.oid AND k.contype IN ('p', 'u', 'x'))",
}
# PostgreSQL: each table's foreign keys, (table, name, definition).
FOREIGN_KEYS = (
    "SELECT t.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
    "JOIN pg_class t ON t.oid = k.conrelid WHERE k.contype = 'f' AND t.relname = ANY(%s) "
    "AND t.relnamespace = current_schema()::regnamespace"
)


# SQLite: rows per INSERT statement (fewer when a row has many columns: see `Table`).
ROWS_PER_STATEMENT = 500
# SQLite's full-text index keeps this much of what it indexes in memory before writing a
# segment (1 MB by default): fewer, larger segments to merge make the rebuild a third
# cheaper. Only for the rebuild; the default is put back after it.
FTS_HASHSIZE, FTS_DEFAULT_HASHSIZE = 64 * 1024 * 1024, 1024 * 1024
DAY = 24 * 3600


class UnsupportedDatabase(Exception):
    pass


def moment(seconds: int) -> datetime:
    """A time given in seconds since 1970, as an aware UTC datetime."""
    return EPOCH + timedelta(seconds=seconds)


class Times:
    """Whole seconds since 1970 (UTC) as text, the way each database's column takes them:
    SQLite keeps naive UTC text (what Django's own adapter writes for whole seconds),
    PostgreSQL reads `…+00` as a timestamptz from COPY's text. A day's date and a time of
    day are each formatted once, so a million times cost a million lookups, not a million
    `strftime` calls (or datetimes for the driver to format again)."""

    def __init__(self, vendor: str):
        self.zone = "" if vendor == "sqlite" else "+00"
        self.clock = [f"{s // 3600:02}:{s // 60 % 60:02}:{s % 60:02}" for s in range(DAY)]
        self.days: dict[int, str] = {}

    def day(self, day: int) -> str:
        text = self.days.get(day)
        if text is None:
            text = self.days[day] = time.strftime("%Y-%m-%d", time.gmtime(day * DAY))
        return text

    def __call__(self, seconds: int) -> str:
        day, second = divmod(seconds, DAY)
        return f"{self.day(day)} {self.clock[second]}{self.zone}"

    def many(self, seconds: list[int]) -> list[str]:
        """`self(s)` for each of `seconds` (a thread's times, mostly on a few days)."""
        days, clock, zone, day = self.days, self.clock, self.zone, self.day
        out = []
        for moment_ in seconds:
            date, second = divmod(moment_, DAY)
            out.append(f"{days.get(date) or day(date)} {clock[second]}{zone}")
        return out

    def iso(self, seconds: int) -> str:
        """As `moment(seconds).isoformat()`: what the audit log's canonical form hashes."""
        day, second = divmod(seconds, DAY)
        return f"{self.day(day)}T{self.clock[second]}+00:00"


class Table:
    """One model's table: the columns the caller fills, in `fields` order, then the rest with
    what Django would save for them."""

    def __init__(self, connection, model, fields: list[str]):
        meta = model._meta
        given = [meta.get_field(name) for name in fields]
        attnames = {f.attname for f in given}
        rest = [f for f in meta.concrete_fields if f.attname not in attnames and not f.primary_key]
        self.defaults = tuple(self._default(connection, f) for f in rest)
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in [*given, *rest])
        self.width = len(given) + len(rest)
        if connection.vendor == "sqlite":
            self.insert = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "
            self.marks = f"({', '.join('?' * self.width)})"
            limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
            self.per_statement = max(1, min(ROWS_PER_STATEMENT, limit // self.width))
            self.sql = self.statement(self.per_statement)
        else:
            self.sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"

    def statement(self, rows: int) -> str:
        """SQLite: an INSERT of `rows` rows."""
        return self.insert + ", ".join([self.marks] * rows)

    @staticmethod
    def _default(connection, field):
        value = field.get_default()
        if value is not None or field.null:
            return field.get_db_prep_save(value, connection)
        raise ValueError(
            f"generate_corpus does not fill {field.model.__name__}.{field.name}, which has no "
            "default: teach moderation/corpus/build.py what to put there"
        )


class Bulk:
    """Writes rows in the current transaction of `connection`, and counts them by model."""

    def __init__(self, connection=default_connection):
        if connection.vendor not in ("sqlite", "postgresql"):
            raise UnsupportedDatabase(
                f"generate_corpus supports SQLite and PostgreSQL, not {connection.vendor}."
            )
        self.connection = connection
        self.vendor = connection.vendor
        self.counts: dict[str, int] = {}
        self._tables: dict[tuple, Table] = {}
        # A time (whole seconds since 1970, UTC) as the column takes it.
        self.when = Times(self.vendor)

    @staticmethod
    def json(value) -> str | None:
        return None if value is None else json.dumps(value)

    # Writing

    def next_id(self, model) -> int:
        """The first free primary key (the tables are locked, see `lock`)."""
        meta = model._meta
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX({meta.pk.column}), 0) + 1 FROM {meta.db_table}")
            return cursor.fetchone()[0]

    def insert(self, model, fields: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        self.connection.ensure_connection()
        key = (model, tuple(fields))
        if key not in self._tables:
            self._tables[key] = Table(self.connection, model, fields)
        table = self._tables[key]
        label = model._meta.label
        self.counts[label] = self.counts.get(label, 0) + len(rows)
        raw = self.connection.connection  # the driver's, in the transaction Django opened
        if table.defaults:
            rows = [row + table.defaults for row in rows]
        if self.vendor == "sqlite":
            self._insert_sqlite(raw, table, rows)
            return
        with raw.cursor() as cursor, cursor.copy(table.sql) as copy:
            write = copy.write_row
            for row in rows:
                write(row)

    @staticmethod
    def _insert_sqlite(raw, table: Table, rows: list[tuple]) -> None:
        values = list(chain.from_iterable(rows))
        step = table.per_statement * table.width
        whole = len(rows) // table.per_statement * step
        for start in range(0, whole, step):
            raw.execute(table.sql, values[start : start + step])
        if whole < len(values):
            raw.execute(table.statement((len(values) - whole) // table.width), values[whole:])

    # Indexes, locks, sequences, statistics

    def set_aside(self, models, live: dict | None = None) -> dict[str, list[str]]:
        """Drop what makes each row expensive to write and is cheaper to make once the
        tables are full: secondary indexes (sorting once beats a million inserts at random
        places in each), and on PostgreSQL the foreign keys (one join validates a whole
        column, where a deferred trigger checks each row). Primary keys and UNIQUE stay.
        `live` (SQLite): by model, the leading columns of the indexes that stay, because
        the rows come in their order; a model not named keeps all of its indexes.
        Returns the SQL that makes them again (`restore`), by table, read from the database:
        whatever indexes and keys the models have by then come back as they were."""
        tables = [m._meta.db_table for m in models]
        names = json.dumps(tables) if self.vendor == "sqlite" else tables
        quote = self.connection.ops.quote_name
        kept = None if live is None else {m._meta.db_table: columns for m, columns in live.items()}
        restore: dict[str, list[str]] = {}
        with self.connection.cursor() as cursor, self._checked(cursor):
            cursor.execute(INDEXES[self.vendor], [names])
            for table, name, sql, leading in cursor.fetchall():
                if kept is not None and (table not in kept or leading in kept[table]):
                    continue
                cursor.execute(f"DROP INDEX {quote(name)}")
                restore.setdefault(table, []).append(sql)
            if self.vendor == "sqlite" and Comment._meta.db_table in tables:
                self._set_aside_search(cursor, restore)
            if self.vendor == "sqlite" and AuditEvent._meta.db_table in tables:
                self._set_aside_guard(cursor, restore)
            if self.vendor == "postgresql":
                cursor.execute(FOREIGN_KEYS, [names])
                for table, name, definition in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                    restore.setdefault(table, []).append(
                        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                    )
        return restore

    def _set_aside_search(self, cursor, restore) -> None:
        """SQLite's full-text table is kept by a trigger per comment row: drop the triggers
        and fill the table once, from the comments, when they come back."""
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
            [f"{search.FTS_TABLE}%"],
        )
        triggers = cursor.fetchall()
        for name, _ in triggers:
            cursor.execute(f"DROP TRIGGER {self.connection.ops.quote_name(name)}")
        if triggers:
            table = Comment._meta.db_table
            restore.setdefault(table, []).extend(sql for _, sql in triggers)
            fts = search.FTS_TABLE
            restore[table].extend(
                [
                    f"INSERT INTO {fts}({fts}, rank) VALUES ('hashsize', {FTS_HASHSIZE})",
                    f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
                    # Back to the default, and to no setting at all (as the migration left it).
                    f"INSERT INTO {fts}({fts}, rank) VALUES ('hashsize', {FTS_DEFAULT_HASHSIZE})",
                    f"DELETE FROM {fts}_config WHERE k = 'hashsize'",
                ]
            )

    def _set_aside_guard(self, cursor, restore) -> None:
        """The audit log's BEFORE INSERT guard looks up each new row's id and hash, to
        refuse an INSERT OR REPLACE (whose implicit delete fires no delete trigger). The
        load's rows come by plain INSERT into a table whose id and hash are unique, so the
        lookups are the keys' own, twice: it is dropped for the load and made again before
        the commit, in the same transaction (no other connection ever sees it missing)."""
        table = AuditEvent._meta.db_table
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s "
            "AND sql LIKE %s",
            [table, "% BEFORE INSERT ON %"],
        )
        for name, sql in cursor.fetchall():
            cursor.execute(f"DROP TRIGGER {self.connection.ops.quote_name(name)}")
            restore.setdefault(table, []).append(sql)

    def restore(self, statements: list[str]) -> None:
        """Make again what `set_aside` dropped (the keys check every row as they come)."""
        with self.connection.cursor() as cursor, self._checked(cursor):
            for sql in statements:
                cursor.execute(sql)

    @contextmanager
    def restoring(self, statements: list[str]):
        """`restore` in a thread of its own while the caller works without the database:
        the drivers let go of Python's lock while the database builds an index, so the two
        overlap. Leaving the context waits for the thread and raises what it met."""
        self.connection.ensure_connection()
        raw, vendor, failures = self.connection.connection, self.vendor, []

        def build():
            cursor = raw.cursor()
            try:
                if vendor == "postgresql":
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for sql in statements:
                    cursor.execute(sql)
                if vendor == "postgresql":
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            except BaseException as error:  # raised again in the caller's thread, below
                failures.append(error)
            finally:
                cursor.close()

        builder = threading.Thread(target=build, name="corpus-indexes")
        builder.start()
        try:
            yield
        finally:
            builder.join()
        if failures:
            raise failures[0]

    @contextmanager
    def _checked(self, cursor):
        """PostgreSQL refuses to change a table's indexes or keys while foreign-key checks on
        its rows wait for the commit (Django's constraints are deferred): run them first."""
        if self.vendor != "postgresql":
            yield
            return
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        yield
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def lock(self, models) -> None:
        """Keep other writers out of these tables until the load commits, so the ids taken
        from MAX(id) stay free. (SQLite: the load's first write locks the whole database.)"""
        if self.vendor != "postgresql":
            return
        names = ", ".join(m._meta.db_table for m in models)
        with self.connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")

    def reset_sequences(self, models) -> None:
        """After explicit ids, the next id the database hands out is above them (PostgreSQL;
        SQLite's AUTOINCREMENT follows explicit ids by itself)."""
        statements = self.connection.ops.sequence_reset_sql(no_style(), models)
        with self.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    def analyze(self, models) -> None:
        """PostgreSQL: fresh planner statistics and the visibility map, as autovacuum would
        make them within minutes of a load this size (without the map, index-only scans
        fetch heap pages: the escalated tab's count took 62 ms instead of 5 at 1M).
        VACUUM cannot run inside a transaction (a test's): then ANALYZE alone. SQLite is
        left as Django leaves it (no ANALYZE)."""
        if self.vendor != "postgresql":
            return
        verb = "ANALYZE" if self.connection.in_atomic_block else "VACUUM (ANALYZE)"
        with self.connection.cursor() as cursor:
            for model in models:
                cursor.execute(f"{verb} {model._meta.db_table}")


@contextmanager
def load_settings(connection=default_connection):
    """SQLite's PRAGMAs for a bulk load, put back afterwards; nothing on PostgreSQL, nor
    inside a transaction (SQLite ignores or refuses some PRAGMAs there)."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        before = {}
        for name, value in SQLITE_LOAD_PRAGMAS.items():
            cursor.execute(f"PRAGMA {name}")
            before[name] = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA {name} = {value}")
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        if journal == "wal" and _journal_mode(cursor, SQLITE_LOAD_JOURNAL) != journal:
            before["journal_mode"] = journal
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in before.items():
                cursor.execute(f"PRAGMA {name} = {value}")


def _journal_mode(cursor, mode: str) -> str:
    """Switch SQLite's journal; returns the mode in force after."""
    try:
        cursor.execute(f"PRAGMA journal_mode = {mode}")
    except OperationalError:  # "database is locked": another connection has it open
        cursor.execute("PRAGMA journal_mode")
    return cursor.fetchone()[0]
