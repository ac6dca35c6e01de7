"""Inserting many rows at once for the importers: plain tuples, no model instances.

`QuerySet.bulk_create` builds a model instance per row and prepares every value of every
field through the field's methods, and on PostgreSQL Django's driver cursor then writes each
value into the statement's text: for a comment that costs about as much as everything else
the loader does with it. Here the rows are tuples already in the columns' order:

* SQLite: multi-row INSERTs, as many rows per statement as SQLite's own parameter limit
  allows (not Django's assumed 999), only datetimes adapted (to SQLite's text);
* PostgreSQL: `COPY … FROM STDIN` (psycopg 3 writes the rows in C).

Both run in the caller's transaction on Django's connection. Nothing here sends a signal
(neither does `bulk_create`). The new rows' ids, when asked for, come back in the order of
the rows: PostgreSQL's are taken from the table's sequence before the rows are copied;
SQLite returns them with each row's key (`RETURNING`, 3.35+), matched by key, never by
order, which SQLite does not promise (before 3.35 they are looked up by key).
"""

import sqlite3
from datetime import UTC

from django.db import connection, models

MAX_ROWS = 512  # per SQLite statement, even where it would take more


def insert(
    model: type[models.Model], columns: list[str], rows: list, key: tuple[str, ...] = ()
) -> list[int]:
    """Insert `rows` (sequences, one value per column of `columns`, named by attname) into
    `model`'s table. With `key` (columns among `columns` whose values tell the rows apart),
    returns the new rows' primary keys in the order of `rows`; else []."""
    if not rows:
        return []
    fields = [model._meta.get_field(name.removesuffix("_id")) for name in columns]
    for field, name in zip(fields, columns, strict=True):
        if field.attname != name:
            raise ValueError(f"{model.__name__}.{name}: name columns by their attname")
    if connection.vendor == "postgresql":
        return _copy(model, fields, rows, ids=bool(key))
    places = [columns.index(name) for name in key]
    key_fields = [fields[i] for i in places]
    returned = _insert(model, fields, rows, returning=key_fields)
    if not key:
        return []
    if not returned:  # the database does not return what it inserted: look it up
        returned = _look_up(model, key, [tuple(row[i] for i in places) for row in rows])
    by_key = {tuple(found[1:]): found[0] for found in returned}
    return [by_key[tuple(row[i] for i in places)] for row in rows]


def _look_up(model, key: tuple[str, ...], keys: list[tuple]) -> list[tuple]:
    """(pk, *key) of the rows with these keys, a few hundred values per query."""
    found = []
    first = sorted({k[0] for k in keys})
    wanted = set(keys)
    for i in range(0, len(first), 400):
        rest = sorted({k[1:] for k in keys if k[0] in set(first[i : i + 400])})
        for j in range(0, len(rest), 400):
            query = model._default_manager.filter(**{f"{key[0]}__in": first[i : i + 400]})
            for n, name in enumerate(key[1:]):
                query = query.filter(**{f"{name}__in": sorted({r[n] for r in rest[j : j + 400]})})
            found.extend(row for row in query.values_list("pk", *key) if row[1:] in wanted)
    return found


def _copy(model, fields, rows: list, *, ids: bool) -> list[int]:
    quote = connection.ops.quote_name
    table = model._meta.db_table
    names = [quote(f.column) for f in fields]
    with connection.cursor() as cursor:
        pks: list[int] = []
        if ids:
            pk = model._meta.pk.column
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, len(rows)],
            )
            pks = [row[0] for row in cursor.fetchall()]
            names.insert(0, quote(pk))
            rows = [(pk_, *row) for pk_, row in zip(pks, rows, strict=True)]
        sql = f"COPY {quote(table)} ({', '.join(names)}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:  # the driver's cursor, in Django's transaction
            write = copy.write_row
            for row in rows:
                write(row)
    return pks


def _insert(model, fields, rows: list, *, returning: list) -> list[tuple]:
    """Multi-row INSERTs; with `returning` (key fields), the pk and those columns of each
    row, where the database can return them (else [])."""
    quote = connection.ops.quote_name
    adapt = _datetime_adapter()
    dated = [i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField)]
    head = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
        " VALUES "
    )
    tail = ""
    if returning and connection.features.can_return_rows_from_bulk_insert:
        names = [model._meta.pk.column, *(f.column for f in returning)]
        tail = " RETURNING " + ", ".join(quote(name) for name in names)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returned: list[tuple] = []
    with connection.cursor() as cursor:
        for start, end in _batches(len(rows), parameters() // len(fields)):
            part = rows[start:end]
            values = []
            for row in part:
                if dated:
                    row = list(row)
                    for i in dated:
                        row[i] = adapt(row[i])
                values.extend(row)
            cursor.execute(head + ", ".join([one] * len(part)) + tail, values)
            if tail:
                returned.extend(cursor.fetchall())
    return returned


def _batches(count: int, most: int):
    """(start, end) of the statements that insert `count` rows, at most `most` each: as many
    of MAX_ROWS as fit, then the rest in powers of two. SQLite's driver keeps each distinct
    statement it ran, compiled (128 of them), and an INSERT of a thousand rows compiles to a
    big program: a handful of sizes keeps that cache small, where every size of a thread's
    last level would fill it with a hundred megabytes."""
    size = 1 << (max(1, min(MAX_ROWS, most)).bit_length() - 1)  # a power of two
    start = 0
    while start < count:
        while size > count - start:
            size //= 2
        yield start, start + size
        start += size


def parameters() -> int:
    """How many parameters one statement may take here."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 65_535


def _datetime_adapter():
    """How a datetime is written: Django's own adaptation, or for SQLite storing UTC (the
    usual: USE_TZ, no TIME_ZONE for the database), the same text made without its checks."""
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor != "sqlite" or connection.timezone is not UTC:
        return adapt

    def utc_text(value):
        if value is not None and value.tzinfo is UTC:
            return str(value.replace(tzinfo=None))  # what make_naive then str() give
        return adapt(value)

    return utc_text
