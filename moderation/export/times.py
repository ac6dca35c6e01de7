"""Times written by the database: the text `writers._iso` makes of a datetime column (UTC,
ISO 8601, `Z`, microseconds only when there are some), computed in the query that reads
the comments, so that an export makes no datetime in Python for them (Django's converter
and psycopg's loader were a fifth of its time). The tags' and decisions' times, which the
labels need as datetimes, are read as that text too and made datetimes by `fromisoformat`.

* PostgreSQL: `to_char` of the time in UTC; a `timestamptz` has one shape, so every value
  is written there.
* SQLite stores text. What Django writes for an aware datetime is `str()` of the naive UTC
  time (`2025-01-02 03:04:05` or `…05.123456`): that shape, checked with GLOB patterns, is
  rearranged. A value of any other shape (another tool's: a `T`, an offset) is left null:
  a comment's row is flagged (`OddTimes`) and `read_chunks` reads its times again through
  the ORM; a tag's or decision's time is read beside the text (`raw_sql`) and goes through
  Django's converter. So does every value when the connection does not store UTC.
"""

from collections.abc import Callable
from datetime import datetime

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


def iso_sql(connection, column: str) -> str:
    """SQL for the text `_iso` writes of a datetime column (quoted and qualified, as
    `column`): null when it is null, or (SQLite) of another shape than Django writes, or
    when the database does not write times (`times_in_sql`)."""
    if not times_in_sql(connection):
        return "NULL"
    if connection.vendor == "postgresql":
        return (
            f"replace(to_char({column} AT TIME ZONE 'UTC', "
            """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '.000000Z', 'Z')"""
        )
    # `.000000` is Django's zero microseconds, which `_iso` leaves out.
    return (
        f"CASE WHEN {_sqlite_shaped(column)} THEN replace(substr({column}, 1, 10) || 'T' || "
        f"substr({column}, 12) || 'Z', '.000000Z', 'Z') END"
    )


def raw_sql(connection, column: str) -> str:
    """The column itself where `iso_sql` may leave a value null that is not (SQLite, or a
    database that does not write times); else NULL, so that nothing is read twice."""
    if connection.vendor == "postgresql" and times_in_sql(connection):
        return "NULL"
    return column


class IsoTime(Func):
    """A datetime column as `_iso` writes it (`iso_sql`); see `OddTimes`."""

    arity = 1
    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        if connection.vendor not in ("postgresql", "sqlite"):
            raise NotSupportedError(f"IsoTime is not written for {connection.vendor}")
        sql, params = compiler.compile(self.source_expressions[0])
        if params:
            raise NotSupportedError("IsoTime takes a column")
        return iso_sql(connection, sql), []


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
        checks = []
        for expression in self.source_expressions:
            sql, params = compiler.compile(expression)
            if params:
                raise NotSupportedError("OddTimes takes columns")
            checks.append(f"NOT {_sqlite_shaped(sql)}")
        return f"CASE WHEN {' OR '.join(checks)} THEN 1 END", []


def datetime_reader(connection) -> Callable:
    """(`iso_sql` text, `raw_sql` value) of a datetime column → an aware datetime (or None),
    as Django's own converter makes it: from the text when there is one (`fromisoformat`
    reads `Z` as UTC, as Django's converter makes a UTC time), else through the converter."""
    convert = getattr(connection.ops, "convert_datetimefield_value", None)
    fromisoformat = datetime.fromisoformat

    def to_datetime(iso: str | None, raw):
        if iso is not None:
            return fromisoformat(iso)
        if convert is None or raw is None:  # PostgreSQL: the driver makes datetimes
            return raw
        return convert(raw, None, connection)

    return to_datetime
