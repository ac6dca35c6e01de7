"""Who may download from /export/, the audit event each download leaves, and the responses:
attachments named by date, streamed, in a number of queries that grows with chunks, not rows."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from moderation import export, services
from moderation.models import AuditEvent, Status
from tests import factories
from tests.moderation.export_helpers import (
    BUNDLE,
    CODEBOOK,
    COMMENTS_CSV,
    COMMENTS_JSONL,
    LABELS_CSV,
    LABELS_JSONL,
    PAGE,
    content,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pseudonym_key")]


# Who may export, and the record of it


@pytest.mark.parametrize("url", [PAGE, COMMENTS_CSV, LABELS_JSONL, CODEBOOK, BUNDLE])
def test_moderator_may_not_export(moderator_client, tagged, url):
    assert moderator_client.get(url).status_code == 403


def test_every_download_is_an_audit_event_with_filters_and_rows(
    researcher_client, researcher, tagged
):
    query = {"site": tagged.site.pk, "status": "removed"}
    for url in (COMMENTS_CSV, LABELS_JSONL, CODEBOOK, BUNDLE):
        content_of = researcher_client.get(url, query)
        if hasattr(content_of, "streaming_content"):
            content(content_of)
    events = list(AuditEvent.objects.filter(action="export").order_by("id"))
    assert [e.after["what"] for e in events] == [
        "comments.csv",
        "labels.jsonl",
        "codebook.json",
        "bundle.zip",
    ]
    # Every table a file covers: c1 and c5 are removed, c1 reviewed by two moderators and
    # c5 by one, each for the site's three categories.
    labels = (2 + 1) * 3
    assert [e.after["rows"] for e in events] == [
        {"comments": 2},
        {"labels": labels},
        {"comments": 2, "labels": labels},
        {"comments": 2, "labels": labels},
    ]
    assert all(e.actor == researcher for e in events)
    assert events[0].after["filters"]["status"] == "removed"
    assert events[0].after["filters"]["site"] == "Asbarez"
    assert events[0].after["real_names"] is False
    assert researcher_client.get(PAGE, query).status_code == 200
    assert AuditEvent.objects.filter(action="export").count() == 4  # the page is no export


# Responses


def test_downloads_are_attachments_named_by_date_only(researcher_client, tagged):
    expected = {
        COMMENTS_CSV: ("comments", "csv", "text/csv"),
        COMMENTS_JSONL: ("comments", "jsonl", "application/x-ndjson"),
        LABELS_CSV: ("labels", "csv", "text/csv"),
        LABELS_JSONL: ("labels", "jsonl", "application/x-ndjson"),
        CODEBOOK: ("codebook", "json", "application/json"),
        BUNDLE: ("bundle", "zip", "application/zip"),
    }
    for url, (what, fmt, content_type) in expected.items():
        response = researcher_client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith(content_type)
        assert re.fullmatch(
            rf'attachment; filename="{what}-\d{{4}}-\d\d-\d\d\.{fmt}"',
            response["Content-Disposition"],
        )


def test_unknown_format_is_not_found(researcher_client, tagged):
    assert (
        researcher_client.get(reverse("moderation:export_comments", args=["xlsx"])).status_code
        == 404
    )
    assert (
        researcher_client.get(reverse("moderation:export_labels", args=["zip"])).status_code == 404
    )


def test_downloads_stream(researcher_client, tagged):
    response = researcher_client.get(COMMENTS_CSV)
    assert response.streaming
    first = next(iter(response.streaming_content))
    assert first.decode().startswith("comment_id,site,article_id")


def queries_to_stream(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        content(response)
    return len(captured.captured_queries)


@pytest.mark.parametrize("url", [COMMENTS_JSONL, LABELS_CSV, BUNDLE])
def test_download_queries_do_not_grow_with_rows(researcher_client, tagged, url):
    few = queries_to_stream(researcher_client, url)
    article = tagged.article
    for n in range(20):
        comment = factories.make_comment(article, f"More {n}", author=f"Reader {n}")
        services.tag(tagged.yorick, comment, factories.category(tagged.site, "profanity"))
        services.decide(tagged.zelda, comment, Status.ESCALATED, expected_version=0)
    assert queries_to_stream(researcher_client, url) == few


def test_download_queries_grow_per_chunk_not_per_row(researcher_client, tagged, monkeypatch):
    monkeypatch.setattr(export.build, "CHUNK", 2)
    three_chunks = queries_to_stream(researcher_client, COMMENTS_JSONL)  # 5 comments
    factories.make_comment(tagged.article, "Sixth.")
    assert queries_to_stream(researcher_client, COMMENTS_JSONL) == three_chunks
    factories.make_comment(tagged.article, "Seventh.")
    # A fourth chunk: its tags, its decisions, its reviews, its designed overlap and its
    # screening scores. The comments themselves come from one cursor (fetchmany on SQLite, a
    # server-side cursor on PostgreSQL).
    assert queries_to_stream(researcher_client, COMMENTS_JSONL) == three_chunks + 5
