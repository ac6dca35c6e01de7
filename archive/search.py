"""Full-text search over what commenters wrote, with each database's own index, behind one
interface: `matching(queryset, text)` keeps the comments containing every word typed (as a
word or the start of one, "insult" finds "insults" and "insulting"), `best_first(queryset,
text)` orders them by how well they match.

- PostgreSQL: each comment's `to_tsvector('english', body_text)`, stored in a generated
  column `search_vector` with a GIN index on it (migration 0005). The model does not declare
  the column (SQLite has none); `_vector()` names it. Stored, a match is checked and ranked
  without parsing the text again, so the planner can choose either way to answer a page:
  the GIN index when the words are rare, or the queue's own index, checking each comment's
  vector as it goes, when they are common (a match every few dozen rows).
- SQLite: an FTS5 table (`archive_comment_fts`, porter stemming) over `body_text`, kept in
  step by triggers on `archive_comment` (migration 0004).

Words are taken from the text as letters and digits only, so nothing typed is ever read as
the search syntax of either database.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import Expression, FloatField, Value
from django.db.models.expressions import Col, RawSQL
from django.db.models.functions import Cast

CONFIG = "english"
FTS_TABLE = "archive_comment_fts"
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(text or "")[:20]


class _StoredVector(Expression):
    """The `search_vector` column migration 0005 adds on PostgreSQL, which the model does not
    declare, under whatever alias the query gives the comment table: a `Col` of a field made
    here, so a subquery's relabelling reaches it (raw SQL naming the table would not)."""

    output_field = SearchVectorField()

    def resolve_expression(self, query=None, *args, **kwargs):
        column = SearchVectorField()
        column.set_attributes_from_name("search_vector")
        column.model = query.model
        return Col(query.get_initial_alias(), column)


def _vector():
    return _StoredVector()


def _pg_query(terms: list[str]):
    return SearchQuery(" & ".join(f"{t}:*" for t in terms), config=CONFIG, search_type="raw")


def _fts_query(terms: list[str]) -> str:
    return " ".join(f'"{term}"*' for term in terms)


def matching(queryset, text: str):
    """The comments of `queryset` (Comment rows) containing every word of `text`."""
    terms = words(text)
    if not terms:
        return queryset
    if connection.vendor == "postgresql":
        return queryset.alias(search_vector=_vector()).filter(search_vector=_pg_query(terms))
    if connection.vendor == "sqlite":
        rowids = RawSQL(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [_fts_query(terms)]
        )
        return queryset.filter(pk__in=rowids)
    raise NotImplementedError(f"no full-text search for {connection.vendor}")


def fewer_matches_than(text: str, limit: int) -> bool:
    """Whether fewer than `limit` comments contain every word of `text` (SQLite's FTS5 table,
    counted no further than `limit`). SQLite keeps no statistics, so a query that could be
    led either by the matches or by an index of the queue cannot choose by itself."""
    terms = words(text)
    if not terms:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT %s)",
            [_fts_query(terms), limit],
        )
        return cursor.fetchone()[0] < limit


def best_first(queryset, text: str):
    """`matching`, best matches first (then by id), with the score as `search_rank`."""
    terms = words(text)
    queryset = matching(queryset, text)
    if not terms:
        return queryset.annotate(search_rank=Value(0.0))
    if connection.vendor == "postgresql":
        # ts_rank is a 4-byte real: as a double it survives the trip through Python exactly,
        # which a page cursor needs (the next page starts at rank = cursor's rank).
        rank = Cast(SearchRank(_vector(), _pg_query(terms)), FloatField())
    else:
        # bm25() is lower for better matches: negate it so that higher is better everywhere.
        # It exists only in a query of the FTS table, so every match is scored once, in a
        # table SQLite makes once per statement (MATERIALIZED, SQLite 3.35+) and indexes on
        # the fly, where each comment's score is looked up. A MATCH per comment instead
        # (`... MATCH %s AND rowid = archive_comment.id`) read the index again for every row,
        # the prefix's whole list each time: 44 s for "idiot" at a million comments.
        rank = RawSQL(
            f"WITH ranked AS MATERIALIZED (SELECT rowid AS id, -bm25({FTS_TABLE}) AS score "
            f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s) "
            "SELECT score FROM ranked WHERE id = archive_comment.id",
            [_fts_query(terms)],
            output_field=FloatField(),
        )
    return queryset.annotate(search_rank=rank).order_by("-search_rank", "pk")
