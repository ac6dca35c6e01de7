"""/export/'s comments table: one row per comment as published, with its review, its votes
per category and the passages tagged in it, on the known set of export_helpers."""

import csv
import hashlib
import io
import json
import re
from datetime import UTC, datetime

import pytest

from moderation import export, services
from moderation.models import AuditEvent, Status
from tests import factories
from tests.moderation.export_helpers import (
    CATEGORIES,
    CATEGORY_COLUMNS,
    COMMENTS_CSV,
    COMMENTS_JSONL,
    LABELS_CSV,
    LABELS_JSONL,
    by_id,
    content,
    csv_rows,
    jsonl,
    moderator_pseudonym,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pseudonym_key")]


def test_comment_rows_hold_the_comment_as_published(researcher_client, tagged):
    c1, _, c3, c4, _ = tagged.comments
    rows = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))
    first, reply = rows[c1.pk], rows[c3.pk]
    assert list(rows) == [c.pk for c in tagged.comments]
    assert first["site"] == "Asbarez"
    assert first["article_id"] == tagged.article.pk
    assert first["article_title"] == "Budget debate"
    assert first["article_url"] == "https://asbarez.com/budget-debate/"
    assert (first["position"], first["parent_id"], first["depth"]) == ("1", None, 0)
    assert (reply["position"], reply["parent_id"], reply["depth"]) == ("1.1", c1.pk, 1)
    assert first["text"] == "You are an idiot, you b*****d."
    assert first["text_sha256"] == hashlib.sha256(first["text"].encode()).hexdigest()
    assert re.fullmatch(r"c-[0-9a-f]{16}", first["author"])
    assert reply["author"] == first["author"]  # same commenter, same pseudonym
    assert rows[c4.pk]["author"] is None  # anonymous
    assert first["source_status"] == "published"


def test_posted_at_and_decided_at_are_utc(researcher_client, tagged):
    c1 = tagged.comments[0]
    c1.posted_at = datetime(2024, 3, 1, 21, 30, 5, tzinfo=UTC)
    c1.save(update_fields=["posted_at"])
    row = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))[c1.pk]
    assert row["posted_at"] == "2024-03-01T21:30:05Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", row["decided_at"])


def test_decided_at_is_only_for_approved_or_removed_comments(researcher_client, tagged):
    """An undo sends a comment back to pending and an escalation leaves it open: their
    times are no decision on the comment, so decided_at stays null (in both formats)."""
    c1, c2, _, c4, c5 = tagged.comments
    profanity = factories.category(tagged.site, "profanity")
    services.decide(tagged.zelda, c4, Status.REMOVED, expected_version=0, reasons=[profanity])
    services.undo(tagged.zelda, AuditEvent.objects.get(action="comment.removed", comment=c4))
    services.decide(tagged.yorick, c5, Status.ESCALATED, expected_version=1)
    rows = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))
    cells = by_id(csv_rows(researcher_client.get(COMMENTS_CSV)))
    assert [rows[c.pk]["status"] for c in (c1, c2, c4, c5)] == [
        "removed",
        "approved",
        "pending",
        "escalated",
    ]
    for decided in (c1, c2):
        assert rows[decided.pk]["decided_at"].endswith("Z")
        assert cells[str(decided.pk)]["decided_at"] == rows[decided.pk]["decided_at"]
    for still_open in (c4, c5):
        assert rows[still_open.pk]["decided_at"] is None
        assert cells[str(still_open.pk)]["decided_at"] == ""


def test_vote_fractions_and_majorities(researcher_client, tagged):
    c1, _, c3, _, c5 = tagged.comments
    rows = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))
    assert rows[c1.pk]["reviewers"] == 2
    assert rows[c1.pk]["fraction_personal_attack"] == 1.0
    assert rows[c1.pk]["majority_personal_attack"] == 1
    assert rows[c1.pk]["fraction_profanity"] == 0.5  # one of two: not a majority
    assert rows[c1.pk]["majority_profanity"] == 0
    assert rows[c1.pk]["fraction_other_inappropriate"] == 0.0
    assert (rows[c1.pk]["status"], rows[c1.pk]["review_route"]) == ("removed", "queue")
    # c3: zelda's tag was retracted, so only yorick's counts.
    assert rows[c3.pk]["reviewers"] == 2
    assert rows[c3.pk]["fraction_personal_attack"] == 0.5
    assert rows[c3.pk]["majority_personal_attack"] == 0
    # c5: removed for a reason without a tag: the removal is the vote.
    assert rows[c5.pk]["fraction_other_inappropriate"] == 1.0
    assert rows[c5.pk]["majority_other_inappropriate"] == 1


def test_any_violation_is_the_share_of_reviewers_with_a_positive_label(researcher_client, tagged):
    c1, c2, c3, c4, c5 = tagged.comments
    rows = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))
    # c1 both reviewers; c2 approved; c3 one of two (a retracted tag is a 0); c4 unreviewed.
    assert [rows[c.pk]["any_violation"] for c in tagged.comments] == [1.0, 0.0, 0.5, None, 1.0]
    cells = by_id(csv_rows(researcher_client.get(COMMENTS_CSV)))
    assert [cells[str(c.pk)]["any_violation"] for c in (c1, c2, c3, c4, c5)] == [
        "1.0",
        "0.0",
        "0.5",
        "",
        "1.0",
    ]


def test_any_violation_counts_each_reviewer_once_not_each_category(researcher_client, tagged):
    """Two comments with the same vote fractions (one half in two categories): one reviewer
    marked both on the first, each reviewer one on the second. The table writer keeps the
    review columns of equal fractions: any_violation must still be each comment's own."""
    site, zelda, yorick = tagged.site, tagged.zelda, tagged.yorick
    profanity = factories.category(site, "profanity")
    attack = factories.category(site, "personal-attack")
    one = factories.make_comment(tagged.article, "One reviewer marks both.")
    services.tag(zelda, one, profanity)
    services.tag(zelda, one, attack)
    services.decide(yorick, one, Status.APPROVED, expected_version=0, note="Fine.")
    two = factories.make_comment(tagged.article, "Each reviewer marks one.")
    services.tag(zelda, two, profanity)
    services.tag(yorick, two, attack)
    services.decide(yorick, two, Status.APPROVED, expected_version=0, note="Fine.")
    rows = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))
    cells = by_id(csv_rows(researcher_client.get(COMMENTS_CSV)))
    for comment, share in ((one, 0.5), (two, 1.0)):
        row = rows[comment.pk]
        assert (row["fraction_profanity"], row["fraction_personal_attack"]) == (0.5, 0.5)
        assert row["any_violation"] == share
        assert cells[str(comment.pk)]["any_violation"] == str(share)


def test_approved_without_tags_is_a_reviewed_negative(researcher_client, tagged):
    row = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))[tagged.comments[1].pk]
    assert row["reviewed"] is True
    assert row["reviewers"] == 1
    assert row["status"] == "approved"
    assert row["decided_at"] is not None
    assert [row[f"fraction_{name}"] for name in CATEGORY_COLUMNS] == [0.0, 0.0, 0.0]
    assert [row[f"majority_{name}"] for name in CATEGORY_COLUMNS] == [0, 0, 0]


def test_unreviewed_comment_is_marked_unreviewed_not_negative(researcher_client, tagged):
    row = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))[tagged.comments[3].pk]
    assert row["reviewed"] is False
    assert row["review_route"] is None
    assert (row["reviewers"], row["status"], row["decided_at"]) == (0, "pending", None)
    assert [row[f"fraction_{name}"] for name in CATEGORY_COLUMNS] == [None, None, None]
    assert [row[f"majority_{name}"] for name in CATEGORY_COLUMNS] == [None, None, None]
    assert row["policy_version"] is None


def test_spans_are_offsets_into_the_text_with_the_quoted_passage(researcher_client, tagged):
    c1 = tagged.comments[0]
    row = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))[c1.pk]
    start, end = tagged.span
    assert row["spans"] == [
        {
            "start": start,
            "end": end,
            "category": "profanity",
            "text": "b*****d",
            "moderator": moderator_pseudonym(tagged.zelda),
        }
    ]
    assert row["text"][start:end] == "b*****d"


def test_retracted_span_is_not_exported_as_a_span(researcher_client, tagged):
    c2 = tagged.comments[1]
    site = tagged.site
    services.retract(
        tagged.zelda,
        services.tag(tagged.zelda, c2, factories.category(site, "profanity"), span=(0, 1)),
    )
    assert by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))[c2.pk]["spans"] == []


def test_policy_version_is_the_one_in_force_at_the_last_review(researcher_client, tagged, admin):
    c4 = tagged.comments[3]
    rows = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))
    assert rows[tagged.comments[0].pk]["policy_version"] == 1
    services.edit_policy(admin, tagged.site, text="New rules.", expected_version=1)
    services.tag(tagged.zelda, c4, factories.category(tagged.site, "profanity"))
    rows = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))
    assert rows[c4.pk]["policy_version"] == 2
    assert rows[tagged.comments[0].pk]["policy_version"] == 1


def test_per_category_columns_name_the_category_with_underscores(researcher_client, tagged):
    """fraction_personal_attack, not fraction_personal-attack: an identifier in pandas, R or
    SQL. The labels table's category is still the slug."""
    row = jsonl(researcher_client.get(COMMENTS_JSONL))[0]
    header = content(researcher_client.get(COMMENTS_CSV)).decode().splitlines()[0].split(",")
    per_category = [
        f"{prefix}_{name}"
        for prefix in ("reviewers", "fraction", "majority", "screening")
        for name in CATEGORY_COLUMNS
    ]
    assert set(per_category) <= set(row) == set(header)
    assert [name for name in header if not name.isidentifier()] == []
    labels = jsonl(researcher_client.get(LABELS_JSONL))
    assert {label["category"] for label in labels} == set(CATEGORIES)


def test_a_site_cannot_have_two_categories_that_would_share_columns(admin, tagged):
    with pytest.raises(services.Conflict, match="only in - and _"):
        services.add_category(admin, tagged.site, name="Personal_attack", definition="Again.")
    assert (
        export.comment_columns(["personal-attack", "personal_attack"]).count(
            "fraction_personal_attack"
        )
        == 1
    )


def test_csv_has_a_header_and_the_same_values(researcher_client, tagged):
    response = researcher_client.get(COMMENTS_CSV)
    text = content(response).decode()
    header = text.splitlines()[0].split(",")
    assert header == export.comment_columns(CATEGORIES)
    rows = by_id(csv.DictReader(io.StringIO(text)))
    c1, c2, _, c4, _ = tagged.comments
    assert rows[str(c1.pk)]["fraction_profanity"] == "0.5"
    assert rows[str(c1.pk)]["reviewed"] == "true"
    assert rows[str(c4.pk)]["reviewed"] == "false"
    assert rows[str(c4.pk)]["fraction_profanity"] == ""
    assert rows[str(c4.pk)]["author"] == ""
    assert rows[str(c2.pk)]["majority_personal_attack"] == "0"
    assert json.loads(rows[str(c1.pk)]["spans"])[0]["text"] == "b*****d"
    assert rows[str(c1.pk)]["text"] == "You are an idiot, you b*****d."


def raw_cells(line: str) -> list[str]:
    """A CSV line's cells as written, quotes kept (for a line without quoted newlines)."""
    return re.findall(r'(?:^|,)("(?:[^"]|"")*"|[^,]*)', line)


def test_csv_quotes_every_text_and_leaves_numbers_booleans_and_null_bare(
    researcher_client, article
):
    """ "2.10" is a position, not a number; "" is an empty text, not a null (an empty cell)."""
    comment = factories.make_comment(article, "", position="2.10")
    text = content(researcher_client.get(COMMENTS_CSV)).decode()
    header, line = text.splitlines()
    cells = dict(zip(header.split(","), raw_cells(line), strict=True))
    assert cells["comment_id"] == str(comment.pk)
    assert cells["position"] == '"2.10"'
    assert cells["text"] == '""'
    assert cells["author"] == ""  # anonymous: null
    assert cells["parent_id"] == cells["decided_at"] == cells["any_violation"] == ""
    assert (cells["depth"], cells["reviewers"], cells["reviewed"]) == ("1", "0", "false")
    assert cells["status"] == '"pending"'
    assert cells["spans"] == '"[]"'
    assert cells["site"].startswith('"')
    assert cells["article_title"].startswith('"')


def test_label_csv_quotes_every_text_too(researcher_client, tagged):
    text = content(researcher_client.get(LABELS_CSV)).decode()
    header, *lines = text.splitlines()
    rows = [dict(zip(header.split(","), raw_cells(line), strict=True)) for line in lines]
    assert {row["category"] for row in rows} == {f'"{slug}"' for slug in CATEGORIES}
    assert {row["retracted"] for row in rows} == {"true", "false"}
    assert all(row["comment_id"].isdigit() for row in rows)
    assert {row["label"] for row in rows} == {"0", "1"}
    assert {row["retracted_at"] for row in rows if row["retracted"] == "false"} == {""}


def test_text_with_commas_quotes_newlines_and_non_ascii_survives(researcher_client, article):
    text = 'Line one, "quoted"\nLine two: Հայաստան — ok'
    comment = factories.make_comment(article, text, author="Ani Tashjian")
    from_csv = by_id(csv_rows(researcher_client.get(COMMENTS_CSV)))[str(comment.pk)]
    raw = content(researcher_client.get(COMMENTS_JSONL))
    assert from_csv["text"] == text
    assert "Հայաստան".encode() in raw  # UTF-8, not \\u escapes
    assert raw.count(b"\n") == 1  # one object per line, the newline escaped inside it
