"""Real names in the export: for Admins only, asked for through the page's POST forms (CSRF
checked), audited, and said in the codebook."""

import json
import re

import pytest

from moderation.models import AuditEvent
from tests.moderation.export_helpers import (
    BUNDLE,
    CODEBOOK,
    COMMENTS_CSV,
    COMMENTS_JSONL,
    LABELS_CSV,
    LABELS_JSONL,
    PAGE,
    by_id,
    jsonl,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pseudonym_key")]


@pytest.fixture
def admin_browser(client_for, admin):
    """The Admin's browser: it meets Django's CSRF check as a browser does (the test client
    skips it)."""
    return client_for(admin, enforce_csrf_checks=True)


def post_from_the_page(browser, url, query):
    """Submit the export page's download form for `url`: its hidden fields and CSRF token."""
    html = browser.get(PAGE, query).content.decode()
    (form,) = re.findall(rf'<form method="post" action="{re.escape(url)}".*?</form>', html, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    return browser.post(url, fields)


def test_admin_may_export_real_names_and_it_is_audited_and_written(tagged, admin, admin_browser):
    query = {"real_names": "on"}
    response = post_from_the_page(admin_browser, COMMENTS_JSONL, query)
    rows = by_id(jsonl(response))
    assert rows[tagged.comments[0].pk]["author"] == "Vartan Hagopian"
    assert "Vartan" not in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="export")
    assert event.actor == admin
    assert event.after["real_names"] is True
    codebook = json.loads(post_from_the_page(admin_browser, CODEBOOK, query).content)
    assert codebook["pseudonyms"]["real_names"] is True
    assert any("REAL NAMES" in warning for warning in codebook["warnings"])
    labels = jsonl(post_from_the_page(admin_browser, LABELS_JSONL, query))
    assert {row["moderator"] for row in labels} == {"zelda_mod", "yorick_mod"}


def test_real_name_forms_carry_the_filters(tagged, admin_browser):
    query = {"real_names": "on", "status": "removed"}
    rows = jsonl(post_from_the_page(admin_browser, COMMENTS_JSONL, query))
    assert [row["comment_id"] for row in rows] == [tagged.comments[0].pk, tagged.comments[4].pk]
    assert AuditEvent.objects.get(action="export").after["filters"]["status"] == "removed"


@pytest.mark.parametrize("url", [COMMENTS_JSONL, LABELS_CSV, CODEBOOK, BUNDLE])
def test_real_names_over_get_are_refused_saying_to_use_the_form(admin_client, tagged, url):
    response = admin_client.get(url, {"real_names": "on"})
    assert response.status_code == 400
    assert "must be requested with the form" in response.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_real_names_without_the_csrf_token_are_refused(tagged, admin_browser):
    response = admin_browser.post(COMMENTS_JSONL, {"real_names": "on"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_with_real_names_ticked_the_downloads_are_post_forms_without_script(admin_client, tagged):
    html = admin_client.get(PAGE, {"real_names": "on", "site": tagged.site.pk}).content.decode()
    for url in (COMMENTS_CSV, COMMENTS_JSONL, LABELS_CSV, LABELS_JSONL, CODEBOOK, BUNDLE):
        (form,) = re.findall(
            rf'<form method="post" action="{re.escape(url)}".*?</form>', html, re.S
        )
        assert 'name="csrfmiddlewaretoken"' in form
        assert '<input type="hidden" name="real_names" value="on">' in form
        assert f'<input type="hidden" name="site" value="{tagged.site.pk}">' in form
        assert f'href="{url}' not in html
    assert not re.findall(r"<script(?![^>]*\bsrc=)", html)  # no inline script


def test_pseudonymized_downloads_stay_links(admin_client, tagged):
    html = admin_client.get(PAGE, {"site": tagged.site.pk}).content.decode()
    for url in (COMMENTS_CSV, COMMENTS_JSONL, LABELS_CSV, LABELS_JSONL, CODEBOOK, BUNDLE):
        assert f'href="{url}?site={tagged.site.pk}"' in html
        assert f'action="{url}"' not in html


def test_researcher_may_not_export_real_names(researcher_client, tagged):
    for url in (COMMENTS_JSONL, LABELS_CSV, CODEBOOK, BUNDLE, PAGE):
        assert researcher_client.get(url, {"real_names": "on"}).status_code == 403
    for url in (COMMENTS_JSONL, LABELS_CSV, CODEBOOK, BUNDLE):
        assert researcher_client.post(url, {"real_names": "on"}).status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_real_names_box_is_shown_to_admins_only(researcher_client, admin_client, tagged):
    assert 'name="real_names"' not in researcher_client.get(PAGE).content.decode()
    assert 'name="real_names"' in admin_client.get(PAGE).content.decode()
