"""Times written by the database: the text `writers._iso` makes of a datetime column (UTC,
ISO 8601, `Z`, microseconds only when there are some), computed in the queries that read
the comments, so that an export makes no datetime in Python for them (on PostgreSQL,
psycopg's loader and Django's converter were a fifth of an export's CPU). The tags' and
decisions' times, which the labels need as datetimes, are read as that text too and made
datetimes by `fromisoformat`.

* PostgreSQL: `to_char` of the time in UTC. A `timestamptz` has one shape: every value is
  written there, and nothing needs checking.
* SQLite stores text. What Django writes for an aware datetime is `str()` of the naive UTC
  time (`2025-01-02 03:04:05` or `…05.123456`): the query puts a `T` for the space and a
  `Z` after it, and the texts of a chunk are checked at once, in Python, against the shape
  `_iso` writes (`all_iso`: one regular expression over the chunk's times joined; a check
  of each value in SQL, with GLOB, cost three times as much). Only if one fails are that
  chunk's odd values found and read again as Django reads them (a stored `T` passes: Django
  reads it as the space). So is every value when the connection does not store UTC.
"""

import re
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import NotSupportedError
from django.db.models import Func, TextField

# What `_iso` writes for a UTC time: no microseconds when they are zero.
_ISO = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.(?!000000)[0-9]{6})?Z"
_ISO_LINES = re.compile(f"(?:{_ISO}\n)*")
is_iso = re.compile(_ISO).fullmatch


def times_in_sql(connection) -> bool:
    """Whether the database writes the times; else every one is read as Django reads it."""
    if not settings.USE_TZ:
        return False
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and connection.timezone_name == "UTC"


def checked(connection) -> bool:
    """Whether the texts `iso_sql` writes must be checked (`all_iso`): SQLite's, which are
    whatever was stored, rearranged."""
    return connection.vendor != "postgresql"


def all_iso(texts: list[str]) -> bool:
    """Whether every text is of the shape `_iso` writes."""
    return not texts or _ISO_LINES.fullmatch("\n".join(texts) + "\n") is not None


def iso_sql(connection, column: str) -> str:
    """SQL for the text `_iso` writes of a datetime column (quoted and qualified, as
    `column`), when `times_in_sql`; on SQLite, to be checked (`all_iso`)."""
    if connection.vendor == "postgresql":
        return (
            f"replace(to_char({column} AT TIME ZONE 'UTC', "
            """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '.000000Z', 'Z')"""
        )
    if connection.vendor == "sqlite":
        return f"replace({column}, ' ', 'T') || 'Z'"
    raise NotSupportedError(f"no ISO times written by {connection.vendor}")


class IsoTime(Func):
    """A datetime column as `iso_sql` writes it; null where the database does not write
    times (`times_in_sql`)."""

    arity = 1
    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        if params:
            raise NotSupportedError("IsoTime takes a column")
        if not times_in_sql(connection):
            return "NULL", []
        return iso_sql(connection, sql), []


def datetime_reader(connection) -> Callable:
    """A datetime column's value as the database returns it → an aware datetime (or None),
    as Django's own converter makes it."""
    convert = getattr(connection.ops, "convert_datetimefield_value", None)
    if convert is None:  # PostgreSQL: the driver makes datetimes
        return lambda value: value
    return lambda value: convert(value, None, connection)


def from_iso(text: str | None) -> datetime | None:
    """The datetime Django reads from a time whose `_iso` text this is: `fromisoformat`
    reads `Z` as UTC, as Django's converter makes a UTC time."""
    return None if text is None else datetime.fromisoformat(text)
