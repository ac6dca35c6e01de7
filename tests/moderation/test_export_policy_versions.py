"""Labels only for the categories a moderator had: those active in the policy version in force
when they judged (a tag's own version; a decision's, by its time). The tagged set was judged
under version 1; an Admin then adds or retires a category."""

import json

import pytest

from moderation import export, services
from moderation.models import Decision, Status
from tests import factories
from tests.moderation.export_helpers import (
    CATEGORIES,
    CODEBOOK,
    COMMENTS_JSONL,
    LABELS_JSONL,
    by_id,
    jsonl,
    labels_of,
    moderator_pseudonym,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pseudonym_key")]


def add_ethnic_slur(admin, site):
    """An Admin adds a category: a new policy version (the tagged set was judged under v1)."""
    return services.add_category(
        admin, site, name="Ethnic slur", definition="A slur aimed at an ethnic group."
    )


def retire(admin, site, slug):
    """An Admin retires a category: a new policy version."""
    category = factories.category(site, slug)
    services.edit_category(
        admin, category, name=category.name, definition=category.definition, active=False
    )


def test_a_category_added_after_a_judgement_gets_no_label_from_it(researcher_client, tagged, admin):
    add_ethnic_slur(admin, tagged.site)
    c2, c4 = tagged.comments[1], tagged.comments[3]
    services.decide(tagged.yorick, c4, Status.APPROVED, expected_version=0)  # under v2
    labels = jsonl(researcher_client.get(LABELS_JSONL))
    judged_under_v1 = [r for r in labels if r["comment_id"] != c4.pk]
    assert "ethnic-slur" not in {r["category"] for r in judged_under_v1}
    assert [r["category"] for r in labels if r["comment_id"] == c2.pk] == CATEGORIES
    late = labels_of(labels, c4, tagged.yorick, "ethnic-slur")
    assert (late["label"], late["basis"], late["policy_version"]) == (0, "reviewed", 2)
    rows = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))
    assert rows[c2.pk]["fraction_profanity"] == 0.0
    assert rows[c2.pk]["fraction_ethnic_slur"] is None  # nobody could apply it: not a 0
    assert rows[c2.pk]["majority_ethnic_slur"] is None
    assert rows[c2.pk]["reviewers_ethnic_slur"] == 0
    assert (rows[c4.pk]["fraction_ethnic_slur"], rows[c4.pk]["reviewers_ethnic_slur"]) == (0.0, 1)
    prepared = export.Export.from_query({})
    assert prepared.count("labels") == len(labels) == prepared.summary().labels == 18 + 4
    codebook = json.loads(researcher_client.get(CODEBOOK).content)
    assert codebook["counts"]["labels"] == 18 + 4
    alpha = {row["category"]: row["alpha"] for row in codebook["agreement"]["alpha"]}
    assert alpha["ethnic-slur"]["items"] == 0  # not "n=2, no variation"
    assert "two or more" in alpha["ethnic-slur"]["reason"]
    kappa = {row["category"] for row in codebook["agreement"]["kappa"]}
    assert "ethnic-slur" not in kappa


def test_a_category_retired_before_a_judgement_gets_no_label_from_it(
    researcher_client, tagged, admin
):
    retire(admin, tagged.site, "profanity")  # v2
    c1, c4 = tagged.comments[0], tagged.comments[3]
    services.decide(tagged.zelda, c4, Status.APPROVED, expected_version=0)
    labels = jsonl(researcher_client.get(LABELS_JSONL))
    assert [r["category"] for r in labels if r["comment_id"] == c4.pk] == [
        "personal-attack",
        "other-inappropriate",
    ]
    assert labels_of(labels, c1, tagged.yorick, "profanity")["label"] == 0  # judged under v1
    row = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))[c4.pk]
    assert (row["reviewers"], row["reviewers_profanity"], row["fraction_profanity"]) == (1, 0, None)


def test_per_category_denominators_and_a_tag_always_counts(researcher_client, tagged, admin):
    c4 = tagged.comments[3]
    profanity = factories.category(tagged.site, "profanity")
    services.tag(tagged.zelda, c4, profanity)  # v1
    add_ethnic_slur(admin, tagged.site)  # v2
    services.decide(tagged.yorick, c4, Status.APPROVED, expected_version=0, note="Mild.")
    row = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))[c4.pk]
    assert row["reviewers"] == 2
    assert (row["reviewers_profanity"], row["fraction_profanity"]) == (2, 0.5)
    assert (row["reviewers_ethnic_slur"], row["fraction_ethnic_slur"]) == (1, 0.0)
    assert row["majority_ethnic_slur"] == 0
    labels = [r for r in jsonl(researcher_client.get(LABELS_JSONL)) if r["comment_id"] == c4.pk]
    zelda = moderator_pseudonym(tagged.zelda)
    assert sorted(r["category"] for r in labels if r["moderator"] == zelda) == sorted(CATEGORIES)
    # Profanity is then retired (v3); zelda tags the comment again under v3: her latest
    # judgement has no profanity, but her profanity tag still stands as a 1.
    retire(admin, tagged.site, "profanity")
    services.tag(tagged.zelda, c4, factories.category(tagged.site, "personal-attack"))
    labels = [r for r in jsonl(researcher_client.get(LABELS_JSONL)) if r["comment_id"] == c4.pk]
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


def test_a_negative_label_rests_on_the_latest_judgement(researcher_client, tagged, admin):
    c4 = tagged.comments[3]
    services.decide(tagged.zelda, c4, Status.ESCALATED, expected_version=0)  # v1, no judgement
    add_ethnic_slur(admin, tagged.site)
    services.decide(tagged.zelda, c4, Status.APPROVED, expected_version=1)  # v2
    labels = [r for r in jsonl(researcher_client.get(LABELS_JSONL)) if r["comment_id"] == c4.pk]
    assert [r["category"] for r in labels] == [*CATEGORIES, "ethnic-slur"]
    assert {(r["basis"], r["policy_version"]) for r in labels} == {("reviewed", 2)}
    approval = Decision.objects.get(comment=c4, status=Status.APPROVED)
    assert {r["labelled_at"] for r in labels} == {export.writers._iso(approval.created_at)}


def test_agreement_counts_only_moderators_who_had_the_category(researcher_client, tagged, admin):
    ethnic = add_ethnic_slur(admin, tagged.site)
    c2, c4 = tagged.comments[1], tagged.comments[3]
    # c2: zelda approved under v1; yorick now removes it for the new category (v2).
    services.decide(tagged.yorick, c2, Status.REMOVED, expected_version=1, reasons=[ethnic])
    # c4: both judge under v2, both tag it ethnic-slur: two moderators who had it, agreeing.
    services.tag(tagged.zelda, c4, ethnic)
    services.tag(tagged.yorick, c4, ethnic)
    row = by_id(jsonl(researcher_client.get(COMMENTS_JSONL)))[c2.pk]
    assert (row["reviewers"], row["reviewers_ethnic_slur"], row["fraction_ethnic_slur"]) == (
        2,
        1,
        1.0,
    )
    agreement = json.loads(researcher_client.get(CODEBOOK).content)["agreement"]
    alpha = {row["category"]: row["alpha"] for row in agreement["alpha"]}
    kappa = {row["category"]: row["kappa"] for row in agreement["kappa"]}
    # Only c4 has two moderators who could apply ethnic-slur (c2's zelda could not).
    assert alpha["ethnic-slur"]["items"] == 1
    assert kappa["ethnic-slur"]["items"] == 1
    assert alpha["profanity"]["items"] == 4  # c1, c2, c3, c4: both had profanity
