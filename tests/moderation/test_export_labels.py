"""/export/'s labels table: one row per reviewer, comment and category, and whose judgement a
label is: each moderator's own tags and own latest decision."""

import json

import pytest

from moderation import export, services
from moderation.models import AuditEvent, Status
from tests import factories
from tests.moderation.export_helpers import (
    CATEGORY_COLUMNS,
    CODEBOOK,
    COMMENTS_JSONL,
    LABELS_CSV,
    LABELS_JSONL,
    by_id,
    csv_rows,
    jsonl,
    labels_of,
    moderator_pseudonym,
    point,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pseudonym_key")]


# Label rows


def test_label_rows_one_per_reviewer_comment_and_category(researcher_client, tagged):
    rows = jsonl(researcher_client.get(LABELS_JSONL))
    assert len(rows) == (2 + 1 + 2 + 0 + 1) * 3
    assert list(rows[0]) == export.LABEL_COLUMN_NAMES
    c4 = tagged.comments[3]
    assert not [row for row in rows if row["comment_id"] == c4.pk]
    assert {row["moderator"] for row in rows} == {
        moderator_pseudonym(tagged.zelda),
        moderator_pseudonym(tagged.yorick),
    }


def test_label_values_time_and_policy_version(researcher_client, tagged):
    rows = jsonl(researcher_client.get(LABELS_JSONL))
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


def test_retracted_tag_is_a_zero_marked_retracted(researcher_client, tagged):
    rows = jsonl(researcher_client.get(LABELS_JSONL))
    c3 = tagged.comments[2]
    retracted = labels_of(rows, c3, tagged.zelda, "personal-attack")
    assert retracted["label"] == 0
    assert retracted["basis"] == "retracted_tag"
    assert retracted["retracted"] is True
    assert retracted["retracted_at"] >= retracted["labelled_at"]
    assert labels_of(rows, c3, tagged.yorick, "personal-attack")["label"] == 1


def test_a_removal_its_author_takes_back_to_pending_is_no_review(researcher_client, tagged):
    c5 = tagged.comments[4]
    services.decide(tagged.zelda, c5, Status.PENDING, expected_version=1)
    row = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))[c5.pk]
    assert (row["reviewed"], row["reviewers"], row["fraction_other_inappropriate"]) == (
        False,
        0,
        None,
    )
    assert row["status"] == "pending"
    assert not [r for r in jsonl(researcher_client.get(LABELS_JSONL)) if r["comment_id"] == c5.pk]


def test_labels_csv_matches_jsonl(researcher_client, tagged):
    from_csv = csv_rows(researcher_client.get(LABELS_CSV))
    from_jsonl = jsonl(researcher_client.get(LABELS_JSONL))
    assert len(from_csv) == len(from_jsonl)
    assert list(from_csv[0]) == export.LABEL_COLUMN_NAMES
    assert [r["label"] for r in from_csv] == [str(r["label"]) for r in from_jsonl]


def test_label_count_before_streaming_equals_the_rows_streamed(tagged):
    prepared = export.Export.from_query({})
    rows = [row for batch in prepared.label_rows() for row in batch]
    assert prepared.count("labels") == len(rows) == prepared.summary().labels == 18


# Whose judgement a label is: each moderator's own tags and own latest decision


def test_an_escalation_alone_is_not_a_review(researcher_client, tagged):
    c4 = tagged.comments[3]
    services.decide(
        tagged.zelda, c4, Status.ESCALATED, expected_version=0, note="Needs a senior look."
    )
    row = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))[c4.pk]
    assert (row["reviewed"], row["reviewers"], row["review_route"]) == (False, 0, None)
    assert [row[f"fraction_{name}"] for name in CATEGORY_COLUMNS] == [None, None, None]
    assert [row[f"majority_{name}"] for name in CATEGORY_COLUMNS] == [None, None, None]
    # The comment's state is still what it is.
    assert row["status"] == "escalated"
    assert row["decided_at"] is None  # escalated is still open: no decision on it yet
    assert not [r for r in jsonl(researcher_client.get(LABELS_JSONL)) if r["comment_id"] == c4.pk]
    reviewed_only = jsonl(researcher_client.get(COMMENTS_JSONL, {"reviewed": "on"}))
    assert c4.pk not in [r["comment_id"] for r in reviewed_only]
    counts = json.loads(researcher_client.get(CODEBOOK).content)["counts"]
    assert counts == {
        "comments": 5,
        "reviewed": 4,
        "reviewed_negatives": 1,
        "unreviewed": 1,
        "labels": 18,
    }


def test_an_escalation_then_an_approval_is_the_approvers_review_only(researcher_client, tagged):
    c4 = tagged.comments[3]
    services.decide(tagged.zelda, c4, Status.ESCALATED, expected_version=0)
    services.decide(tagged.yorick, c4, Status.APPROVED, expected_version=1)
    row = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))[c4.pk]
    assert (row["reviewed"], row["reviewers"], row["fraction_profanity"]) == (True, 1, 0.0)
    labels = [r for r in jsonl(researcher_client.get(LABELS_JSONL)) if r["comment_id"] == c4.pk]
    assert {r["moderator"] for r in labels} == {moderator_pseudonym(tagged.yorick)}
    assert {(r["label"], r["basis"]) for r in labels} == {(0, "reviewed")}


def test_an_undone_removal_is_neither_a_vote_nor_a_review(researcher_client, tagged):
    c4 = tagged.comments[3]
    services.decide(
        tagged.zelda,
        c4,
        Status.REMOVED,
        expected_version=0,
        reasons=[factories.category(tagged.site, "profanity")],
    )
    services.undo(tagged.zelda, AuditEvent.objects.get(action="comment.removed", comment=c4))
    row = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))[c4.pk]
    assert (row["reviewed"], row["reviewers"], row["fraction_profanity"]) == (False, 0, None)
    assert row["status"] == "pending"
    assert not [r for r in jsonl(researcher_client.get(LABELS_JSONL)) if r["comment_id"] == c4.pk]


def test_an_overruled_removal_keeps_the_removers_vote(researcher_client, tagged):
    c5 = tagged.comments[4]  # zelda removed it for other-inappropriate
    services.decide(tagged.yorick, c5, Status.APPROVED, expected_version=1, note="Not spam.")
    row = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))[c5.pk]
    assert (row["status"], row["reviewers"]) == ("approved", 2)
    assert (row["fraction_other_inappropriate"], row["majority_other_inappropriate"]) == (0.5, 0)
    labels = jsonl(researcher_client.get(LABELS_JSONL))
    removal = labels_of(labels, c5, tagged.zelda, "other-inappropriate")
    assert (removal["label"], removal["basis"]) == (1, "removal")
    approval = labels_of(labels, c5, tagged.yorick, "other-inappropriate")
    assert (approval["label"], approval["basis"]) == (0, "reviewed")
    # A real disagreement: c1 (0, 0), c3 (0, 0), c5 (1, 0).
    agreement = json.loads(researcher_client.get(CODEBOOK).content)["agreement"]
    alpha = {row["category"]: row["alpha"] for row in agreement["alpha"]}
    kappa = {row["category"]: row["kappa"] for row in agreement["kappa"]}
    assert point(alpha["other-inappropriate"]) == {"value": 0.0, "items": 3, "reason": None}
    assert point(kappa["other-inappropriate"]) == {"value": 0.0, "items": 3, "reason": None}


def test_another_moderators_escalation_does_not_cancel_a_removal(researcher_client, tagged):
    c4 = tagged.comments[3]
    profanity = factories.category(tagged.site, "profanity")
    services.decide(tagged.zelda, c4, Status.REMOVED, expected_version=0, reasons=[profanity])
    services.decide(tagged.yorick, c4, Status.ESCALATED, expected_version=1)
    row = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))[c4.pk]
    assert (row["status"], row["reviewers"], row["fraction_profanity"]) == ("escalated", 1, 1.0)
    removal = labels_of(jsonl(researcher_client.get(LABELS_JSONL)), c4, tagged.zelda, "profanity")
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
