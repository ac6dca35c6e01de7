"""The export's filters: status, reviewed only, site, article, category and dates, and the
moderator filter, which is for Admins only (with it a researcher could map usernames to
pseudonyms)."""

import json
from datetime import UTC, datetime

import pytest

from moderation import services
from moderation.models import AuditEvent
from tests import factories
from tests.moderation.export_helpers import (
    BUNDLE,
    CODEBOOK,
    COMMENTS_CSV,
    COMMENTS_JSONL,
    LABELS_CSV,
    PAGE,
    by_id,
    jsonl,
    moderator_pseudonym,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pseudonym_key")]


def test_export_takes_every_status_by_default(researcher_client, tagged):
    assert len(jsonl(researcher_client.get(COMMENTS_JSONL))) == 5
    assert len(jsonl(researcher_client.get(COMMENTS_JSONL, {"status": "pending"}))) == 2


def test_reviewed_only(researcher_client, tagged):
    rows = jsonl(researcher_client.get(COMMENTS_JSONL, {"reviewed": "on"}))
    assert [row["comment_id"] for row in rows] == [
        c.pk for c in tagged.comments if c != tagged.comments[3]
    ]


def test_a_comment_with_only_a_retracted_tag_is_reviewed(researcher_client, tagged):
    c4 = tagged.comments[3]
    profanity = factories.category(tagged.site, "profanity")
    services.retract(tagged.yorick, services.tag(tagged.yorick, c4, profanity))
    rows = by_id(jsonl(researcher_client.get(COMMENTS_JSONL, {"reviewed": "on"})))
    assert rows[c4.pk]["reviewed"] is True
    assert rows[c4.pk]["fraction_profanity"] == 0.0


def test_site_category_moderator_and_dates_filter_the_rows(admin_client, tagged):
    other_site = factories.make_site("The Armenian Report")
    factories.make_comment(factories.make_article(other_site), "Elsewhere.")
    c1, c2, c3, _, c5 = tagged.comments

    def ids(**query):
        return [row["comment_id"] for row in jsonl(admin_client.get(COMMENTS_JSONL, query))]

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


def test_invalid_filters_are_refused_with_the_form(researcher_client, tagged):
    response = researcher_client.get(COMMENTS_CSV, {"site": 999999})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


# The moderator filter


def test_codebook_records_the_filters_without_usernames(admin_client, tagged):
    response = admin_client.get(CODEBOOK, {"moderator": tagged.zelda.pk, "reviewed": "on"})
    codebook = json.loads(response.content)
    assert codebook["filters"]["moderator"] == moderator_pseudonym(tagged.zelda)
    assert codebook["filters"]["reviewed_only"] is True
    assert codebook["filters"]["status"] == "all"
    assert b"zelda_mod" not in response.content


def test_researcher_page_offers_no_moderator_filter_and_names_nobody(researcher_client, tagged):
    factories.make_admin("ada_admin")  # an Admin whose username no page could hold by chance
    html = researcher_client.get(PAGE).content.decode()
    assert 'name="moderator"' not in html
    for username in ("zelda_mod", "yorick_mod", "ada_admin"):
        assert username not in html
    assert (
        researcher_client.get(PAGE).context["filter"].form.fields.keys().isdisjoint({"moderator"})
    )


def test_researcher_page_ignores_a_moderator_filter_and_says_so(researcher_client, tagged):
    response = researcher_client.get(PAGE, {"moderator": tagged.zelda.pk, "site": tagged.site.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["summary"].comments == 5  # not only zelda's four
    assert "The moderator filter is for Admins only" in html
    assert f'href="{COMMENTS_CSV}?site={tagged.site.pk}"' in html
    assert "moderator=" not in html


@pytest.mark.parametrize("url", [COMMENTS_JSONL, LABELS_CSV, CODEBOOK, BUNDLE])
def test_researcher_download_with_a_moderator_filter_is_refused(researcher_client, tagged, url):
    response = researcher_client.get(url, {"moderator": tagged.zelda.pk})
    assert response.status_code == 400
    assert "The moderator filter is for Admins only" in response.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_researcher_codebook_has_no_moderator_filter_and_no_username(
    researcher_client, researcher, tagged
):
    response = researcher_client.get(CODEBOOK, {"reviewed": "on"})
    assert json.loads(response.content)["filters"]["moderator"] is None
    for username in ("zelda_mod", "yorick_mod", researcher.username):
        assert username.encode() not in response.content
    assert AuditEvent.objects.get(action="export").after["filters"]["moderator"] is None


# The filters follow the export's own definitions (labels), not the queue's marks


def test_the_category_filter_returns_every_comment_with_a_positive_label(researcher_client, tagged):
    """c1 and c3 carry personal-attack tags; c6 was removed for it by one moderator and then
    approved by another (the queue no longer lists it under the category, the remover's
    label is still 1); c7 has a review citing it; c2, c4 and c5 have no positive label."""
    attack = factories.category(tagged.site, "personal-attack")
    c6 = factories.make_comment(tagged.article, "Overruled.")
    services.decide(tagged.yorick, c6, "removed", expected_version=0, reasons=[attack])
    services.decide(tagged.zelda, c6, "approved", expected_version=1)
    c7 = factories.make_comment(tagged.article, "Reviewed only.")
    services.review(tagged.zelda, c7, positives=[attack])
    c1, _c2, c3, _c4, _c5 = tagged.comments
    rows = jsonl(researcher_client.get(COMMENTS_JSONL, {"category": attack.pk}))
    assert [row["comment_id"] for row in rows] == [c1.pk, c3.pk, c6.pk, c7.pk]
    # Every comment with a positive vote in the category in the unfiltered export is there.
    every = jsonl(researcher_client.get(COMMENTS_JSONL))
    positive = [r["comment_id"] for r in every if (r["fraction_personal_attack"] or 0) > 0]
    assert positive == [row["comment_id"] for row in rows]


def test_the_moderator_filter_keeps_what_they_reviewed_and_their_labels_alone(admin_client, tagged):
    c1, _c2, c3, c4, _c5 = tagged.comments
    services.decide(tagged.yorick, c4, "escalated", expected_version=0)  # judges nothing
    query = {"moderator": tagged.yorick.pk}
    rows = jsonl(admin_client.get(COMMENTS_JSONL, query))
    assert [row["comment_id"] for row in rows] == [c1.pk, c3.pk]
    labels = jsonl(admin_client.get(LABELS_CSV.replace(".csv", ".jsonl"), query))
    assert {row["moderator"] for row in labels} == {moderator_pseudonym(tagged.yorick)}
    assert {row["comment_id"] for row in labels} == {c1.pk, c3.pk}
    # The comments' figures are theirs too: one reviewer each.
    assert [row["reviewers"] for row in rows] == [1, 1]
