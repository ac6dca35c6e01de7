"""The comments table is written from the database's own tuples (moderation.export.table),
and must hold exactly the bytes the first export wrote: each comment read through the ORM,
made into a dict by `Export._comment_row`, and encoded by `json.dumps` (or the csv module).
The reference below is that first path, kept here so the two can be compared on a set built
to reach every branch: two sites with different categories, replies, anonymous comments,
text that JSON and CSV must escape, times with and without microseconds or missing, an
escalation alone, removals with reasons, passages, a retracted tag, two comments whose
review columns differ only in their time (the writer keeps such columns), real names."""

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import F

from archive.models import Comment
from moderation import export, queries, services
from moderation.export import table, times
from moderation.models import Decision, Status, Tag
from tests import factories
from tests.moderation.export_helpers import COMMENTS_CSV, COMMENTS_JSONL, content

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pseudonym_key")]


def reference_rows(prepared: export.Export) -> list[tuple[dict, export.Review]]:
    """The comments and their reviews as the first export read them: through the ORM, one
    comment at a time (converters and all)."""
    rows = (
        queries.with_status(prepared.comments)
        .order_by("pk")
        .values(
            "id",
            "article_id",
            "parent_id",
            "position",
            "posted_at",
            "body_text",
            "source_status",
            "status",
            site_id=F("article__site_id"),
            site_name=F("article__site__name"),
            title=F("article__title"),
            url=F("article__source_url"),
            commenter_name=F("commenter__name"),
            decided_at=F("moderation__decision__created_at"),
        )
    )
    result = []
    for row in rows:
        tags = (
            Tag.objects.filter(comment_id=row["id"])
            .order_by("comment_id", "created_at", "pk")
            .values_list(*export.TAG_FIELDS)
        )
        decisions = (
            Decision.objects.filter(comment_id=row["id"])
            .order_by("comment_id", "version", "pk")
            .values_list(*export.DECISION_FIELDS)
        )
        site = row["site_id"]
        review = export.Review(
            site, prepared._by_site.get(site, []), list(tags), list(decisions), prepared.policies
        )
        result.append((row, review))
    return result


def reference_jsonl(prepared) -> bytes:
    return "".join(
        json.dumps(prepared._comment_row(row, review), ensure_ascii=False) + "\n"
        for row, review in reference_rows(prepared)
    ).encode()


def reference_csv(prepared) -> bytes:
    rows = [prepared._comment_row(row, review) for row, review in reference_rows(prepared)]
    return b"".join(export.write_csv(export.comment_columns(prepared.slugs), [rows]))


def reference_labels(prepared) -> list[dict]:
    return [
        label
        for row, review in reference_rows(prepared)
        for label in prepared._labels(row["id"], row["site_name"], review)
    ]


def stream(prepared, fmt) -> bytes:
    return b"".join(prepared.stream("comments", fmt))


@pytest.fixture
def varied(tagged, admin):
    """The tagged set, plus a second site with a category of its own and every kind of
    comment the table distinguishes."""
    other = factories.make_site("Հայ Ձայն", policy_text="No spam.")
    services.add_category(admin, other, name="Spam link", definition="Advertising.")
    article = factories.make_article(other, title='Quotes "and" commas, too', source_url="")
    zelda = tagged.zelda
    texts = [
        'Line one\nline two, "quoted", \\ backslash\ttab',
        "Ünïcödé, Հայերեն, emoji 🎉, and a control \x01 character",
        "",
        "An escalation alone.",
        "Removed as spam.",
    ]
    made = [
        factories.make_comment(article, text, author="Читатель" if i % 2 else None)
        for i, text in enumerate(texts)
    ]
    reply = factories.make_comment(article, "A reply, anonymous.", parent=made[0])
    # Approved without tags like c2: the same review columns but its own time.
    services.decide(
        tagged.yorick,
        factories.make_comment(tagged.article, "Approved too.", author="Ani Tashjian"),
        Status.APPROVED,
        expected_version=0,
    )
    services.decide(zelda, made[3], Status.ESCALATED, expected_version=0)
    spam = factories.category(other, "spam-link")
    services.tag(zelda, made[4], spam, span=(0, 7))
    services.decide(zelda, made[4], Status.REMOVED, expected_version=0, reasons=[spam])
    Comment.objects.filter(pk=made[0].pk).update(
        posted_at=datetime(2024, 3, 1, 21, 30, 5, tzinfo=UTC)
    )
    Comment.objects.filter(pk=made[1].pk).update(
        posted_at=datetime(2024, 3, 1, 21, 30, 5, 120, tzinfo=UTC)
    )
    Comment.objects.filter(pk=reply.pk).update(
        posted_at=datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    )
    return tagged


@pytest.mark.parametrize("real_names", [False, True])
def test_the_comments_jsonl_is_what_the_first_export_wrote(varied, real_names):
    prepared = export.Export.from_query({}, real_names=real_names)
    expected = reference_jsonl(prepared)
    assert len(expected.splitlines()) == 12
    assert stream(prepared, "jsonl") == expected


@pytest.mark.parametrize("real_names", [False, True])
def test_the_comments_csv_is_what_the_first_export_wrote(varied, real_names):
    prepared = export.Export.from_query({}, real_names=real_names)
    assert stream(prepared, "csv") == reference_csv(prepared)


def test_the_same_across_chunks_and_filters(varied, monkeypatch):
    monkeypatch.setattr(export.build, "CHUNK", 2)
    monkeypatch.setattr(table, "ARTICLES_KEPT", 1)  # articles forgotten between chunks
    for query in ({}, {"site": str(varied.site.pk)}, {"status": "removed"}, {"reviewed": "on"}):
        prepared = export.Export.from_query(query)
        assert stream(prepared, "jsonl") == reference_jsonl(prepared), query
        assert stream(prepared, "csv") == reference_csv(prepared), query


def test_label_rows_are_those_of_the_first_reading(varied, monkeypatch):
    monkeypatch.setattr(export.build, "CHUNK", 3)
    prepared = export.Export.from_query({})
    labels = [row for batch in prepared.label_rows() for row in batch]
    assert labels == reference_labels(prepared)
    assert len(labels) > 20


def test_an_empty_export_is_empty(db):
    prepared = export.Export.from_query({})
    assert stream(prepared, "jsonl") == b""
    assert stream(prepared, "csv").decode().startswith("comment_id,site,")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite stores times as text")
def test_times_stored_in_another_shape_are_read_as_django_reads_them(varied):
    """Django writes `2024-03-01 21:30:05[.ffffff]` (UTC); a time written by other means
    (another tool, an older Django) is parsed and converted, as the ORM would."""
    c1, c2, c3 = varied.comments[:3]
    with connection.cursor() as cursor:
        for comment, stored in [
            (c1, "2024-03-01T21:30:05"),
            (c2, "2024-03-01 23:30:05+02:00"),
            (c3, "2024-03-01 21:30:05.000000"),
        ]:
            cursor.execute(
                "UPDATE archive_comment SET posted_at = %s WHERE id = %s", [stored, comment.pk]
            )
    prepared = export.Export.from_query({})
    rows = [json.loads(line) for line in stream(prepared, "jsonl").splitlines()]
    assert {row["posted_at"] for row in rows[:3]} == {"2024-03-01T21:30:05Z"}
    assert stream(prepared, "jsonl") == reference_jsonl(prepared)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite stores times as text")
def test_tag_and_decision_times_in_another_shape_are_read_as_django_reads_them(varied):
    """The labels rest on the tags' and decisions' times (the policy version in force, the
    latest judgement): one stored in another shape is read as the ORM reads it, too."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE moderation_tag SET created_at = replace(created_at, ' ', 'T')")
        cursor.execute(
            "UPDATE moderation_tag SET retracted_at = retracted_at || '+00:00' "
            "WHERE retracted_at IS NOT NULL"
        )
        cursor.execute("UPDATE moderation_decision SET created_at = created_at || '-01:00'")
    prepared = export.Export.from_query({})
    assert stream(prepared, "jsonl") == reference_jsonl(prepared)
    labels = [row for batch in prepared.label_rows() for row in batch]
    assert labels == reference_labels(prepared)
    assert any(row["retracted_at"] for row in labels)


def test_where_the_database_does_not_write_the_times_every_time_is_read_as_django_reads_it(
    varied, monkeypatch
):
    """(SQLite on a connection that does not store UTC, say.)"""
    monkeypatch.setattr(times, "times_in_sql", lambda connection: False)
    monkeypatch.setattr(table, "times_in_sql", lambda connection: False)
    prepared = export.Export.from_query({})
    assert stream(prepared, "jsonl") == reference_jsonl(prepared)
    labels = [row for batch in prepared.label_rows() for row in batch]
    assert labels == reference_labels(prepared)


def test_downloads_stream_the_same_bytes(researcher_client, varied):
    prepared = export.Export.from_query({})
    assert content(researcher_client.get(COMMENTS_JSONL)) == reference_jsonl(prepared)
    got = list(csv.reader(io.StringIO(content(researcher_client.get(COMMENTS_CSV)).decode())))
    want = list(csv.reader(io.StringIO(reference_csv(prepared).decode())))
    assert got == want
