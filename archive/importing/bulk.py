"""Inserting many rows at once for the importers: a multi-row INSERT of plain tuples.

`QuerySet.bulk_create` builds a model instance per row and prepares every value of every
field through the field's methods: for a comment that costs about as much as everything
else the loader does with it (some 40 µs on SQLite). Here the rows are tuples already in
the columns' order, only the columns that need it are adapted (a datetime, for SQLite's
text format), and one statement takes as many rows as the database allows parameters
(SQLite's own limit, not Django's assumed 999). Inside the caller's transaction, through
Django's cursor (so query counts and logs see it). Nothing here sends a signal: neither
does `bulk_create`.

The database returns the columns asked for (`returning`) of each row inserted, where it can
(PostgreSQL, SQLite 3.35+); the caller matches them to its rows by a unique key among them,
never by their order, which SQLite does not promise.
"""

import sqlite3
from datetime import UTC

from django.db import connection, models

MAX_ROWS = 1_000  # per statement, even where the database would take more


def can_return() -> bool:
    """Whether an insert returns the columns asked for (else `insert` returns nothing)."""
    return connection.features.can_return_rows_from_bulk_insert


def _parameters() -> int:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        limit = sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER
        return connection.connection.getlimit(limit)
    return 65_535 if connection.vendor == "postgresql" else connection.features.max_query_params


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


def insert(
    model: type[models.Model], columns: list[str], rows: list[tuple], returning: tuple = ()
) -> list[tuple]:
    """Insert `rows` (tuples, one value per column of `columns`, named by field attname) into
    `model`'s table; returns the `returning` columns of the rows inserted (in no particular
    order), or [] when none are asked for or the database cannot return them."""
    if not rows:
        return []
    fields = [model._meta.get_field(name.removesuffix("_id")) for name in columns]
    for field, name in zip(fields, columns, strict=True):
        if field.attname != name:
            raise ValueError(f"{model.__name__}.{name}: name columns by their attname")
    adapt = _datetime_adapter()
    dated = [i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField)]
    quote = connection.ops.quote_name
    head = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
        " VALUES "
    )
    tail = ""
    if returning and can_return():
        tail = " RETURNING " + ", ".join(quote(model._meta.get_field(r).column) for r in returning)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per = max(1, min(MAX_ROWS, _parameters() // len(columns)))
    returned: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per):
            part = rows[start : start + per]
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
