"""Keyset pagination: a page is "the rows after (or before) this one" along an index, so the
first, a deep and the last page all cost one short index walk, and a page does not shift
when moderators decide rows in between (OFFSET paging does both wrong at a million rows).

A list is ordered by `keys`, (lookup, descending) pairs whose last key is unique. A cursor is
the values of those keys at one row; the views put the row's id in the address and look its
values up (`cursor_of`). Counts are capped (`capped_count`): "1,000+" is shown as such.
"""

from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import Q

COUNT_CAP = 1000


@dataclass
class KeysetPage:
    rows: list
    has_next: bool
    has_previous: bool

    @property
    def first_pk(self):
        """The cursor for the page before this one."""
        return self.rows[0].pk if self.rows else None

    @property
    def last_pk(self):
        """The cursor for the page after this one."""
        return self.rows[-1].pk if self.rows else None


@dataclass(frozen=True)
class CappedCount:
    number: int
    more: bool  # there are more than `number`

    @classmethod
    def of(cls, n: int, cap: int = COUNT_CAP) -> "CappedCount":
        """`n` rows counted no further than `cap` + 1."""
        return cls(min(n, cap), n > cap)

    def __str__(self) -> str:
        return f"{self.number:,}{'+' if self.more else ''}"


def _downwards(descending: bool, forward: bool) -> bool:
    """Whether the walk goes down a key: forward along a descending key, or back along an
    ascending one."""
    return descending == forward


def _beyond(keys, values, *, forward: bool) -> Q:
    """Rows strictly after `values` along `keys` (before them when not `forward`)."""
    (lookup, descending), *rest = keys
    value, *rest_values = values
    op = "lt" if _downwards(descending, forward) else "gt"
    strictly = Q(**{f"{lookup}__{op}": value})
    if not rest:
        return strictly
    # (a > x) or (a = x and the rest beyond), with a >= x first so an index range serves it.
    return Q(**{f"{lookup}__{op}e": value}) & (
        strictly | (Q(**{lookup: value}) & _beyond(rest, rest_values, forward=forward))
    )


def keyset_page(
    queryset, keys, *, size, rows_of, after=None, before=None, last=False
) -> KeysetPage:
    """The page of `queryset` after the cursor `after` (values of `keys`), before `before`,
    the last page with `last`, or else the first page. Two queries: the ids of at most
    size + 1 rows along the keys (no joins the order does not need, so a filter that matches
    thousands of rows sorts ids, not whole rows with everything they join), then
    `rows_of(ids)`, a queryset of those rows with what the page shows, fetched by primary key
    alone (the filters again would let a planner walk an index in search of them)."""
    forward = before is None and not last
    order = [f"-{lookup}" if _downwards(d, forward) else lookup for lookup, d in keys]
    cursor = after if forward else before
    lean = queryset
    if cursor is not None:
        lean = lean.filter(_beyond(keys, cursor, forward=forward))
    ids = list(lean.order_by(*order).values_list("pk", flat=True)[: size + 1])
    more = len(ids) > size
    ids = ids[:size]
    found = rows_of(ids).order_by().in_bulk(ids) if ids else {}
    rows = [found[pk] for pk in ids if pk in found]
    if forward:
        return KeysetPage(rows, has_next=more, has_previous=after is not None)
    rows.reverse()
    return KeysetPage(rows, has_next=not last, has_previous=more)


def capped_count(queryset, cap: int = COUNT_CAP) -> CappedCount:
    """How many rows, counting no further than `cap` (shown as "1,000+")."""
    return capped_counts({"rows": queryset}, cap)["rows"]


def capped_counts(querysets: dict, cap: int = COUNT_CAP) -> dict:
    """How many rows each queryset (same database) has, counting no further than `cap`
    (shown as "1,000+"), all in one statement: a scalar subquery per count, each stopping at
    `cap` + 1 rows.

    On PostgreSQL without parallel workers: the planner sized a category's count for all of
    the category's marks and started two workers to count a thousand of them, which took
    11-15 ms against 2 serial at a million comments (starting the workers was the cost). The
    setting is for the count's transaction only, and put back after (the count may run
    inside a longer transaction)."""
    if not querysets:
        return {}
    parts, params = [], []
    db = next(iter(querysets.values())).db
    connection = connections[db]
    for queryset in querysets.values():
        limited = queryset.order_by().values("pk")[: cap + 1]
        try:
            sql, more = limited.query.get_compiler(using=db).as_sql()
        except EmptyResultSet:  # .none(), or a filter that can match nothing
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")
        params.extend(more)
    statement = f"SELECT {', '.join(parts)}"
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            numbers = cursor.fetchone()
    else:
        setting = "max_parallel_workers_per_gather"
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting(%s), set_config(%s, '0', true)", [setting, setting]
            )
            before = cursor.fetchone()[0]
            cursor.execute(statement, params)
            numbers = cursor.fetchone()
            cursor.execute("SELECT set_config(%s, %s, true)", [setting, before])
    return {key: CappedCount.of(n, cap) for key, n in zip(querysets, numbers, strict=True)}
