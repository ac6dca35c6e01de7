"""/audit/ and /comments/<id>/history/: who did what, when, to which comment or commenter."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from moderation import actions, audit, services
from moderation.history import describe
from moderation.models import AuditEvent, Status
from tests import factories

pytestmark = pytest.mark.django_db

AUDIT = reverse("moderation:audit")


# Data: `site` (Asbarez) and a second site


@pytest.fixture
def wix():
    """The Armenian Report, a second site."""
    return factories.make_site("The Armenian Report", policy_text="Be civil.")


@pytest.fixture
def insult(site):
    """An insult on Asbarez, in an article of its own whose title the history shows."""
    article = factories.make_article(site, title="Talks resume")
    return factories.make_comment(article, "You are an idiot and a liar.", author="Vartan")


def attack(site):
    return factories.category(site, "personal-attack")


def remove(user, comment, *categories, note=""):
    version = services.state_of(comment)[1]
    return services.decide(
        user,
        comment,
        Status.REMOVED,
        expected_version=version,
        reasons=categories or [attack(comment.article.site)],
        note=note,
    )


def events_on(response):
    return [row.event for row in response.context["rows"]]


def actions_on(response):
    return [event.action for event in events_on(response)]


# Access


def test_moderator_reads_the_audit_history(moderator_client, insult, moderator):
    services.tag(moderator, insult, attack(insult.article.site))
    response = moderator_client.get(AUDIT)
    assert response.status_code == 200
    assert "Audit history" in response.content.decode()


def test_researcher_cannot_read_the_audit_history(researcher_client, insult):
    assert researcher_client.get(AUDIT).status_code == 403
    history = reverse("moderation:comment_history", args=[insult.pk])
    assert researcher_client.get(history).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, insult):
    response = client.get(AUDIT)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# The list


def test_audit_history_is_newest_first(moderator_client, insult, moderator):
    services.tag(moderator, insult, attack(insult.article.site))
    remove(moderator, insult)
    response = moderator_client.get(AUDIT)
    assert actions_on(response)[:3] == ["comment.removed", "tag.add", "policy.create"]


def test_a_removal_reads_as_words_with_a_link_to_the_comment_in_its_thread(
    moderator_client, insult, moderator
):
    remove(moderator, insult, note="Name-calling")
    html = moderator_client.get(AUDIT).content.decode()
    anchor = f"/articles/{insult.article_id}/?at={insult.pk}#comment-{insult.pk}"
    assert f'<a href="{anchor}">Comment 1 on “Talks resume”</a>' in html
    assert reverse("moderation:commenter", args=[insult.commenter_id]) in html
    assert "<td>Removed</td>" in html
    assert "pending → removed (personal-attack)" in html
    assert "Name-calling" in html
    assert "<td>mona</td>" in html


def test_events_without_a_person_are_shown_as_the_system(moderator_client, site):
    response = moderator_client.get(AUDIT)
    (row,) = response.context["rows"]
    assert row.event.action == "policy.create"
    assert row.action == "Policy created"
    assert '<span class="muted">system</span>' in response.content.decode()


def test_a_tag_on_a_passage_quotes_it(moderator_client, insult, moderator):
    services.tag(moderator, insult, attack(insult.article.site), span=(11, 16))
    row = moderator_client.get(AUDIT).context["rows"][0]
    assert row.change == "personal-attack on “idiot”, policy v1"


def test_policy_and_block_changes_read_as_words(moderator_client, insult, moderator, admin):
    site = insult.article.site
    services.edit_policy(admin, site, text="Be civil.", expected_version=1)
    spam = services.add_category(admin, site, name="Spam", definition="Advertising.")
    services.edit_category(admin, spam, name="Spam", definition="Advertising.", active=False)
    services.block(
        moderator, insult.commenter, reason="Spam", expires_at=timezone.now() + timedelta(days=1)
    )
    changes = [row.change for row in moderator_client.get(AUDIT).context["rows"]]
    assert changes[0].startswith("blocked until ")
    assert changes[1:4] == [
        "Spam: retired (policy v4)",
        "added Spam (policy v3)",
        "version 1 → 2, text changed",
    ]
    assert changes[4] == "version 1 (profanity, personal-attack, other-inappropriate)"


def test_an_export_reads_as_what_how_many_rows_and_the_filters_chosen(moderator_client, admin):
    filters = {"status": "removed", "site": None, "reviewed_only": False}
    services.record_export(admin, what="comments.csv", filters=filters, rows={"comments": 3})
    services.record_export(
        admin, what="bundle.zip", filters={}, rows={"comments": 1, "labels": 0}, real_names=True
    )
    every = {
        "reviewed_only": True,
        "posted_before": "2026-02-01",
        "status": "all",
        "site": "Asbarez",
        "category": "Asbarez/profanity",
        "article": 12,
        "moderator": 3,
        "posted_after": "2026-01-01",
        "shape": "wide",  # a filter added later, not known here: still words, not JSON
    }
    services.record_export(admin, what="labels.jsonl", filters=every, rows={"labels": 1_234})
    # In the tables' order, whatever the stored one (PostgreSQL's jsonb has its own).
    services.record_export(
        admin, what="codebook.json", filters={"status": "all"}, rows={"labels": 2, "comments": 1}
    )
    changes = [row.change for row in moderator_client.get(AUDIT).context["rows"]]
    assert changes[:4] == [
        "codebook.json: 1 comment row, 2 label rows, pseudonyms",
        "labels.jsonl: 1,234 label rows, pseudonyms; site Asbarez, article #12, category "
        "Asbarez/profanity, moderator #3, posted from 2026-01-01, posted before 2026-02-01, "
        "reviewed comments only, shape wide",
        "bundle.zip: 1 comment row, 0 label rows, real names",
        "comments.csv: 3 comment rows, pseudonyms; removed comments",
    ]
    assert not any("{" in change or "_" in change for change in changes[:4])
    # Events recorded before each table was counted hold one number.
    assert actions._export_rows(3) == "3 rows"


def test_rows_show_request_id_client_address_and_hash(
    moderator_client, insult, moderator, settings
):
    settings.TRUST_FORWARDED_REQUEST_ID = True  # behind a proxy that sets X-Request-ID
    sent = moderator_client.post(
        reverse("moderation:note", args=[insult.commenter_id]),
        {"text": "Third warning."},
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_REQUEST_ID="req-42",
    )
    response = moderator_client.get(AUDIT)
    event = events_on(response)[0]
    html = response.content.decode()
    assert event.action == "commenter.note"
    assert event.request_id == sent["X-Request-ID"] != "req-42"
    assert f'title="{event.request_id}">{event.request_id[:8]}</code>' in html
    assert '(proxy\'s id <code title="req-42">req-42</code>)' in html
    assert "from 203.0.113.9" in html
    assert event.hash[:10] in html


def test_a_clients_request_id_is_never_recorded_unless_the_proxy_is_trusted(
    moderator_client, insult, settings
):
    """Forged ids in the audit log would let a client pin its actions on another request."""
    for trusted, sent_id, kept in [
        (False, "req-1", None),
        (True, "req-2", "req-2"),
        (True, "bad id <script>", None),
    ]:
        settings.TRUST_FORWARDED_REQUEST_ID = trusted
        response = moderator_client.post(
            reverse("moderation:note", args=[insult.commenter_id]),
            {"text": "Noted."},
            HTTP_X_REQUEST_ID=sent_id,
        )
        event = AuditEvent.objects.latest("id")
        assert event.request_id == response["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", event.request_id)
        assert (event.forwarded_request_id or None) == kept
    assert audit.verify()[1] is None


def test_the_head_hash_is_shown_and_the_page_checks_out(moderator_client, insult, moderator):
    services.tag(moderator, insult, attack(insult.article.site))
    response = moderator_client.get(AUDIT)
    html = response.content.decode()
    assert response.context["head"] == events_on(response)[0].hash
    assert response.context["head"][:16] in html
    assert response.context["broken"] == []
    assert "Each event on this page matches its hash and follows the one listed below it" in html


def test_an_event_whose_content_changed_fails_the_check(insult, moderator):
    services.tag(moderator, insult, attack(insult.article.site))
    events = list(AuditEvent.objects.for_list())
    events[0].note = "Rewritten"  # in memory only: the database refuses any change
    rows = describe(moderator, events, linked=True)
    assert [row.problem for row in rows] == ["its content does not match its hash", ""]


def test_a_missing_event_is_noticed_on_an_unfiltered_page(insult, moderator):
    services.tag(moderator, insult, attack(insult.article.site))
    services.add_commenter_note(moderator, insult.commenter, text="Watch this one.")
    newest, _, oldest = AuditEvent.objects.for_list()
    rows = describe(moderator, [newest, oldest], linked=True)
    assert rows[0].problem == "it does not follow the event listed below it"
    assert describe(moderator, [newest, oldest], linked=False)[0].problem == ""


def test_audit_history_says_when_nothing_was_recorded(moderator_client):
    html = moderator_client.get(AUDIT).content.decode()
    assert "Nothing has been recorded yet." in html


def test_audit_history_says_when_nothing_matches(moderator_client, insult):
    html = moderator_client.get(AUDIT, {"action": "commenter.block"}).content.decode()
    assert "No event matches these filters." in html


def test_audit_history_is_paginated_and_keeps_the_filter(moderator_client, insult, moderator):
    for i in range(51):
        services.add_commenter_note(moderator, insult.commenter, text=f"Note {i}")
    first = moderator_client.get(AUDIT, {"action": "commenter.note"})
    assert len(first.context["rows"]) == 50
    oldest_shown = events_on(first)[-1].pk
    second = moderator_client.get(AUDIT, {"action": "commenter.note", "after": oldest_shown})
    assert [e.note for e in events_on(second)] == ["Note 0"]
    html = first.content.decode()
    assert f'href="?action=commenter.note&amp;after={oldest_shown}">Next' in html
    assert "51 events" in html
    last = moderator_client.get(AUDIT, {"action": "commenter.note", "last": "1"})
    assert [e.note for e in events_on(last)] == [f"Note {i}" for i in range(49, -1, -1)]
    newer = events_on(second)[0].pk
    back = moderator_client.get(AUDIT, {"action": "commenter.note", "before": newer})
    assert [e.note for e in events_on(back)] == [e.note for e in events_on(first)]


# Filters, through the query string


@pytest.fixture
def two_sites(site, wix, insult, moderator, other_moderator):
    """mona (`moderator`) removes the insult on Asbarez; bob (`other_moderator`) tags and
    blocks on The Armenian Report."""
    other = factories.make_comment(
        factories.make_article(wix, title="Elections"), "Rubbish.", author="Ani"
    )
    remove(moderator, insult)
    services.tag(other_moderator, other, factories.category(wix, "profanity"))
    services.block(other_moderator, other.commenter, reason="Spam")
    return insult, other


def test_audit_filters_by_actor(moderator_client, two_sites, other_moderator):
    response = moderator_client.get(AUDIT, {"actor": other_moderator.pk})
    assert actions_on(response) == ["commenter.block", "tag.add"]


def test_audit_filters_by_action(moderator_client, two_sites):
    response = moderator_client.get(AUDIT, {"action": "comment.removed"})
    assert actions_on(response) == ["comment.removed"]


def test_audit_filters_by_site(moderator_client, two_sites, wix):
    response = moderator_client.get(AUDIT, {"site": wix.pk})
    assert actions_on(response) == ["commenter.block", "tag.add", "policy.create"]


def test_audit_filters_by_article(moderator_client, two_sites):
    insult, _ = two_sites
    response = moderator_client.get(AUDIT, {"article": insult.article_id})
    assert actions_on(response) == ["comment.removed"]


def test_audit_filters_by_comment(moderator_client, two_sites):
    _, other = two_sites
    response = moderator_client.get(AUDIT, {"comment": other.pk})
    assert actions_on(response) == ["tag.add"]


def test_audit_filters_by_commenter(moderator_client, two_sites):
    _, other = two_sites
    response = moderator_client.get(AUDIT, {"commenter": other.commenter_id})
    assert actions_on(response) == ["commenter.block", "tag.add"]


def test_audit_filters_by_date_range(moderator_client, two_sites):
    today = timezone.localdate()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    everything = moderator_client.get(AUDIT, {"created_after": today, "created_before": today})
    before = moderator_client.get(AUDIT, {"created_before": yesterday})
    after = moderator_client.get(AUDIT, {"created_after": tomorrow})
    assert len(events_on(everything)) == 5
    assert events_on(before) == []
    assert events_on(after) == []


def test_a_filtered_page_keeps_the_dates_in_the_form(moderator_client, two_sites):
    html = moderator_client.get(AUDIT, {"created_after": "2024-01-02"}).content.decode()
    assert 'name="created_after" id="id_created_0" value="2024-01-02"' in html
    assert '<label for="id_created_1">To</label>' in html


def test_a_bad_filter_value_is_reported_not_a_crash(moderator_client, two_sites):
    response = moderator_client.get(AUDIT, {"article": "abc"})
    assert response.status_code == 200
    assert "Enter a number." in response.content.decode()


# Query counts


def test_audit_history_costs_the_same_queries_for_1_or_30_events(
    moderator_client, site, moderator, django_assert_num_queries
):
    # session, user, permissions (2), actor and site choices of the filter form (2),
    # count, the page's ids, their events, head hash, the last signed checkpoint; on
    # PostgreSQL the count also turns parallel workers off and back on, in a savepoint of the
    # test's transaction (4 more)
    expected = 12 + (4 if connection.vendor == "postgresql" else 0)  # + the waiting badge
    with django_assert_num_queries(expected):
        moderator_client.get(AUDIT)
    for i in range(10):
        comment = factories.make_comment(
            factories.make_article(site), f"Comment {i}", author=f"Reader {i}"
        )
        services.tag(moderator, comment, attack(site))
        remove(moderator, comment)
        services.add_commenter_note(moderator, comment.commenter, text="Watch this one.")
    with django_assert_num_queries(expected):
        response = moderator_client.get(AUDIT)
    assert len(response.context["rows"]) == 31


# One comment's history


def test_comment_history_shows_the_comment_its_status_and_author(
    moderator_client, insult, moderator
):
    remove(moderator, insult)
    response = moderator_client.get(reverse("moderation:comment_history", args=[insult.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "You are an idiot and a liar." in html
    assert "Vartan" in html
    assert "Talks resume" in html
    assert '<span class="badge status-removed">Removed</span>' in html


def test_comment_history_shows_retracted_tags_with_who_and_when(
    moderator_client, insult, moderator, other_moderator
):
    kept = services.tag(
        other_moderator, insult, attack(insult.article.site), span=(11, 16), note="Insult"
    )
    withdrawn = services.tag(
        moderator, insult, factories.category(insult.article.site, "profanity")
    )
    services.retract(moderator, withdrawn, note="Not profane")
    response = moderator_client.get(reverse("moderation:comment_history", args=[insult.pk]))
    html = response.content.decode()
    assert list(response.context["tags"]) == [withdrawn, kept]
    assert '<span class="badge retracted">Retracted</span> by mona' in html
    assert '<span class="badge current">Current</span>' in html
    assert "<q>idiot</q>" in html
    assert "version 1" in html
    assert "Not profane" in html  # the retraction's note, from its audit event


def test_comment_history_shows_decisions_with_reasons_and_versions(
    moderator_client, insult, moderator, other_moderator
):
    remove(moderator, insult, note="Attack on a commenter")
    services.decide(
        other_moderator, insult, Status.APPROVED, expected_version=1, note="Satire, on appeal"
    )
    response = moderator_client.get(reverse("moderation:comment_history", args=[insult.pk]))
    html = response.content.decode()
    assert [d.version for d in response.context["decisions"]] == [2, 1]
    assert "Removed → <strong>Approved</strong>" in html
    assert "Pending → <strong>Removed</strong>" in html
    assert "Personal attack" in html
    assert "Satire, on appeal" in html
    assert actions_on(response) == ["comment.approved", "comment.removed"]


def test_comment_history_of_an_untouched_comment_says_so(moderator_client, insult):
    html = moderator_client.get(
        reverse("moderation:comment_history", args=[insult.pk])
    ).content.decode()
    assert "Nobody has tagged this comment." in html
    assert "No decision yet: the comment is pending." in html
    assert "No audit event concerns this comment." in html


def test_comment_history_of_a_missing_comment_is_404(moderator_client, db):
    assert moderator_client.get(reverse("moderation:comment_history", args=[999])).status_code == (
        404
    )


def test_comment_history_costs_the_same_queries_for_1_or_many_actions(
    moderator_client, insult, moderator, other_moderator, django_assert_num_queries
):
    url = reverse("moderation:comment_history", args=[insult.pk])
    site = insult.article.site
    services.tag(moderator, insult, attack(site))
    remove(moderator, insult)
    # session, user, permissions (2), comment, tags, decisions, their reasons, events
    expected = 10  # with the navigation's count of comments waiting
    with django_assert_num_queries(expected):
        moderator_client.get(url)
    services.tag(other_moderator, insult, attack(site), span=(0, 3))
    services.tag(other_moderator, insult, factories.category(site, "profanity"))
    services.decide(other_moderator, insult, Status.ESCALATED, expected_version=1)
    remove(moderator, insult, attack(site), factories.category(site, "profanity"))
    with django_assert_num_queries(expected):
        response = moderator_client.get(url)
    assert len(response.context["rows"]) == 6
