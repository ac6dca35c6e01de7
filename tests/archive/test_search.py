"""Full-text search on both databases through one interface (archive.search), and the queue's
"Words" filter and "Best match" order built on it."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archive import search
from archive.models import Comment
from tests import factories

pytestmark = pytest.mark.django_db
QUEUE = "/queue/"


@pytest.fixture
def texts(article):
    made = {
        key: factories.make_comment(article, text)
        for key, text in {
            "insult": "You are insulting everyone, you idiot.",
            "insults": "Insults again. Idiot idiot idiot!",
            "calm": "A calm remark about the budget.",
            "quote": 'He said "don\'t" -- and left; DROP TABLE is not a word here.',
        }.items()
    }
    return made


def found(text):
    return {c.pk for c in search.matching(Comment.objects.all(), text)}


def test_every_word_must_be_there(texts):
    assert found("idiot") == {texts["insult"].pk, texts["insults"].pk}
    assert found("idiot budget") == set()
    assert found("calm budget") == {texts["calm"].pk}


def test_a_word_finds_its_other_forms_and_the_words_it_starts(texts):
    assert found("insult") == {texts["insult"].pk, texts["insults"].pk}
    assert found("budg") == {texts["calm"].pk}


def test_the_search_syntax_of_the_database_is_never_read_from_what_was_typed(texts):
    for typed in ['"', "'", "don't", "DROP TABLE", "-- and", "idiot OR calm", "a:* | b", "*"]:
        search.matching(Comment.objects.all(), typed).count()  # no syntax error
    assert found("idiot OR calm") == set()  # OR is a word here, not an operator
    assert found("") == {c.pk for c in texts.values()}  # nothing typed: nothing filtered


def test_best_matches_come_first(texts):
    ranked = list(search.best_first(Comment.objects.all(), "idiot"))
    assert [c.pk for c in ranked] == [texts["insults"].pk, texts["insult"].pk]
    assert ranked[0].search_rank > ranked[1].search_rank


def test_the_text_index_follows_edits(texts):
    calm = texts["calm"]
    Comment.objects.filter(pk=calm.pk).update(body_text="Now it is about the weather.")
    assert found("budget") == set()
    assert found("weather") == {calm.pk}


def test_the_queue_orders_by_best_match_and_pages_by_it(moderator_client, article):
    weak = [factories.make_comment(article, f"idiot {'filler ' * 30}{i}") for i in range(3)]
    strong = factories.make_comment(article, "idiot idiot idiot")
    response = moderator_client.get(QUEUE, {"q": "idiot", "order": "best"})
    shown = [c.pk for c in response.context["rows"]]
    assert shown[0] == strong.pk
    assert sorted(shown[1:]) == [c.pk for c in weak]
    after = moderator_client.get(QUEUE, {"q": "idiot", "order": "best", "after": shown[1]})
    assert [c.pk for c in after.context["rows"]] == shown[2:]


def test_best_matches_are_scored_as_the_database_scores_them(texts):
    # The scores come from the stored vector (PostgreSQL) or one scoring pass over the FTS
    # table (SQLite), and must equal the database's own score of each comment's text.
    ranked = {c.pk: c.search_rank for c in search.best_first(Comment.objects.all(), "idiot")}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT id, ts_rank(to_tsvector('english', body_text), "
                "to_tsquery('english', 'idiot:*'))::float8 FROM archive_comment WHERE id = ANY(%s)",
                [list(ranked)],
            )
        else:
            cursor.execute(
                f"SELECT rowid, -bm25({search.FTS_TABLE}) FROM {search.FTS_TABLE} "
                f"WHERE {search.FTS_TABLE} MATCH %s",
                ['"idiot"*'],
            )
        expected = dict(cursor.fetchall())
    assert ranked == pytest.approx(expected)
    assert set(ranked) == {texts["insult"].pk, texts["insults"].pk}


def test_search_works_inside_a_subquery(texts):
    # A filter may end up in a subquery, where Django renames the comment table (U0): the
    # stored vector is named through the alias, not as "archive_comment".
    inner = search.matching(Comment.objects.all(), "idiot").values("pk")
    outer = Comment.objects.filter(pk__in=inner.order_by()[:10])
    assert {c.pk for c in outer} == {texts["insult"].pk, texts["insults"].pk}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's stored vector")
def test_the_stored_vector_is_the_text_s_and_follows_edits(texts):
    calm = texts["calm"]
    Comment.objects.filter(pk=calm.pk).update(body_text="Insults about the weather.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM archive_comment "
            "WHERE search_vector IS DISTINCT FROM to_tsvector('english', body_text)"
        )
        assert cursor.fetchone() == (0,)
    assert found("insult") == {texts["insult"].pk, texts["insults"].pk, calm.pk}


def test_the_queue_s_count_does_not_rank(moderator_client, texts):
    with CaptureQueriesContext(connection) as queries:
        response = moderator_client.get(QUEUE, {"q": "idiot", "order": "best"})
    assert response.context["count"].number == 2
    counts = [q["sql"] for q in queries.captured_queries if "SELECT COUNT" in q["sql"]]
    assert counts
    assert not any("ts_rank" in sql or "bm25" in sql for sql in counts)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner")
def test_the_best_matches_lead_the_page_on_sqlite(moderator_client, texts):
    # Without statistics SQLite took `status = ?` for a handful of rows and walked the status
    # index through every pending comment, checking each against the matches (570 ms at a
    # million). The page's ordered query must be led by the matches instead.
    with CaptureQueriesContext(connection) as queries:
        response = moderator_client.get(QUEUE, {"q": "idiot", "order": "best"})
    assert [c.pk for c in response.context["rows"]] == [texts["insults"].pk, texts["insult"].pk]
    ranked = [q["sql"] for q in queries.captured_queries if "ORDER BY (WITH ranked" in q["sql"]]
    assert ranked
    with connection.cursor() as cursor:
        for sql in ranked:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = " / ".join(row[3] for row in cursor.fetchall())
            assert "state_status_queue" not in plan, plan


# An index led by the status: the queue's, or the Flagged tab's (a count may take either:
# both hold every state, by status first).
STATUS_LEADS = re.compile(r"state_(status|flagged)_queue \(status=\?\)")


def _plans(client, params):
    """The rows shown, the count, and the query plans of the queue's ordered and counting
    queries (SQLite's EXPLAIN QUERY PLAN, one line per query)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE, params)
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"]
            if "archive_comment_fts" in sql and "moderationstate" in sql:
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                plans.append(" / ".join(row[3] for row in cursor.fetchall()))
    return [c.pk for c in response.context["rows"]], response.context["count"].number, plans


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner")
def test_few_matches_lead_the_queue_s_count_and_page_on_sqlite(
    moderator_client, texts, monkeypatch
):
    from moderation import filters

    few = _plans(moderator_client, {"q": "idiot"})
    assert few[:2] == ([texts["insult"].pk, texts["insults"].pk], 2)
    assert len(few[2]) == 2
    assert not any(STATUS_LEADS.search(plan) for plan in few[2])
    # As many matches as the limits: the status index leads, for the same answer.
    monkeypatch.setattr(filters, "MATCHES_LEAD_COUNT", 2)
    monkeypatch.setattr(filters, "MATCHES_LEAD_PAGE", 2)
    many = _plans(moderator_client, {"q": "idiot"})
    assert many[:2] == few[:2]
    assert len(many[2]) == 2
    assert all(STATUS_LEADS.search(plan) for plan in many[2])
