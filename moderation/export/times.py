"""Times written by the database: the text `writers._iso` makes of a datetime column (UTC,
ISO 8601, `Z`, microseconds only when there are some), computed in the query that reads
the comments, so that an export makes no datetime in Python for them (Django's converter
and psycopg's loader were a fifth of its time).

* PostgreSQL: `to_char` of the time in UTC; a `timestamptz` has one shape, so every value
  is written there.
* SQLite stores text. What Django writes for an aware datetime is `str()` of the naive UTC
  time (`2025-01-02 03:04:05` or `…05.123456`): that shape, checked with GLOB patterns, is
  rearranged. A value of any other shape (another tool's: a `T`, an offset) is left null
  and flagged (`OddTimes`), and `read_chunks` reads those rows' times again through the
  ORM, as Django reads them; so is every row when the connection does not store UTC.
"""

from django.conf import settings
from django.db import NotSupportedError
from django.db.models import Func, IntegerField, TextField

_D2 = "[0-9][0-9]"
# `str()` of a naive datetime: no microseconds when they are zero, else six digits.
_SHAPE = f"{_D2}{_D2}-{_D2}-{_D2} {_D2}:{_D2}:{_D2}"
_SHAPE_MICRO = f"{_SHAPE}.{_D2}{_D2}{_D2}"


def times_in_sql(connection) -> bool:
    """Whether the database writes the times (else every row is read again: `OddTimes`)."""
    if not settings.USE_TZ:
        return False
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and connection.timezone_name == "UTC"


def _sqlite_shaped(sql: str) -> str:
    return f"({sql} GLOB '{_SHAPE}' OR {sql} GLOB '{_SHAPE_MICRO}')"


class IsoTime(Func):
    """A datetime column as `_iso` writes it; null when it is null, or (SQLite) when its
    stored text is not of the shape Django writes (see `OddTimes`)."""

    arity = 1
    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError(f"IsoTime is not written for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        if not times_in_sql(connection):
            return "NULL", []
        return (
            f"replace(to_char(({sql}) AT TIME ZONE 'UTC', "
            """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '.000000Z', 'Z')""",
            params,
        )

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        if not times_in_sql(connection):
            return "NULL", []
        # `.000000` is Django's zero microseconds, which `_iso` leaves out.
        return (
            f"CASE WHEN {_sqlite_shaped(sql)} THEN replace(substr({sql}, 1, 10) || 'T' || "
            f"substr({sql}, 12) || 'Z', '.000000Z', 'Z') END",
            params * 5,
        )


class OddTimes(Func):
    """1 when one of the datetime columns is not null but `IsoTime` left it null, else null:
    the row's times are then read again through the ORM."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra):
        if not times_in_sql(connection):
            return "1", []
        if connection.vendor == "postgresql":
            return "NULL", []
        if connection.vendor != "sqlite":
            raise NotSupportedError(f"OddTimes is not written for {connection.vendor}")
        checks, all_params = [], []
        for expression in self.source_expressions:
            sql, params = compiler.compile(expression)
            checks.append(f"NOT {_sqlite_shaped(sql)}")
            all_params += params * 2
        return f"CASE WHEN {' OR '.join(checks)} THEN 1 END", all_params
