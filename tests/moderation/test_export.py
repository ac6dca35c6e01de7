"""/export/: the page, the downloads and the bundle, on a small set whose labels are known.

The set (`tagged`), on one article of Asbarez, reviewed by zelda and yorick:

  c1 "You are an idiot, you b*****d."  zelda: personal-attack, profanity on "b*****d";
                                         yorick: personal-attack, then removes it for that
  c2 "I disagree with the budget."       zelda approves it without tags: a reviewed negative
  c3 (reply to c1) "Shut up, moron."     zelda tags personal-attack and retracts; yorick tags it
  c4 "Nice article, thanks." (anonymous) nobody reviews it
  c5 "Buy cheap watches at example.com"  zelda removes it for other-inappropriate, no tag
"""

import csv
import hashlib
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from moderation import audit, export, services
from moderation.models import AuditEvent, Decision, Status
from tests import factories

pytestmark = pytest.mark.django_db

KEY = "test-export-key-0123456789abcdef-0123456789abcdef"
OTHER_KEY = "another-export-key-fedcba9876543210-fedcba9876543210"
PEOPLE = ["Vartan Hagopian", "Ani Tashjian", "Watch Seller", "zelda_mod", "yorick_mod"]
CATEGORIES = ["profanity", "personal-attack", "other-inappropriate"]


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch):
    monkeypatch.setenv(export.KEY_VARIABLE, KEY)


@pytest.fixture
def researcher(client):
    user = factories.make_researcher("quentin_res")
    client.force_login(user)
    return user


@pytest.fixture
def admin(client):
    user = factories.make_admin("ada_admin")
    client.force_login(user)
    return user


def build_tagged_set():
    """The known set of the module docstring; returns its site, people and comments."""
    site = factories.make_site("Asbarez", policy_text="No profanity, no personal attacks.")
    article = factories.make_article(
        site, title="Budget debate", source_url="https://asbarez.com/budget-debate/"
    )
    zelda, yorick = factories.make_moderator("zelda_mod"), factories.make_moderator("yorick_mod")
    attack = factories.category(site, "personal-attack")
    profanity = factories.category(site, "profanity")
    other = factories.category(site, "other-inappropriate")

    c1 = factories.make_comment(article, "You are an idiot, you b*****d.", author=PEOPLE[0])
    c2 = factories.make_comment(article, "I disagree with the budget.", author=PEOPLE[1])
    c3 = factories.make_comment(article, "Shut up, moron.", parent=c1, author=PEOPLE[0])
    c4 = factories.make_comment(article, "Nice article, thanks.")
    c5 = factories.make_comment(article, "Buy cheap watches at example.com", author=PEOPLE[2])

    start = c1.body_text.index("b*****d")
    services.tag(zelda, c1, attack)
    services.tag(zelda, c1, profanity, span=(start, start + 7))
    services.tag(yorick, c1, attack)
    services.decide(yorick, c1, Status.REMOVED, expected_version=0, reasons=[attack])
    services.decide(zelda, c2, Status.APPROVED, expected_version=0)
    services.retract(zelda, services.tag(zelda, c3, attack))
    services.tag(yorick, c3, attack)
    services.decide(zelda, c5, Status.REMOVED, expected_version=0, reasons=[other])
    return SimpleNamespace(
        site=site,
        article=article,
        zelda=zelda,
        yorick=yorick,
        comments=[c1, c2, c3, c4, c5],
        span=(start, start + 7),
    )


@pytest.fixture
def tagged(db):
    return build_tagged_set()


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def jsonl(response) -> list[dict]:
    return [json.loads(line) for line in content(response).decode().splitlines()]


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content(response).decode())))


def by_id(rows):
    return {row["comment_id"]: row for row in rows}


def moderator_pseudonym(user, key=KEY):
    return export.Pseudonyms(export.PseudonymKey(key.encode())).moderator(user.pk)


COMMENTS_JSONL = reverse("moderation:export_comments", args=["jsonl"])
COMMENTS_CSV = reverse("moderation:export_comments", args=["csv"])
LABELS_JSONL = reverse("moderation:export_labels", args=["jsonl"])
LABELS_CSV = reverse("moderation:export_labels", args=["csv"])
CODEBOOK = reverse("moderation:export_codebook")
BUNDLE = reverse("moderation:export_bundle")
PAGE = reverse("moderation:export")


# Comment rows


def test_comment_rows_hold_the_comment_as_published(client, researcher, tagged):
    c1, _, c3, c4, _ = tagged.comments
    rows = by_id(jsonl(client.get(COMMENTS_JSONL)))
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


def test_posted_at_and_decided_at_are_utc(client, researcher, tagged):
    c1 = tagged.comments[0]
    c1.posted_at = datetime(2024, 3, 1, 21, 30, 5, tzinfo=UTC)
    c1.save(update_fields=["posted_at"])
    row = by_id(jsonl(client.get(COMMENTS_JSONL)))[c1.pk]
    assert row["posted_at"] == "2024-03-01T21:30:05Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", row["decided_at"])


def test_vote_fractions_and_majorities(client, researcher, tagged):
    c1, _, c3, _, c5 = tagged.comments
    rows = by_id(jsonl(client.get(COMMENTS_JSONL)))
    assert rows[c1.pk]["reviewers"] == 2
    assert rows[c1.pk]["fraction_personal-attack"] == 1.0
    assert rows[c1.pk]["majority_personal-attack"] == 1
    assert rows[c1.pk]["fraction_profanity"] == 0.5  # one of two: not a majority
    assert rows[c1.pk]["majority_profanity"] == 0
    assert rows[c1.pk]["fraction_other-inappropriate"] == 0.0
    assert (rows[c1.pk]["status"], rows[c1.pk]["review_route"]) == ("removed", "queue")
    # c3: zelda's tag was retracted, so only yorick's counts.
    assert rows[c3.pk]["reviewers"] == 2
    assert rows[c3.pk]["fraction_personal-attack"] == 0.5
    assert rows[c3.pk]["majority_personal-attack"] == 0
    # c5: removed for a reason without a tag: the removal is the vote.
    assert rows[c5.pk]["fraction_other-inappropriate"] == 1.0
    assert rows[c5.pk]["majority_other-inappropriate"] == 1


def test_approved_without_tags_is_a_reviewed_negative(client, researcher, tagged):
    row = by_id(jsonl(client.get(COMMENTS_JSONL)))[tagged.comments[1].pk]
    assert row["reviewed"] is True
    assert row["reviewers"] == 1
    assert row["status"] == "approved"
    assert row["decided_at"] is not None
    assert [row[f"fraction_{slug}"] for slug in CATEGORIES] == [0.0, 0.0, 0.0]
    assert [row[f"majority_{slug}"] for slug in CATEGORIES] == [0, 0, 0]


def test_unreviewed_comment_is_marked_unreviewed_not_negative(client, researcher, tagged):
    row = by_id(jsonl(client.get(COMMENTS_JSONL)))[tagged.comments[3].pk]
    assert row["reviewed"] is False
    assert row["review_route"] is None
    assert (row["reviewers"], row["status"], row["decided_at"]) == (0, "pending", None)
    assert [row[f"fraction_{slug}"] for slug in CATEGORIES] == [None, None, None]
    assert [row[f"majority_{slug}"] for slug in CATEGORIES] == [None, None, None]
    assert row["policy_version"] is None


def test_spans_are_offsets_into_the_text_with_the_quoted_passage(client, researcher, tagged):
    c1 = tagged.comments[0]
    row = by_id(jsonl(client.get(COMMENTS_JSONL)))[c1.pk]
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


def test_retracted_span_is_not_exported_as_a_span(client, researcher, tagged):
    c2 = tagged.comments[1]
    site = tagged.site
    services.retract(
        tagged.zelda,
        services.tag(tagged.zelda, c2, factories.category(site, "profanity"), span=(0, 1)),
    )
    assert by_id(jsonl(client.get(COMMENTS_JSONL)))[c2.pk]["spans"] == []


def test_policy_version_is_the_one_in_force_at_the_last_review(client, researcher, tagged):
    c4 = tagged.comments[3]
    rows = by_id(jsonl(client.get(COMMENTS_JSONL)))
    assert rows[tagged.comments[0].pk]["policy_version"] == 1
    admin = factories.make_admin("ada_admin")
    services.edit_policy(admin, tagged.site, text="New rules.", expected_version=1)
    services.tag(tagged.zelda, c4, factories.category(tagged.site, "profanity"))
    rows = by_id(jsonl(client.get(COMMENTS_JSONL)))
    assert rows[c4.pk]["policy_version"] == 2
    assert rows[tagged.comments[0].pk]["policy_version"] == 1


def test_csv_has_a_header_and_the_same_values(client, researcher, tagged):
    response = client.get(COMMENTS_CSV)
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
    assert rows[str(c2.pk)]["majority_personal-attack"] == "0"
    assert json.loads(rows[str(c1.pk)]["spans"])[0]["text"] == "b*****d"
    assert rows[str(c1.pk)]["text"] == "You are an idiot, you b*****d."


def test_text_with_commas_quotes_newlines_and_non_ascii_survives(client, researcher, db):
    site = factories.make_site("Asbarez")
    text = 'Line one, "quoted"\nLine two: Հայաստան — ok'
    comment = factories.make_comment(factories.make_article(site), text, author="Ani Tashjian")
    from_csv = by_id(csv_rows(client.get(COMMENTS_CSV)))[str(comment.pk)]
    raw = content(client.get(COMMENTS_JSONL))
    assert from_csv["text"] == text
    assert "Հայաստան".encode() in raw  # UTF-8, not \\u escapes
    assert raw.count(b"\n") == 1  # one object per line, the newline escaped inside it


# Label rows


def test_label_rows_one_per_reviewer_comment_and_category(client, researcher, tagged):
    rows = jsonl(client.get(LABELS_JSONL))
    assert len(rows) == (2 + 1 + 2 + 0 + 1) * 3
    assert list(rows[0]) == export.LABEL_COLUMN_NAMES
    c4 = tagged.comments[3]
    assert not [row for row in rows if row["comment_id"] == c4.pk]
    assert {row["moderator"] for row in rows} == {
        moderator_pseudonym(tagged.zelda),
        moderator_pseudonym(tagged.yorick),
    }


def labels_of(rows, comment, user, category):
    (row,) = [
        r
        for r in rows
        if r["comment_id"] == comment.pk
        and r["moderator"] == moderator_pseudonym(user)
        and r["category"] == category
    ]
    return row


def test_label_values_time_and_policy_version(client, researcher, tagged):
    rows = jsonl(client.get(LABELS_JSONL))
    c1, c2, _, _, c5 = tagged.comments
    tag = labels_of(rows, c1, tagged.zelda, "profanity")
    assert (tag["label"], tag["basis"], tag["retracted"], tag["policy_version"]) == (
        1,
        "tag",
        False,
        1,
    )
    assert tag["labelled_at"].endswith("Z")
    assert labels_of(rows, c1, tagged.yorick, "profanity")["label"] == 0
    negative = labels_of(rows, c2, tagged.zelda, "personal-attack")
    assert (negative["label"], negative["basis"], negative["retracted"]) == (0, "reviewed", False)
    removal = labels_of(rows, c5, tagged.zelda, "other-inappropriate")
    assert (removal["label"], removal["basis"]) == (1, "removal")


def test_retracted_tag_is_a_zero_marked_retracted(client, researcher, tagged):
    rows = jsonl(client.get(LABELS_JSONL))
    c3 = tagged.comments[2]
    retracted = labels_of(rows, c3, tagged.zelda, "personal-attack")
    assert retracted["label"] == 0
    assert retracted["basis"] == "retracted_tag"
    assert retracted["retracted"] is True
    assert retracted["retracted_at"] >= retracted["labelled_at"]
    assert labels_of(rows, c3, tagged.yorick, "personal-attack")["label"] == 1


def test_a_removal_its_author_takes_back_to_pending_is_no_review(client, researcher, tagged):
    c5 = tagged.comments[4]
    services.decide(tagged.zelda, c5, Status.PENDING, expected_version=1)
    row = by_id(jsonl(client.get(COMMENTS_JSONL)))[c5.pk]
    assert (row["reviewed"], row["reviewers"], row["fraction_other-inappropriate"]) == (
        False,
        0,
        None,
    )
    assert row["status"] == "pending"
    assert not [r for r in jsonl(client.get(LABELS_JSONL)) if r["comment_id"] == c5.pk]


# Whose judgement a label is: each moderator's own tags and own latest decision


def test_an_escalation_alone_is_not_a_review(client, researcher, tagged):
    c4 = tagged.comments[3]
    services.decide(
        tagged.zelda, c4, Status.ESCALATED, expected_version=0, note="Needs a senior look."
    )
    row = by_id(jsonl(client.get(COMMENTS_JSONL)))[c4.pk]
    assert (row["reviewed"], row["reviewers"], row["review_route"]) == (False, 0, None)
    assert [row[f"fraction_{slug}"] for slug in CATEGORIES] == [None, None, None]
    assert [row[f"majority_{slug}"] for slug in CATEGORIES] == [None, None, None]
    # The comment's state is still what it is.
    assert row["status"] == "escalated"
    assert row["decided_at"] is not None
    assert not [r for r in jsonl(client.get(LABELS_JSONL)) if r["comment_id"] == c4.pk]
    reviewed_only = jsonl(client.get(COMMENTS_JSONL, {"reviewed": "on"}))
    assert c4.pk not in [r["comment_id"] for r in reviewed_only]
    counts = json.loads(client.get(CODEBOOK).content)["counts"]
    assert counts == {
        "comments": 5,
        "reviewed": 4,
        "reviewed_negatives": 1,
        "unreviewed": 1,
        "labels": 18,
    }


def test_an_escalation_then_an_approval_is_the_approvers_review_only(client, researcher, tagged):
    c4 = tagged.comments[3]
    services.decide(tagged.zelda, c4, Status.ESCALATED, expected_version=0)
    services.decide(tagged.yorick, c4, Status.APPROVED, expected_version=1)
    row = by_id(jsonl(client.get(COMMENTS_JSONL)))[c4.pk]
    assert (row["reviewed"], row["reviewers"], row["fraction_profanity"]) == (True, 1, 0.0)
    labels = [r for r in jsonl(client.get(LABELS_JSONL)) if r["comment_id"] == c4.pk]
    assert {r["moderator"] for r in labels} == {moderator_pseudonym(tagged.yorick)}
    assert {(r["label"], r["basis"]) for r in labels} == {(0, "reviewed")}


def test_an_undone_removal_is_neither_a_vote_nor_a_review(client, researcher, tagged):
    c4 = tagged.comments[3]
    services.decide(
        tagged.zelda,
        c4,
        Status.REMOVED,
        expected_version=0,
        reasons=[factories.category(tagged.site, "profanity")],
    )
    services.undo(tagged.zelda, AuditEvent.objects.get(action="comment.removed", comment=c4))
    row = by_id(jsonl(client.get(COMMENTS_JSONL)))[c4.pk]
    assert (row["reviewed"], row["reviewers"], row["fraction_profanity"]) == (False, 0, None)
    assert row["status"] == "pending"
    assert not [r for r in jsonl(client.get(LABELS_JSONL)) if r["comment_id"] == c4.pk]


def test_an_overruled_removal_keeps_the_removers_vote(client, researcher, tagged):
    c5 = tagged.comments[4]  # zelda removed it for other-inappropriate
    services.decide(tagged.yorick, c5, Status.APPROVED, expected_version=1, note="Not spam.")
    row = by_id(jsonl(client.get(COMMENTS_JSONL)))[c5.pk]
    assert (row["status"], row["reviewers"]) == ("approved", 2)
    assert (row["fraction_other-inappropriate"], row["majority_other-inappropriate"]) == (0.5, 0)
    labels = jsonl(client.get(LABELS_JSONL))
    removal = labels_of(labels, c5, tagged.zelda, "other-inappropriate")
    assert (removal["label"], removal["basis"]) == (1, "removal")
    approval = labels_of(labels, c5, tagged.yorick, "other-inappropriate")
    assert (approval["label"], approval["basis"]) == (0, "reviewed")
    # A real disagreement: c1 (0, 0), c3 (0, 0), c5 (1, 0).
    agreement = json.loads(client.get(CODEBOOK).content)["agreement"]
    alpha = {row["category"]: row["alpha"] for row in agreement["alpha"]}
    kappa = {row["category"]: row["kappa"] for row in agreement["kappa"]}
    assert alpha["other-inappropriate"] == {"value": 0.0, "items": 3, "reason": None}
    assert kappa["other-inappropriate"] == {"value": 0.0, "items": 3, "reason": None}


def test_another_moderators_escalation_does_not_cancel_a_removal(client, researcher, tagged):
    c4 = tagged.comments[3]
    profanity = factories.category(tagged.site, "profanity")
    services.decide(tagged.zelda, c4, Status.REMOVED, expected_version=0, reasons=[profanity])
    services.decide(tagged.yorick, c4, Status.ESCALATED, expected_version=1)
    row = by_id(jsonl(client.get(COMMENTS_JSONL)))[c4.pk]
    assert (row["status"], row["reviewers"], row["fraction_profanity"]) == ("escalated", 1, 1.0)
    removal = labels_of(jsonl(client.get(LABELS_JSONL)), c4, tagged.zelda, "profanity")
    assert (removal["label"], removal["basis"]) == (1, "removal")


def test_counts_filters_and_rows_agree_under_the_judgement_rule(tagged):
    c1, c2, _, c4, c5 = tagged.comments
    services.decide(tagged.zelda, c4, Status.ESCALATED, expected_version=0)
    services.decide(tagged.yorick, c5, Status.APPROVED, expected_version=1)
    services.undo(tagged.zelda, AuditEvent.objects.get(action="comment.approved", comment=c2))
    services.decide(tagged.zelda, c1, Status.ESCALATED, expected_version=1)
    prepared = export.Export.from_query({})
    comments = [row for batch in prepared.comment_rows() for row in batch]
    labels = [row for batch in prepared.label_rows() for row in batch]
    summary = prepared.summary()
    reviewed = [row["comment_id"] for row in comments if row["reviewed"]]
    assert reviewed == [c.pk for c in tagged.comments if c not in (c2, c4)]
    assert prepared.count("labels") == len(labels) == summary.labels == (2 + 2 + 2) * 3
    assert summary.reviewed == len(reviewed)
    assert summary.reviewed_negatives == 0
    only = export.Export.from_query({"reviewed": "on"})
    assert [row["comment_id"] for batch in only.comment_rows() for row in batch] == reviewed


def test_labels_csv_matches_jsonl(client, researcher, tagged):
    from_csv = csv_rows(client.get(LABELS_CSV))
    from_jsonl = jsonl(client.get(LABELS_JSONL))
    assert len(from_csv) == len(from_jsonl)
    assert list(from_csv[0]) == export.LABEL_COLUMN_NAMES
    assert [r["label"] for r in from_csv] == [str(r["label"]) for r in from_jsonl]


# Labels only for the categories a moderator had: those active in the policy version in force
# when they judged (a tag's own version; a decision's, by its time)


def policy_admin():
    return get_user_model().objects.filter(username="ada_admin").first() or (
        factories.make_admin("ada_admin")
    )


def add_ethnic_slur(site):
    """An Admin adds a category: a new policy version (the tagged set was judged under v1)."""
    return services.add_category(
        policy_admin(), site, name="Ethnic slur", definition="A slur aimed at an ethnic group."
    )


def retire(site, slug):
    category = factories.category(site, slug)
    services.edit_category(
        policy_admin(), category, name=category.name, definition=category.definition, active=False
    )


def test_a_category_added_after_a_judgement_gets_no_label_from_it(client, researcher, tagged):
    add_ethnic_slur(tagged.site)
    c2, c4 = tagged.comments[1], tagged.comments[3]
    services.decide(tagged.yorick, c4, Status.APPROVED, expected_version=0)  # under v2
    labels = jsonl(client.get(LABELS_JSONL))
    judged_under_v1 = [r for r in labels if r["comment_id"] != c4.pk]
    assert "ethnic-slur" not in {r["category"] for r in judged_under_v1}
    assert [r["category"] for r in labels if r["comment_id"] == c2.pk] == CATEGORIES
    late = labels_of(labels, c4, tagged.yorick, "ethnic-slur")
    assert (late["label"], late["basis"], late["policy_version"]) == (0, "reviewed", 2)
    rows = by_id(jsonl(client.get(COMMENTS_JSONL)))
    assert rows[c2.pk]["fraction_profanity"] == 0.0
    assert rows[c2.pk]["fraction_ethnic-slur"] is None  # nobody could apply it: not a 0
    assert rows[c2.pk]["majority_ethnic-slur"] is None
    assert rows[c2.pk]["reviewers_ethnic-slur"] == 0
    assert (rows[c4.pk]["fraction_ethnic-slur"], rows[c4.pk]["reviewers_ethnic-slur"]) == (0.0, 1)
    prepared = export.Export.from_query({})
    assert prepared.count("labels") == len(labels) == prepared.summary().labels == 18 + 4
    codebook = json.loads(client.get(CODEBOOK).content)
    assert codebook["counts"]["labels"] == 18 + 4
    alpha = {row["category"]: row["alpha"] for row in codebook["agreement"]["alpha"]}
    assert alpha["ethnic-slur"]["items"] == 0  # not "n=2, no variation"
    assert "two or more" in alpha["ethnic-slur"]["reason"]
    kappa = {row["category"] for row in codebook["agreement"]["kappa"]}
    assert "ethnic-slur" not in kappa


def test_a_category_retired_before_a_judgement_gets_no_label_from_it(client, researcher, tagged):
    retire(tagged.site, "profanity")  # v2
    c1, c4 = tagged.comments[0], tagged.comments[3]
    services.decide(tagged.zelda, c4, Status.APPROVED, expected_version=0)
    labels = jsonl(client.get(LABELS_JSONL))
    assert [r["category"] for r in labels if r["comment_id"] == c4.pk] == [
        "personal-attack",
        "other-inappropriate",
    ]
    assert labels_of(labels, c1, tagged.yorick, "profanity")["label"] == 0  # judged under v1
    row = by_id(jsonl(client.get(COMMENTS_JSONL)))[c4.pk]
    assert (row["reviewers"], row["reviewers_profanity"], row["fraction_profanity"]) == (1, 0, None)


def test_per_category_denominators_and_a_tag_always_counts(client, researcher, tagged):
    c4 = tagged.comments[3]
    profanity = factories.category(tagged.site, "profanity")
    services.tag(tagged.zelda, c4, profanity)  # v1
    add_ethnic_slur(tagged.site)  # v2
    services.decide(tagged.yorick, c4, Status.APPROVED, expected_version=0, note="Mild.")
    row = by_id(jsonl(client.get(COMMENTS_JSONL)))[c4.pk]
    assert row["reviewers"] == 2
    assert (row["reviewers_profanity"], row["fraction_profanity"]) == (2, 0.5)
    assert (row["reviewers_ethnic-slur"], row["fraction_ethnic-slur"]) == (1, 0.0)
    assert row["majority_ethnic-slur"] == 0
    labels = [r for r in jsonl(client.get(LABELS_JSONL)) if r["comment_id"] == c4.pk]
    zelda = moderator_pseudonym(tagged.zelda)
    assert sorted(r["category"] for r in labels if r["moderator"] == zelda) == sorted(CATEGORIES)
    # Profanity is then retired (v3); zelda tags the comment again under v3: her latest
    # judgement has no profanity, but her profanity tag still stands as a 1.
    retire(tagged.site, "profanity")
    services.tag(tagged.zelda, c4, factories.category(tagged.site, "personal-attack"))
    labels = [r for r in jsonl(client.get(LABELS_JSONL)) if r["comment_id"] == c4.pk]
    mine = {r["category"]: (r["label"], r["basis"]) for r in labels if r["moderator"] == zelda}
    assert mine == {
        "profanity": (1, "tag"),
        "personal-attack": (1, "tag"),
        "other-inappropriate": (0, "reviewed"),
        "ethnic-slur": (0, "reviewed"),
    }
    prepared = export.Export.from_query({})
    rows = [r for batch in prepared.label_rows() for r in batch]
    assert prepared.count("labels") == len(rows) == prepared.summary().labels


def test_a_negative_label_rests_on_the_latest_judgement(client, researcher, tagged):
    c4 = tagged.comments[3]
    services.decide(tagged.zelda, c4, Status.ESCALATED, expected_version=0)  # v1, no judgement
    add_ethnic_slur(tagged.site)
    services.decide(tagged.zelda, c4, Status.APPROVED, expected_version=1)  # v2
    labels = [r for r in jsonl(client.get(LABELS_JSONL)) if r["comment_id"] == c4.pk]
    assert [r["category"] for r in labels] == [*CATEGORIES, "ethnic-slur"]
    assert {(r["basis"], r["policy_version"]) for r in labels} == {("reviewed", 2)}
    approval = Decision.objects.get(comment=c4, status=Status.APPROVED)
    assert {r["labelled_at"] for r in labels} == {export.writers._iso(approval.created_at)}


def test_agreement_counts_only_moderators_who_had_the_category(client, researcher, tagged):
    ethnic = add_ethnic_slur(tagged.site)
    c2, c4 = tagged.comments[1], tagged.comments[3]
    # c2: zelda approved under v1; yorick now removes it for the new category (v2).
    services.decide(tagged.yorick, c2, Status.REMOVED, expected_version=1, reasons=[ethnic])
    # c4: both judge under v2, both tag it ethnic-slur: two moderators who had it, agreeing.
    services.tag(tagged.zelda, c4, ethnic)
    services.tag(tagged.yorick, c4, ethnic)
    row = by_id(jsonl(client.get(COMMENTS_JSONL)))[c2.pk]
    assert (row["reviewers"], row["reviewers_ethnic-slur"], row["fraction_ethnic-slur"]) == (
        2,
        1,
        1.0,
    )
    agreement = json.loads(client.get(CODEBOOK).content)["agreement"]
    alpha = {row["category"]: row["alpha"] for row in agreement["alpha"]}
    kappa = {row["category"]: row["kappa"] for row in agreement["kappa"]}
    # Only c4 has two moderators who could apply ethnic-slur (c2's zelda could not).
    assert alpha["ethnic-slur"]["items"] == 1
    assert kappa["ethnic-slur"]["items"] == 1
    assert alpha["profanity"]["items"] == 4  # c1, c2, c3, c4: both had profanity


# Pseudonyms and real names


def test_pseudonyms_are_stable_under_one_key_and_differ_under_another(
    client, researcher, tagged, monkeypatch
):
    first = content(client.get(LABELS_JSONL)) + content(client.get(COMMENTS_JSONL))
    again = content(client.get(LABELS_JSONL)) + content(client.get(COMMENTS_JSONL))
    monkeypatch.setenv(export.KEY_VARIABLE, OTHER_KEY)
    other = content(client.get(LABELS_JSONL)) + content(client.get(COMMENTS_JSONL))
    pseudonyms = set(re.findall(rb"\b[cm]-[0-9a-f]{16}\b", first))
    assert len(pseudonyms) == 3 + 2  # Vartan, Ani, the seller; zelda, yorick
    assert pseudonyms == set(re.findall(rb"\b[cm]-[0-9a-f]{16}\b", again))
    assert not pseudonyms & set(re.findall(rb"\b[cm]-[0-9a-f]{16}\b", other))


def test_commenters_and_moderators_are_derived_separately(db):
    names = export.Pseudonyms(export.PseudonymKey(KEY.encode()))
    assert names.commenter("Asbarez", "7") != names.moderator(7).replace("m-", "c-")
    # The same display name on two sites is two people.
    assert names.commenter("Asbarez", "Ani") != names.commenter("The Armenian Report", "Ani")


def test_no_real_name_or_username_anywhere_in_the_bundle(client, researcher, tagged):
    response = client.get(BUNDLE)
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(content(response)))
    names = archive.namelist()
    assert len(names) == 6
    for name in names:
        data = archive.read(name).decode()
        for person in [*PEOPLE, researcher.username]:
            assert person.lower() not in name.lower()
            assert person.lower() not in data.lower(), (person, name)
    assert "You are an idiot" in archive.read(names[0]).decode()  # the data is there


def test_bundle_holds_both_tables_in_both_formats_a_codebook_and_a_data_statement(
    client, researcher, tagged
):
    archive = zipfile.ZipFile(io.BytesIO(content(client.get(BUNDLE))))
    names = [re.sub(r"\d{4}-\d\d-\d\d", "DATE", name) for name in archive.namelist()]
    assert names == [
        "comments-DATE.jsonl",
        "comments-DATE.csv",
        "labels-DATE.jsonl",
        "labels-DATE.csv",
        "codebook-DATE.json",
        "data-statement-DATE.md",
    ]
    assert archive.testzip() is None
    files = dict(zip(names, archive.namelist(), strict=True))
    codebook = json.loads(archive.read(files["codebook-DATE.json"]))
    assert codebook["counts"]["comments"] == 5
    statement = archive.read(files["data-statement-DATE.md"]).decode()
    assert "## Curation rationale" in statement
    assert "## Provenance" in statement
    labels = archive.read(files["labels-DATE.csv"]).decode().splitlines()
    assert len(labels) == 1 + 18


def csrf_client(user) -> Client:
    """A client that meets Django's CSRF check as a browser does (the test client skips it)."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    return browser


def post_from_the_page(browser, url, query):
    """Submit the export page's download form for `url`: its hidden fields and CSRF token."""
    html = browser.get(PAGE, query).content.decode()
    (form,) = re.findall(rf'<form method="post" action="{re.escape(url)}".*?</form>', html, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    return browser.post(url, fields)


def test_admin_may_export_real_names_and_it_is_audited_and_written(tagged):
    admin = factories.make_admin("ada_admin")
    browser = csrf_client(admin)
    query = {"real_names": "on"}
    response = post_from_the_page(browser, COMMENTS_JSONL, query)
    rows = by_id(jsonl(response))
    assert rows[tagged.comments[0].pk]["author"] == "Vartan Hagopian"
    assert "Vartan" not in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="export")
    assert event.actor == admin
    assert event.after["real_names"] is True
    codebook = json.loads(post_from_the_page(browser, CODEBOOK, query).content)
    assert codebook["pseudonyms"]["real_names"] is True
    assert any("REAL NAMES" in warning for warning in codebook["warnings"])
    labels = jsonl(post_from_the_page(browser, LABELS_JSONL, query))
    assert {row["moderator"] for row in labels} == {"zelda_mod", "yorick_mod"}


def test_real_name_forms_carry_the_filters(tagged):
    browser = csrf_client(factories.make_admin("ada_admin"))
    query = {"real_names": "on", "status": "removed"}
    rows = jsonl(post_from_the_page(browser, COMMENTS_JSONL, query))
    assert [row["comment_id"] for row in rows] == [tagged.comments[0].pk, tagged.comments[4].pk]
    assert AuditEvent.objects.get(action="export").after["filters"]["status"] == "removed"


@pytest.mark.parametrize("url", [COMMENTS_JSONL, LABELS_CSV, CODEBOOK, BUNDLE])
def test_real_names_over_get_are_refused_saying_to_use_the_form(client, admin, tagged, url):
    response = client.get(url, {"real_names": "on"})
    assert response.status_code == 400
    assert "must be requested with the form" in response.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_real_names_without_the_csrf_token_are_refused(tagged):
    browser = csrf_client(factories.make_admin("ada_admin"))
    response = browser.post(COMMENTS_JSONL, {"real_names": "on"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_with_real_names_ticked_the_downloads_are_post_forms_without_script(client, admin, tagged):
    html = client.get(PAGE, {"real_names": "on", "site": tagged.site.pk}).content.decode()
    for url in (COMMENTS_CSV, COMMENTS_JSONL, LABELS_CSV, LABELS_JSONL, CODEBOOK, BUNDLE):
        (form,) = re.findall(
            rf'<form method="post" action="{re.escape(url)}".*?</form>', html, re.S
        )
        assert 'name="csrfmiddlewaretoken"' in form
        assert '<input type="hidden" name="real_names" value="on">' in form
        assert f'<input type="hidden" name="site" value="{tagged.site.pk}">' in form
        assert f'href="{url}' not in html
    assert not re.findall(r"<script(?![^>]*\bsrc=)", html)  # no inline script


def test_pseudonymized_downloads_stay_links(client, admin, tagged):
    html = client.get(PAGE, {"site": tagged.site.pk}).content.decode()
    for url in (COMMENTS_CSV, COMMENTS_JSONL, LABELS_CSV, LABELS_JSONL, CODEBOOK, BUNDLE):
        assert f'href="{url}?site={tagged.site.pk}"' in html
        assert f'action="{url}"' not in html


def test_researcher_may_not_export_real_names(client, researcher, tagged):
    for url in (COMMENTS_JSONL, LABELS_CSV, CODEBOOK, BUNDLE, PAGE):
        assert client.get(url, {"real_names": "on"}).status_code == 403
    for url in (COMMENTS_JSONL, LABELS_CSV, CODEBOOK, BUNDLE):
        assert client.post(url, {"real_names": "on"}).status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_real_names_box_is_shown_to_admins_only(client, researcher, tagged):
    assert 'name="real_names"' not in client.get(PAGE).content.decode()
    client.force_login(factories.make_admin("ada_admin"))
    assert 'name="real_names"' in client.get(PAGE).content.decode()


# Who may export, and the record of it


@pytest.mark.parametrize("url", [PAGE, COMMENTS_CSV, LABELS_JSONL, CODEBOOK, BUNDLE])
def test_moderator_may_not_export(client, tagged, url):
    client.force_login(factories.make_moderator("mod_only"))
    assert client.get(url).status_code == 403


def test_every_download_is_an_audit_event_with_filters_and_rows(client, researcher, tagged):
    query = {"site": tagged.site.pk, "status": "removed"}
    for url in (COMMENTS_CSV, LABELS_JSONL, CODEBOOK, BUNDLE):
        content_of = client.get(url, query)
        if hasattr(content_of, "streaming_content"):
            content(content_of)
    events = list(AuditEvent.objects.filter(action="export").order_by("id"))
    assert [e.after["what"] for e in events] == [
        "comments.csv",
        "labels.jsonl",
        "codebook.json",
        "bundle.zip",
    ]
    assert [e.after["rows"] for e in events] == [2, (2 + 1) * 3, 2, 2]
    assert all(e.actor == researcher for e in events)
    assert events[0].after["filters"]["status"] == "removed"
    assert events[0].after["filters"]["site"] == "Asbarez"
    assert events[0].after["real_names"] is False
    assert client.get(PAGE, query).status_code == 200
    assert AuditEvent.objects.filter(action="export").count() == 4  # the page is no export


def test_label_count_before_streaming_equals_the_rows_streamed(tagged):
    prepared = export.Export.from_query({})
    rows = [row for batch in prepared.label_rows() for row in batch]
    assert prepared.count("labels") == len(rows) == prepared.summary().labels == 18


# Filters


def test_export_takes_every_status_by_default(client, researcher, tagged):
    assert len(jsonl(client.get(COMMENTS_JSONL))) == 5
    assert len(jsonl(client.get(COMMENTS_JSONL, {"status": "pending"}))) == 2


def test_reviewed_only(client, researcher, tagged):
    rows = jsonl(client.get(COMMENTS_JSONL, {"reviewed": "on"}))
    assert [row["comment_id"] for row in rows] == [
        c.pk for c in tagged.comments if c != tagged.comments[3]
    ]


def test_a_comment_with_only_a_retracted_tag_is_reviewed(client, researcher, tagged):
    c4 = tagged.comments[3]
    profanity = factories.category(tagged.site, "profanity")
    services.retract(tagged.yorick, services.tag(tagged.yorick, c4, profanity))
    rows = by_id(jsonl(client.get(COMMENTS_JSONL, {"reviewed": "on"})))
    assert rows[c4.pk]["reviewed"] is True
    assert rows[c4.pk]["fraction_profanity"] == 0.0


def test_site_category_moderator_and_dates_filter_the_rows(client, admin, tagged):
    other_site = factories.make_site("The Armenian Report")
    factories.make_comment(factories.make_article(other_site), "Elsewhere.")
    c1, c2, c3, _, c5 = tagged.comments

    def ids(**query):
        return [row["comment_id"] for row in jsonl(client.get(COMMENTS_JSONL, query))]

    assert len(ids()) == 6
    assert ids(site=tagged.site.pk) == [c.pk for c in tagged.comments]
    attack = factories.category(tagged.site, "personal-attack")
    assert ids(category=attack.pk) == [c1.pk, c3.pk]
    assert ids(moderator=tagged.yorick.pk) == [c1.pk, c3.pk]
    assert ids(moderator=tagged.zelda.pk) == [c1.pk, c2.pk, c3.pk, c5.pk]
    c2.posted_at = datetime(2024, 5, 2, 12, tzinfo=UTC)
    c2.save(update_fields=["posted_at"])
    assert ids(posted_after="2024-05-01", posted_before="2024-05-03") == [c2.pk]
    assert ids(article=tagged.article.pk, status="approved") == [c2.pk]


def test_codebook_records_the_filters_without_usernames(client, admin, tagged):
    response = client.get(CODEBOOK, {"moderator": tagged.zelda.pk, "reviewed": "on"})
    codebook = json.loads(response.content)
    assert codebook["filters"]["moderator"] == moderator_pseudonym(tagged.zelda)
    assert codebook["filters"]["reviewed_only"] is True
    assert codebook["filters"]["status"] == "all"
    assert b"zelda_mod" not in response.content


def test_researcher_page_offers_no_moderator_filter_and_names_nobody(client, researcher, tagged):
    factories.make_admin("ada_admin")
    html = client.get(PAGE).content.decode()
    assert 'name="moderator"' not in html
    for username in ("zelda_mod", "yorick_mod", "ada_admin"):
        assert username not in html
    assert client.get(PAGE).context["filter"].form.fields.keys().isdisjoint({"moderator"})


def test_researcher_page_ignores_a_moderator_filter_and_says_so(client, researcher, tagged):
    response = client.get(PAGE, {"moderator": tagged.zelda.pk, "site": tagged.site.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["summary"].comments == 5  # not only zelda's four
    assert "The moderator filter is for Admins only" in html
    assert f'href="{COMMENTS_CSV}?site={tagged.site.pk}"' in html
    assert "moderator=" not in html


@pytest.mark.parametrize("url", [COMMENTS_JSONL, LABELS_CSV, CODEBOOK, BUNDLE])
def test_researcher_download_with_a_moderator_filter_is_refused(client, researcher, tagged, url):
    response = client.get(url, {"moderator": tagged.zelda.pk})
    assert response.status_code == 400
    assert "The moderator filter is for Admins only" in response.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_researcher_codebook_has_no_moderator_filter_and_no_username(client, researcher, tagged):
    response = client.get(CODEBOOK, {"reviewed": "on"})
    assert json.loads(response.content)["filters"]["moderator"] is None
    for username in ("zelda_mod", "yorick_mod", "quentin_res"):
        assert username.encode() not in response.content
    assert AuditEvent.objects.get(action="export").after["filters"]["moderator"] is None


def test_invalid_filters_are_refused_with_the_form(client, researcher, tagged):
    response = client.get(COMMENTS_CSV, {"site": 999999})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_unknown_format_is_not_found(client, researcher, tagged):
    assert client.get(reverse("moderation:export_comments", args=["xlsx"])).status_code == 404
    assert client.get(reverse("moderation:export_labels", args=["zip"])).status_code == 404


# The key


def test_without_a_key_exports_are_refused_saying_how_to_set_it(
    client, researcher, tagged, monkeypatch, settings
):
    settings.DEBUG = False
    monkeypatch.delenv(export.KEY_VARIABLE)
    for url in (PAGE, COMMENTS_CSV, CODEBOOK, BUNDLE):
        response = client.get(url)
        assert response.status_code == 503
        assert export.KEY_VARIABLE in response.content.decode()
        assert "secrets.token_hex" in response.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_short_key_is_refused(client, researcher, tagged, monkeypatch):
    monkeypatch.setenv(export.KEY_VARIABLE, "short")
    response = client.get(COMMENTS_CSV)
    assert response.status_code == 503
    assert "too short" in response.content.decode()


def test_in_debug_a_development_key_is_used_and_the_codebook_says_so(
    client, researcher, tagged, monkeypatch, settings
):
    settings.DEBUG = True
    monkeypatch.delenv(export.KEY_VARIABLE)
    codebook = json.loads(client.get(CODEBOOK).content)
    assert codebook["pseudonyms"]["development_key"] is True
    assert any("DEVELOPMENT KEY" in warning for warning in codebook["warnings"])
    assert client.get(COMMENTS_CSV).status_code == 200


# Codebook


def test_codebook_describes_the_export(client, researcher, tagged):
    response = client.get(CODEBOOK)
    codebook = json.loads(response.content)
    assert response["Content-Type"].startswith("application/json")
    assert codebook["software"]["name"] == "discussion-moderation"
    assert codebook["software"]["version"] == export.software_version() != "unknown"
    assert codebook["audit"]["head_hash"] == audit.head_hash()
    assert codebook["audit"]["event_id"] == AuditEvent.objects.get(action="export").pk
    assert codebook["exported_at"].endswith("Z")
    assert codebook["counts"] == {
        "comments": 5,
        "reviewed": 4,
        "reviewed_negatives": 1,
        "unreviewed": 1,
        "labels": 18,
    }
    assert codebook["policies"][0]["text"] == "No profanity, no personal attacks."
    assert codebook["policies"][0]["version"] == 1
    assert [c["slug"] for c in codebook["categories"]] == CATEGORIES
    assert all(c["definition"] for c in codebook["categories"])
    columns = [c["name"] for c in codebook["files"]["comments"]["columns"]]
    assert "fraction_<category>" in columns
    assert codebook["files"]["comments"]["category_columns"] == export.comment_columns(CATEGORIES)
    assert [c["name"] for c in codebook["files"]["labels"]["columns"]] == (
        export.LABEL_COLUMN_NAMES
    )
    for term in ("reviewers", "label", "vote_fraction", "majority_label", "reviewed_negative"):
        assert codebook["definitions"][term]
    assert set(codebook["definitions"]["review_route"]) == {"queue", "flagged", "sampled"}
    assert set(codebook["data_statement"]) >= {
        "curation_rationale",
        "language_variety",
        "speakers",
        "annotators",
        "speech_situation",
        "provenance",
    }
    assert codebook["pseudonyms"] == {
        "method": export.DEFINITIONS["pseudonyms"],
        "real_names": False,
        "development_key": False,
    }


def test_codebook_agreement_figures(client, researcher, tagged):
    agreement = json.loads(client.get(CODEBOOK).content)["agreement"]
    alpha = {row["category"]: row["alpha"] for row in agreement["alpha"]}
    # personal-attack: c1 (1, 1) and c3 (0, 1); profanity: c1 (1, 0) and c3 (0, 0).
    assert alpha["personal-attack"] == {"value": 0.0, "items": 2, "reason": None}
    assert alpha["profanity"] == {"value": 0.0, "items": 2, "reason": None}
    assert alpha["other-inappropriate"]["value"] is None
    assert alpha["other-inappropriate"]["items"] == 2
    assert "no variation" in alpha["other-inappropriate"]["reason"]
    pair = {row["category"]: row for row in agreement["kappa"]}
    assert pair["personal-attack"]["kappa"] == {"value": 0.0, "items": 2, "reason": None}
    assert {pair["profanity"]["moderator_a"], pair["profanity"]["moderator_b"]} == {
        moderator_pseudonym(tagged.zelda),
        moderator_pseudonym(tagged.yorick),
    }


def test_data_statement_without_posting_times_never_prints_none(client, researcher, tagged):
    codebook = json.loads(client.get(CODEBOOK).content)
    assert codebook["posted_between"] == [None, None]
    statement = codebook["data_statement"]
    assert "None" not in json.dumps(statement)
    assert "posted between" not in statement["speech_situation"]
    assert "no posting time is recorded" in statement["speech_situation"]
    markdown = export.data_statement_markdown(codebook)
    assert "None" not in markdown


def test_data_statement_gives_the_posting_range_and_the_undated(client, researcher, tagged):
    c1, c2 = tagged.comments[:2]
    c1.posted_at = datetime(2024, 3, 1, 21, 30, 5, tzinfo=UTC)
    c2.posted_at = datetime(2024, 5, 2, 12, tzinfo=UTC)
    for comment in (c1, c2):
        comment.save(update_fields=["posted_at"])
    situation = json.loads(client.get(CODEBOOK).content)["data_statement"]["speech_situation"]
    assert "posted between 2024-03-01T21:30:05Z and 2024-05-02T12:00:00Z" in situation
    assert "3 without a recorded posting time" in situation
    dated = json.loads(client.get(CODEBOOK, {"posted_after": "2024-05-01"}).content)
    situation = dated["data_statement"]["speech_situation"]
    assert "posted on 2024-05-02T12:00:00Z" in situation
    assert "None" not in json.dumps(dated["data_statement"])


def test_docs_describe_every_column():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "export.md").read_text()
    for column in [*export.COMMENT_COLUMNS, *export.LABEL_COLUMNS]:
        assert f"`{column.name}`" in docs, column.name


# Responses


def test_downloads_are_attachments_named_by_date_only(client, researcher, tagged):
    expected = {
        COMMENTS_CSV: ("comments", "csv", "text/csv"),
        COMMENTS_JSONL: ("comments", "jsonl", "application/x-ndjson"),
        LABELS_CSV: ("labels", "csv", "text/csv"),
        LABELS_JSONL: ("labels", "jsonl", "application/x-ndjson"),
        CODEBOOK: ("codebook", "json", "application/json"),
        BUNDLE: ("bundle", "zip", "application/zip"),
    }
    for url, (what, fmt, content_type) in expected.items():
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith(content_type)
        assert re.fullmatch(
            rf'attachment; filename="{what}-\d{{4}}-\d\d-\d\d\.{fmt}"',
            response["Content-Disposition"],
        )


def test_downloads_stream(client, researcher, tagged):
    response = client.get(COMMENTS_CSV)
    assert response.streaming
    first = next(iter(response.streaming_content))
    assert first.decode().startswith("comment_id,site,article_id")


def queries_to_stream(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        content(response)
    return len(captured.captured_queries)


@pytest.mark.parametrize("url", [COMMENTS_JSONL, LABELS_CSV, BUNDLE])
def test_download_queries_do_not_grow_with_rows(client, researcher, tagged, url):
    few = queries_to_stream(client, url)
    article = tagged.article
    for n in range(20):
        comment = factories.make_comment(article, f"More {n}", author=f"Reader {n}")
        services.tag(tagged.yorick, comment, factories.category(tagged.site, "profanity"))
        services.decide(tagged.zelda, comment, Status.ESCALATED, expected_version=0)
    assert queries_to_stream(client, url) == few


def test_download_queries_grow_per_chunk_not_per_row(client, researcher, tagged, monkeypatch):
    monkeypatch.setattr(export.build, "CHUNK", 2)
    three_chunks = queries_to_stream(client, COMMENTS_JSONL)  # 5 comments
    factories.make_comment(tagged.article, "Sixth.")
    assert queries_to_stream(client, COMMENTS_JSONL) == three_chunks
    factories.make_comment(tagged.article, "Seventh.")
    # A fourth chunk: its tags and its decisions. The comments themselves come from one
    # cursor (fetchmany on SQLite, a server-side cursor on PostgreSQL).
    assert queries_to_stream(client, COMMENTS_JSONL) == three_chunks + 2


# The page


def test_page_shows_counts_agreement_and_download_links_with_the_filters(
    client, researcher, tagged
):
    response = client.get(PAGE, {"site": tagged.site.pk})
    html = response.content.decode()
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.comments, summary.reviewed, summary.reviewed_negatives, summary.labels) == (
        5,
        4,
        1,
        18,
    )
    for url in (COMMENTS_CSV, COMMENTS_JSONL, LABELS_CSV, LABELS_JSONL, CODEBOOK, BUNDLE):
        assert f'href="{url}?site={tagged.site.pk}"' in html
    assert "Personal attack" in html
    assert moderator_pseudonym(tagged.zelda) in html  # the kappa table, as in the files
    assert 'name="reviewed"' in html


def test_page_filter_form_starts_at_every_status(client, researcher, tagged):
    html = client.get(PAGE).content.decode()
    assert '<option value="all" selected>' in html


def test_page_query_count_is_constant(client, researcher, tagged, django_assert_num_queries):
    client.get(PAGE)  # sessions, permissions: warm
    with CaptureQueriesContext(connection) as few:
        client.get(PAGE)
    for n in range(15):
        comment = factories.make_comment(tagged.article, f"More {n}", author=f"Reader {n}")
        services.tag(tagged.yorick, comment, factories.category(tagged.site, "profanity"))
        services.decide(tagged.zelda, comment, Status.APPROVED, expected_version=0, note="ok")
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(PAGE)


def test_page_without_comments(client, researcher, db):
    response = client.get(PAGE)
    assert response.status_code == 200
    assert "No two moderators reviewed the same comment." in response.content.decode()
