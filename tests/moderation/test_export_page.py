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
