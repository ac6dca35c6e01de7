"""Full-text search over what commenters wrote, with each database's own index, behind one
interface: `matching(queryset, text)` keeps the comments containing every word typed (as a
word or the start of one, "insult" finds "insults" and "insulting"), `best_first(queryset,
text)` orders them by how well they match.

- PostgreSQL: a GIN index on `to_tsvector('english', body_text)` (migration 0004), queried
  with the same expression, so the planner uses it.
- SQLite: an FTS5 table (`archive_comment_fts`, porter stemming) over `body_text`, kept in
  step by triggers on `archive_comment` (migration 0004).

Words are taken from the text as letters and digits only, so nothing typed is ever read as
the search syntax of either database.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import FloatField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

CONFIG = "english"
FTS_TABLE = "archive_comment_fts"
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(text or "")[:20]


def _vector():
    # Exactly the expression migration 0004 indexes, or PostgreSQL would not use the index.
    return SearchVector("body_text", config=CONFIG)


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
        rank = RawSQL(
            f"SELECT -bm25({FTS_TABLE}) FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH %s AND rowid = archive_comment.id",
            [_fts_query(terms)],
            output_field=FloatField(),
        )
    return queryset.annotate(search_rank=rank).order_by("-search_rank", "pk")
