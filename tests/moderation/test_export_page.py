"""The /export/ page: counts, agreement figures and download links that carry the filters, at
a number of queries that does not grow with the set."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from moderation import services
from moderation.models import Status
from tests import factories
from tests.moderation.export_helpers import (
    BUNDLE,
    CODEBOOK,
    COMMENTS_CSV,
    COMMENTS_JSONL,
    LABELS_CSV,
    LABELS_JSONL,
    PAGE,
    moderator_pseudonym,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pseudonym_key")]


def test_page_shows_counts_agreement_and_download_links_with_the_filters(researcher_client, tagged):
    response = researcher_client.get(PAGE, {"site": tagged.site.pk})
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


def test_page_filter_form_starts_at_every_status(researcher_client, tagged):
    html = researcher_client.get(PAGE).content.decode()
    assert '<option value="all" selected>' in html


def test_page_query_count_is_constant(researcher_client, tagged, django_assert_num_queries):
    researcher_client.get(PAGE)  # sessions, permissions: warm
    with CaptureQueriesContext(connection) as few:
        researcher_client.get(PAGE)
    for n in range(15):
        comment = factories.make_comment(tagged.article, f"More {n}", author=f"Reader {n}")
        services.tag(tagged.yorick, comment, factories.category(tagged.site, "profanity"))
        services.decide(tagged.zelda, comment, Status.APPROVED, expected_version=0, note="ok")
    with django_assert_num_queries(len(few.captured_queries)):
        researcher_client.get(PAGE)


def test_page_without_comments(researcher_client, db):
    response = researcher_client.get(PAGE)
    assert response.status_code == 200
    assert "No two moderators reviewed the same comment." in response.content.decode()


# The figures are kept, and say "as of"


def test_the_figures_are_kept_while_nothing_was_recorded_since(researcher_client, tagged):
    first = researcher_client.get(PAGE).context["figures"]
    with CaptureQueriesContext(connection) as queries:
        again = researcher_client.get(PAGE).context["figures"]
    assert again.as_of == first.as_of
    assert not any("moderation_tag" in q["sql"] for q in queries)  # no label was read again


def test_kept_figures_say_how_old_they_are_and_can_be_recomputed(
    researcher_client, tagged, settings
):
    settings.EXPORT_FIGURES_MAX_AGE = 600
    before = researcher_client.get(PAGE).context["summary"].reviewed
    unreviewed = tagged.comments[3]
    services.decide(tagged.zelda, unreviewed, Status.ESCALATED, expected_version=0)
    services.tag(tagged.zelda, unreviewed, factories.category(tagged.site, "profanity"))
    kept = researcher_client.get(PAGE)
    html = kept.content.decode()
    assert kept.context["summary"].reviewed == before  # as of the first view
    assert "2 actions recorded since" in html
    assert 'href="?refresh=1">Recompute now</a>' in html
    fresh = researcher_client.get(PAGE, {"refresh": "1"})
    assert fresh.context["summary"].reviewed == before + 1
    assert "recorded since" not in fresh.content.decode()


def test_without_a_max_age_the_figures_follow_every_action(researcher_client, tagged, settings):
    settings.EXPORT_FIGURES_MAX_AGE = 0
    before = researcher_client.get(PAGE).context["summary"].reviewed
    services.tag(tagged.zelda, tagged.comments[3], factories.category(tagged.site, "profanity"))
    assert researcher_client.get(PAGE).context["summary"].reviewed == before + 1


def test_pairs_of_moderators_come_a_page_at_a_time(researcher_client, tagged, monkeypatch):
    from moderation.views import export as export_views

    everything = researcher_client.get(PAGE, {"site": tagged.site.pk})
    pairs = everything.context["agreement"]["kappa"]
    assert len(pairs) >= 2
    monkeypatch.setattr(export_views, "PAIRS_PER_PAGE", 1)
    first = researcher_client.get(PAGE, {"site": tagged.site.pk})
    html = first.content.decode()
    assert list(first.context["pairs"]) == pairs[:1]
    assert f"Pairs 1\u20131 of {len(pairs)}" in html
    assert f'href="?site={tagged.site.pk}&amp;pairs=2#pairs"' in html
    # The download links carry the filters, not the page's place among the pairs.
    second = researcher_client.get(PAGE, {"site": tagged.site.pk, "pairs": 2})
    assert list(second.context["pairs"]) == pairs[1:2]
    assert f'href="{COMMENTS_CSV}?site={tagged.site.pk}"' in second.content.decode()
    # A page past the end shows the last; nonsense shows the first.
    assert list(researcher_client.get(PAGE, {"pairs": 999}).context["pairs"]) == pairs[-1:]
    assert list(researcher_client.get(PAGE, {"pairs": "x"}).context["pairs"]) == pairs[:1]
