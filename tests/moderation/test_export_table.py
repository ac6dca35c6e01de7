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
from django.core.management import call_command
from django.db import connection
from django.db.models import F

from archive.models import Comment
from moderation import export, queries, services
from moderation.export import table, times
from moderation.models import Decision, ScreeningScore, Status, Tag
from moderation.screening.sources import combine
from tests import factories
from tests.moderation.export_helpers import COMMENTS_CSV, COMMENTS_JSONL, PEOPLE, content

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
        by_category = {}
        for score in ScreeningScore.objects.filter(comment_id=row["id"]):
            by_category.setdefault(score.category_id, {})[score.source] = score.score
        row["screening"] = {
            category: round(combine(scores), 4) for category, scores in by_category.items()
        }
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
    monkeypatch.setattr(table, "REVIEWS_KEPT", 1)  # review parts forgotten as they come
    for query in ({}, {"site": str(varied.site.pk)}, {"status": "removed"}, {"reviewed": "on"}):
        prepared = export.Export.from_query(query)
        assert stream(prepared, "jsonl") == reference_jsonl(prepared), query
        assert stream(prepared, "csv") == reference_csv(prepared), query


def test_a_generated_corpus_exports_what_the_first_export_wrote(monkeypatch):
    """The set above reaches every branch; a generated corpus is the shape the benchmark
    measures (twenty sites, threads, anonymous comments, removals with reasons, passages
    tagged by several moderators, retractions): the same bytes there too, over chunks."""
    call_command("generate_corpus", comments=600, seed=3, stdout=io.StringIO())
    monkeypatch.setattr(export.build, "CHUNK", 250)
    prepared = export.Export.from_query({})
    jsonl = stream(prepared, "jsonl")
    assert jsonl == reference_jsonl(prepared)
    assert stream(prepared, "csv") == reference_csv(prepared)
    labels = [row for batch in prepared.label_rows() for row in batch]
    assert labels == reference_labels(prepared)
    rows = [json.loads(line) for line in jsonl.splitlines()]
    assert len(rows) == 600
    assert any(row["spans"] for row in rows)
    assert any(row["decided_at"] for row in rows)


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


def test_a_line_holds_exactly_these_fields_in_this_order(tagged):
    """Every field of a comments line, its name, place and writing, pinned: a change to any
    must show here (and in the codebook's columns, which say what each holds)."""
    c1, c4 = tagged.comments[0], tagged.comments[3]
    Comment.objects.filter(pk=c4.pk).update(
        posted_at=datetime(2024, 3, 1, 21, 30, 5, 120, tzinfo=UTC)
    )
    prepared = export.Export.from_query({})
    lines = stream(prepared, "jsonl").decode().splitlines()
    same = (
        '"site": "Asbarez", "article_id": ARTICLE, "article_title": "Budget debate", '
        '"article_url": "https://asbarez.com/budget-debate/", '
    )
    expected = (
        '{"comment_id": COMMENT, SAME"position": "3", "parent_id": null, "depth": 0, '
        '"author": null, "posted_at": "2024-03-01T21:30:05.000120Z", '
        '"source_status": "published", "text": "Nice article, thanks.", "text_sha256": '
        '"04fb397226c3eb58fa717508b4f76bb6ee8494b29fb6f310faf3d0d57cddda1a", '
        '"reviewed": false, "review_route": null, "sample": null, "status": "pending", '
        '"decided_at": null, '
        '"reviewers": 0, "reviewers_profanity": 0, "reviewers_personal_attack": 0, '
        '"reviewers_other_inappropriate": 0, "fraction_profanity": null, '
        '"fraction_personal_attack": null, "fraction_other_inappropriate": null, '
        '"majority_profanity": null, "majority_personal_attack": null, '
        '"majority_other_inappropriate": null, "any_violation": null, "spans": [], '
        '"policy_version": null, '
        '"screening_profanity": 0.0, "screening_personal_attack": 0.0, '
        '"screening_other_inappropriate": 0.0}'
    )
    assert lines[3] == _fill(expected, SAME=same, ARTICLE=tagged.article.pk, COMMENT=c4.pk)
    decided = queries.with_status(Comment.objects.filter(pk=c1.pk)).values_list(
        "moderation__decision__created_at", flat=True
    )[0]
    expected = (
        '{"comment_id": COMMENT, SAME"position": "1", "parent_id": null, "depth": 0, '
        '"author": "AUTHOR", "posted_at": null, "source_status": "published", '
        '"text": "You are an idiot, you b*****d.", "text_sha256": '
        '"80d37393ced37b0d0ba6bd5bcacbae7ea3702a2f8009f4de3d4a857d17e3a270", '
        '"reviewed": true, "review_route": "queue", "sample": null, "status": "removed", '
        '"decided_at": "DECIDED", "reviewers": 2, "reviewers_profanity": 2, '
        '"reviewers_personal_attack": 2, "reviewers_other_inappropriate": 2, '
        '"fraction_profanity": 0.5, "fraction_personal_attack": 1.0, '
        '"fraction_other_inappropriate": 0.0, "majority_profanity": 0, '
        '"majority_personal_attack": 1, "majority_other_inappropriate": 0, '
        '"any_violation": 1.0, "spans": '
        '[{"start": 22, "end": 29, "category": "profanity", "text": "b*****d", '
        '"moderator": "MODERATOR"}], "policy_version": 1, "screening_profanity": PROFANITY, '
        '"screening_personal_attack": 1.0, "screening_other_inappropriate": 0.0}'
    )
    assert lines[0] == _fill(
        expected,
        SAME=same,
        ARTICLE=tagged.article.pk,
        COMMENT=c1.pk,
        AUTHOR=prepared.pseudonyms.commenter("Asbarez", PEOPLE[0]),
        DECIDED=decided.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        MODERATOR=prepared.pseudonyms.moderator(tagged.zelda.pk),
        # The profanity model's probability, weighted (it never flags alone).
        PROFANITY=round(ScreeningScore.objects.get(comment=c1, source="profanity").score * 0.45, 4),
    )


def _fill(text: str, **values) -> str:
    for name, value in values.items():
        text = text.replace(name, str(value))
    return text
