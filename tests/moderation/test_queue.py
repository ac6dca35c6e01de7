"""The queue page and the actions on comments: plain form posts and fetch (JSON) requests."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive.models import Comment
from moderation import services
from moderation.models import AuditEvent, Status, Tag
from moderation.services import records
from moderation.views.queue import PER_PAGE
from tests import factories
from tests.factories import Named, named

JSON = {"Accept": "application/json"}
QUEUE = "/queue/"


def attack(site):
    return factories.category(site, "personal-attack")


def profanity(site):
    return factories.category(site, "profanity")


def status_of(comment):
    return services.state_of(comment)


def said(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def decide(client, comment, action, version=0, headers=None, **data):
    url = reverse("moderation:decide", args=[comment.pk])
    return client.post(
        url, {"action": action, "version": version, "next": QUEUE, **data}, headers=headers
    )


def rows(response):
    return [c.pk for c in response.context["rows"]]


# Deciding


def test_moderator_removes_comment_for_personal_attack(moderator_client, comment, site):
    response = decide(moderator_client, comment, "remove", reasons=[attack(site).pk])
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    assert said(response) == [f"{Named(comment)} removed for Personal attack."]
    assert status_of(comment) == (Status.REMOVED, 1)
    event = AuditEvent.objects.get(action="comment.removed")
    assert event.actor.username == "mona"
    assert event.after["reasons"] == ["personal-attack"]
    assert event.request_id  # traced back to the request


def test_each_action_writes_exactly_one_audit_event(moderator_client, comment, site):
    before = AuditEvent.objects.count()
    decide(moderator_client, comment, "escalate")
    assert AuditEvent.objects.count() == before + 1
    decide(moderator_client, comment, "remove", version=1, reasons=[attack(site).pk])
    assert AuditEvent.objects.count() == before + 2
    moderator_client.post(
        reverse("moderation:tag", args=[comment.pk]), {"category": attack(site).pk}
    )
    assert AuditEvent.objects.count() == before + 3


def test_moderator_approves_comment_by_fetch_and_gets_its_new_state(moderator_client, comment):
    response = decide(moderator_client, comment, "approve", headers=JSON)
    assert response.status_code == 200
    body = response.json()
    event = AuditEvent.objects.get(action="comment.approved")
    assert body["ok"] is True
    assert body["message"] == f"{Named(comment)} approved."
    assert body["event"] == event.pk
    assert body["events"] == [event.pk]
    assert body["comment"]["status"] == "approved"
    assert body["comment"]["version"] == 1
    assert body["undo"] == {
        "events": [event.pk],
        "label": f"{Named(comment)} approved.",
        "comments": [comment.pk],
        "page": QUEUE,
    }
    # The controls come back re-rendered at the new version, for keys.js to swap in.
    assert 'name="version" value="1"' in body["comment"]["controls"]
    assert "Approved" in body["comment"]["controls"]


def test_moderator_escalates_then_sends_back_to_pending(moderator_client, comment):
    assert decide(moderator_client, comment, "escalate").status_code == 302
    assert status_of(comment) == (Status.ESCALATED, 1)
    assert decide(moderator_client, comment, "pending", version=1).status_code == 302
    assert status_of(comment) == (Status.PENDING, 2)


def test_removal_without_a_category_is_refused_with_a_clear_error(moderator_client, comment):
    response = decide(moderator_client, comment, "remove")
    assert response.status_code == 302
    assert said(response) == ["Removing a comment needs at least one category as the reason."]
    response = decide(moderator_client, comment, "remove", headers=JSON)
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "kind": "invalid",
        "error": "Removing a comment needs at least one category as the reason.",
        "comment": response.json()["comment"],
    }
    assert status_of(comment) == (Status.PENDING, 0)
    assert not AuditEvent.objects.filter(action__startswith="comment.").exists()


def test_approving_a_tagged_comment_needs_a_note(moderator_client, moderator, comment, site):
    services.tag(moderator, comment, attack(site))
    response = decide(moderator_client, comment, "approve", headers=JSON)
    assert response.status_code == 400
    assert response.json()["error"] == (
        "This comment carries tags: approving it needs a note saying why."
    )
    response = decide(
        moderator_client, comment, "approve", headers=JSON, note="Satire, not an attack"
    )
    assert response.status_code == 200
    decision = comment.decisions.get()
    assert decision.note == "Satire, not an attack"


def test_stale_version_is_a_conflict_naming_who_changed_it(
    moderator_client, other_moderator, comment
):
    services.decide(other_moderator, comment, Status.APPROVED, expected_version=0)
    response = decide(moderator_client, comment, "escalate", version=0, headers=JSON)
    assert response.status_code == 409
    body = response.json()
    assert body["kind"] == "conflict"
    assert body["error"].startswith("Comment 1 changed while you were looking: bob ")
    assert "set it to approved (version 1; you saw version 0)" in body["error"]
    # What changed comes back, so the page shows it and the next try uses version 1.
    assert body["comment"]["status"] == "approved"
    assert body["comment"]["version"] == 1
    assert status_of(comment) == (Status.APPROVED, 1)  # nothing overwritten
    assert not AuditEvent.objects.filter(action="comment.escalated").exists()


def test_stale_version_from_a_plain_form_says_who_and_goes_back(
    moderator_client, other_moderator, comment, site
):
    services.decide(other_moderator, comment, Status.APPROVED, expected_version=0)
    response = decide(moderator_client, comment, "remove", version=0, reasons=[attack(site).pk])
    assert response.status_code == 302
    [message] = said(response)
    assert "changed while you were looking: bob" in message


def test_an_invalid_form_is_400_naming_the_field(moderator_client, comment):
    response = decide(moderator_client, comment, "delete", headers=JSON)
    assert response.status_code == 400
    body = response.json()
    assert body["kind"] == "invalid"
    assert "action" in body["errors"]
    assert body["error"].startswith("Action: Select a valid choice.")
    response = decide(moderator_client, comment, "approve", version="")
    assert response.status_code == 400
    assert "Version: This field is required." in response.content.decode()


def test_an_unsafe_next_goes_back_to_the_queue(moderator_client, comment):
    response = decide(moderator_client, comment, "approve", next="https://evil.example/")
    assert response.status_code == 302
    assert response["Location"] == QUEUE


def test_a_safe_next_with_its_anchor_is_followed(moderator_client, comment, article):
    back = f"/articles/{article.pk}/#comment-{comment.pk}"
    response = decide(moderator_client, comment, "approve", next=back)
    assert response["Location"] == back


def test_actions_on_an_unknown_comment_are_404(moderator_client, db):
    url = reverse("moderation:decide", args=[999999])
    assert moderator_client.post(url, {"action": "approve", "version": 0}).status_code == 404


def test_actions_refuse_get(moderator_client, comment):
    assert moderator_client.get(reverse("moderation:decide", args=[comment.pk])).status_code == 405
    assert moderator_client.get(reverse("moderation:bulk")).status_code == 405
    assert moderator_client.get(reverse("moderation:undo")).status_code == 405


def test_actions_need_the_csrf_token(moderator, comment, client_for):
    client = client_for(moderator, enforce_csrf_checks=True)
    response = decide(client, comment, "approve")
    assert response.status_code == 403
    assert status_of(comment) == (Status.PENDING, 0)


# Tags


def test_moderator_tags_a_comment(moderator_client, comment, site):
    url = reverse("moderation:tag", args=[comment.pk])
    response = moderator_client.post(url, {"category": attack(site).pk, "next": QUEUE})
    assert response.status_code == 302
    assert said(response) == [f"{Named(comment)} tagged Personal attack."]
    tag = Tag.objects.get()
    assert (tag.category, tag.moderator.username, tag.span_start) == (attack(site), "mona", None)
    assert AuditEvent.objects.filter(action="tag.add").count() == 1


def test_moderator_tags_a_passage_by_its_offsets(moderator_client, comment, site):
    url = reverse("moderation:tag", args=[comment.pk])
    data = {"category": attack(site).pk, "span_start": 11, "span_end": 16, "quoted_text": "idiot"}
    response = moderator_client.post(url, data, headers=JSON)
    assert response.status_code == 200
    message = f"{Named(comment)} tagged Personal attack on the passage “idiot”."
    assert response.json()["message"] == message
    assert response.json()["comment"]["tagged"] is True
    tag = Tag.objects.get()
    assert (tag.span_start, tag.span_end, tag.quoted_text) == (11, 16, "idiot")


def test_a_passage_that_does_not_match_the_text_is_refused(moderator_client, comment, site):
    url = reverse("moderation:tag", args=[comment.pk])
    data = {"category": attack(site).pk, "span_start": 0, "span_end": 3, "quoted_text": "Him"}
    response = moderator_client.post(url, data, headers=JSON)
    assert response.status_code == 400
    assert response.json()["error"] == (
        "The selected text no longer matches the comment; select it again."
    )
    assert not Tag.objects.exists()


def test_a_passage_needs_its_start_and_its_end(moderator_client, comment, site):
    url = reverse("moderation:tag", args=[comment.pk])
    response = moderator_client.post(url, {"category": attack(site).pk, "span_start": 3})
    assert response.status_code == 400
    assert "A passage needs both its start and its end." in response.content.decode()


def test_a_category_of_another_site_cannot_tag(moderator_client, comment):
    elsewhere = factories.make_site("Other Times")
    url = reverse("moderation:tag", args=[comment.pk])
    response = moderator_client.post(url, {"category": attack(elsewhere).pk}, headers=JSON)
    assert response.status_code == 400
    assert "category" in response.json()["errors"]


def test_tagging_twice_is_a_conflict(moderator_client, moderator, comment, site):
    services.tag(moderator, comment, attack(site))
    url = reverse("moderation:tag", args=[comment.pk])
    response = moderator_client.post(url, {"category": attack(site).pk}, headers=JSON)
    assert response.status_code == 409
    assert response.json()["error"] == "You already tagged this comment as Personal attack."


def test_moderator_retracts_her_tag(moderator_client, moderator, comment, site):
    tag = services.tag(moderator, comment, attack(site))
    response = moderator_client.post(reverse("moderation:retract", args=[tag.pk]), {"next": QUEUE})
    assert response.status_code == 302
    assert said(response) == [f"Your Personal attack tag on {named(comment)} is retracted."]
    tag.refresh_from_db()
    assert tag.retracted_at is not None
    assert AuditEvent.objects.filter(action="tag.retract").count() == 1


def test_moderator_cannot_retract_someone_elses_tag(
    moderator_client, other_moderator, comment, site
):
    tag = services.tag(other_moderator, comment, attack(site))
    response = moderator_client.post(reverse("moderation:retract", args=[tag.pk]), headers=JSON)
    assert response.status_code == 403
    assert response.json()["kind"] == "not_allowed"
    assert response.json()["error"] == "Only the moderator who made a tag can retract it."
    tag.refresh_from_db()
    assert tag.retracted_at is None


# Bulk


def bulk(client, action, pairs, headers=None, **data):
    return client.post(
        reverse("moderation:bulk"),
        {"action": action, "comments": pairs, "next": QUEUE, **data},
        headers=headers,
    )


def test_bulk_removal_reports_each_success_and_each_conflict(
    moderator_client, other_moderator, article, site
):
    first, second, third = (factories.make_comment(article, f"Text {i}") for i in range(3))
    services.decide(other_moderator, second, Status.ESCALATED, expected_version=0)
    pairs = f"{first.pk}:0,{second.pk}:0,{third.pk}:0"
    response = bulk(moderator_client, "remove", pairs, headers=JSON, reasons=[attack(site).pk])
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False
    title = article.title
    assert (
        body["message"] == f"2 comments removed for Personal attack (1, 3 on “{title}”). 1 refused."
    )
    assert [(r["id"], r["ok"]) for r in body["results"]] == [
        (first.pk, True),
        (third.pk, True),
        (second.pk, False),
    ]
    refused = body["results"][2]
    assert refused["kind"] == "conflict"
    assert "changed while you were looking: bob" in refused["error"]
    assert refused["error"].startswith(f"{Named(second)}: ")
    assert refused["comment"]["status"] == "escalated"
    assert status_of(first) == status_of(third) == (Status.REMOVED, 1)
    assert status_of(second) == (Status.ESCALATED, 1)  # bob's decision stands
    removed = AuditEvent.objects.filter(action="comment.removed")
    assert sorted(body["events"]) == sorted(removed.values_list("pk", flat=True))
    assert removed.count() == 2


def test_bulk_from_the_checkboxes_without_javascript(moderator_client, article):
    first, second = factories.make_comment(article, "One"), factories.make_comment(article, "Two")
    response = moderator_client.post(
        reverse("moderation:bulk"),
        {"action": "approve", "comments": [f"{first.pk}:0", f"{second.pk}:0"], "reasons": ""},
    )
    assert response.status_code == 302
    assert said(response) == [f"2 comments approved (1, 2 on “{first.article.title}”)."]
    assert status_of(first) == status_of(second) == (Status.APPROVED, 1)


def test_bulk_reports_a_comment_that_no_longer_exists(moderator_client, comment):
    response = bulk(moderator_client, "escalate", f"{comment.pk}:0,999999:0")
    assert response.status_code == 302
    assert said(response) == [
        f"1 comment escalated (1 on “{comment.article.title}”). 1 refused.",
        "Comment #999999 no longer exists.",
    ]


def test_bulk_with_nothing_selected_is_400(moderator_client, db):
    response = bulk(moderator_client, "approve", "", headers=JSON)
    assert response.status_code == 400
    assert "comments" in response.json()["errors"]


# Undo


def test_moderator_undoes_her_removal(moderator_client, comment, site):
    removed = decide(moderator_client, comment, "remove", reasons=[attack(site).pk], headers=JSON)
    event = removed.json()["event"]
    response = moderator_client.post(reverse("moderation:undo"), {"event": event}, headers=JSON)
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == f"Undone: {named(comment)} is pending again."
    assert body["comments"][0]["status"] == "pending"
    assert body["undo"] is None  # nothing more to offer
    assert status_of(comment) == (Status.PENDING, 2)
    reversal = AuditEvent.objects.latest("id")
    assert (reversal.action, reversal.after["undoes"]) == ("comment.pending", event)


def test_undoing_a_tag_retracts_it(moderator_client, comment, site):
    url = reverse("moderation:tag", args=[comment.pk])
    event = moderator_client.post(url, {"category": attack(site).pk}, headers=JSON).json()["event"]
    response = moderator_client.post(reverse("moderation:undo"), {"event": event, "next": QUEUE})
    assert response.status_code == 302
    assert said(response) == [f"Undone: the Personal attack tag on {named(comment)} is retracted."]
    assert not Tag.objects.current().exists()


def test_undoing_twice_is_a_conflict(moderator_client, comment):
    event = decide(moderator_client, comment, "escalate", headers=JSON).json()["event"]
    moderator_client.post(reverse("moderation:undo"), {"event": event})
    response = moderator_client.post(reverse("moderation:undo"), {"event": event}, headers=JSON)
    assert response.status_code == 409
    assert response.json()["error"] == "That action was already undone."


def test_moderator_cannot_undo_someone_elses_action(moderator_client, other_moderator, comment):
    services.decide(other_moderator, comment, Status.ESCALATED, expected_version=0)
    event = AuditEvent.objects.get(action="comment.escalated")
    response = moderator_client.post(reverse("moderation:undo"), {"event": event.pk}, headers=JSON)
    assert response.status_code == 403
    assert response.json()["error"] == "You can only undo your own actions."
    assert status_of(comment) == (Status.ESCALATED, 1)


def test_undo_of_a_bulk_action_reverses_each_comment(moderator_client, article):
    first, second = factories.make_comment(article, "One"), factories.make_comment(article, "Two")
    body = bulk(moderator_client, "escalate", f"{first.pk}:0,{second.pk}:0", headers=JSON).json()
    events = ",".join(str(e) for e in body["events"])
    response = moderator_client.post(reverse("moderation:undo"), {"event": events}, headers=JSON)
    assert response.json()["ok"] is True
    assert status_of(first) == status_of(second) == (Status.PENDING, 2)


def test_undo_of_an_unknown_event_is_404(moderator_client, db):
    assert moderator_client.post(reverse("moderation:undo"), {"event": 424242}).status_code == 404


def test_the_queue_offers_to_undo_the_last_action_without_javascript(moderator_client, comment):
    decide(moderator_client, comment, "escalate")
    html = moderator_client.get(QUEUE, {"status": "all"}).content.decode()
    event = AuditEvent.objects.get(action="comment.escalated")
    assert f'name="event" value="{event.pk}"' in html
    assert f"Last action: <span data-undo-label>{Named(comment)} escalated.</span>" in html


# Who may do what


@pytest.mark.parametrize("visitor", ["outsider_client", "researcher_client"])
def test_only_moderators_see_the_queue_or_act(request, moderator, comment, site, visitor):
    client = request.getfixturevalue(visitor)
    tag = services.tag(moderator, comment, attack(site))
    event = AuditEvent.objects.get(action="tag.add")
    assert client.get(QUEUE).status_code == 403
    posts = {
        reverse("moderation:decide", args=[comment.pk]): {"action": "approve", "version": 0},
        reverse("moderation:tag", args=[comment.pk]): {"category": attack(site).pk},
        reverse("moderation:retract", args=[tag.pk]): {},
        reverse("moderation:bulk"): {"action": "approve", "comments": f"{comment.pk}:0"},
        reverse("moderation:undo"): {"event": event.pk},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
        assert client.post(url, data, headers=JSON).status_code == 403, url
    assert status_of(comment) == (Status.PENDING, 0)
    assert Tag.objects.current().count() == 1


def test_anonymous_visitors_are_sent_to_log_in(client, comment):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_moderators_home_is_the_queue(moderator_client):
    assert moderator_client.get("/")["Location"] == QUEUE


# The queue page


def test_queue_shows_what_a_moderator_needs_on_each_row(moderator_client, moderator, article, site):
    factories.make_comment(article, "Earlier.", author="troll")
    parent = factories.make_comment(
        article, "Taxes <b>& fees are far too high for the middle class and everybody knows it"
    )
    reply = factories.make_comment(article, "Rubbish, <you> fool", parent=parent, author="troll")
    old = factories.make_comment(article, "Old insult", author="troll")
    services.decide(moderator, old, Status.REMOVED, expected_version=0, reasons=[attack(site)])
    services.tag(moderator, reply, profanity(site))
    html = moderator_client.get(QUEUE).content.decode()
    [row] = [r for r in html.split('<li class="queue-row"') if f'id="comment-{reply.pk}"' in r]
    assert "Rubbish, &lt;you&gt; fool" in row  # the sanitized HTML
    commenter_url = reverse("moderation:commenter", args=[reply.commenter_id])
    assert f'<a class="author" href="{commenter_url}">troll</a>' in row
    assert '<span class="badge removals"' in row
    assert ">1 removed</span>" in row
    # The parent's opening words, escaped and cut.
    opening = "Taxes &lt;b&gt;&amp; fees are far too high for the middle class and …"
    assert f"In reply to 2: <q>{opening}</q>" in row
    link = f"/articles/{article.pk}/?at={reply.pk}#comment-{reply.pk}"
    assert f'href="{link}">Budget debate</a> · Asbarez' in row
    assert '<span class="badge status-pending">Pending</span>' in row
    definition = factories.category(site, "profanity").definition  # shown on hover and focus
    assert f'<span class="tag-category" title="{definition}">Profanity</span>' in row
    assert '<span class="tag-moderator">mona</span>' in row
    assert '<span class="position">2.1.</span>' in row
    assert f'value="{reply.pk}:0" form="bulk-form"' in row


def test_queue_names_anonymous_commenters_and_skips_the_badge(moderator_client, comment, article):
    factories.make_comment(article, "No name.")
    html = moderator_client.get(QUEUE).content.decode()
    assert '<span class="author anonymous">Anonymous</span>' in html
    assert "badge removals" not in html


def test_queue_has_no_inline_script_style_or_handlers(moderator_client, comment, moderator, site):
    services.tag(moderator, comment, attack(site))
    html = moderator_client.get(QUEUE).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\sstyle=|\son[a-z]+=", html)


def test_empty_queue_says_nothing_is_waiting(moderator_client, db):
    html = moderator_client.get(QUEUE).content.decode()
    assert "Nothing waiting" in html


def test_queue_says_when_filters_match_nothing(moderator_client, comment):
    html = moderator_client.get(QUEUE, {"q": "no-such-word"}).content.decode()
    assert "No comment matches these filters." in html


# Filters, by query string


@pytest.fixture
def varied(moderator, other_moderator, site, article):
    """Comments in every state, on two sites, to filter."""
    other_site = factories.make_site("Other Times")
    elsewhere = factories.make_article(other_site, title="Elsewhere")
    c = {
        "pending": factories.make_comment(article, "Plain pending words", author="ann"),
        "removed": factories.make_comment(article, "A removed insult", author="troll"),
        "escalated": factories.make_comment(article, "Escalated threat"),
        "approved": factories.make_comment(article, "Approved fine text"),
        "elsewhere": factories.make_comment(elsewhere, "On the other site"),
    }
    c["reply"] = factories.make_comment(article, "A reply", parent=c["pending"])
    services.decide(
        other_moderator, c["removed"], Status.REMOVED, expected_version=0, reasons=[attack(site)]
    )
    services.decide(moderator, c["escalated"], Status.ESCALATED, expected_version=0)
    services.decide(moderator, c["approved"], Status.APPROVED, expected_version=0)
    services.tag(moderator, c["pending"], profanity(site))
    return c


def ids(*comments):
    return [c.pk for c in comments]


def test_queue_shows_pending_comments_oldest_first_by_default(moderator_client, varied):
    response = moderator_client.get(QUEUE)
    assert rows(response) == ids(varied["pending"], varied["elsewhere"], varied["reply"])


def test_queue_filters_by_status(moderator_client, varied):
    assert rows(moderator_client.get(QUEUE, {"status": "removed"})) == ids(varied["removed"])
    assert rows(moderator_client.get(QUEUE, {"status": "escalated"})) == ids(varied["escalated"])
    assert len(rows(moderator_client.get(QUEUE, {"status": "all"}))) == 6


def test_queue_filters_by_category(moderator_client, varied, site):
    by_tag = moderator_client.get(QUEUE, {"status": "all", "category": profanity(site).pk})
    assert rows(by_tag) == ids(varied["pending"])
    by_removal = moderator_client.get(QUEUE, {"status": "all", "category": attack(site).pk})
    assert rows(by_removal) == ids(varied["removed"])


def test_queue_filters_by_site_article_and_commenter(moderator_client, varied, article):
    other = varied["elsewhere"].article
    assert rows(moderator_client.get(QUEUE, {"site": other.site_id})) == ids(varied["elsewhere"])
    assert rows(moderator_client.get(QUEUE, {"article": other.pk})) == ids(varied["elsewhere"])
    troll = varied["removed"].commenter_id
    response = moderator_client.get(QUEUE, {"status": "all", "commenter": troll})
    assert rows(response) == ids(varied["removed"])


def test_queue_filters_by_moderator(moderator_client, varied, other_moderator):
    assert rows(
        moderator_client.get(QUEUE, {"status": "all", "moderator": other_moderator.pk})
    ) == ids(varied["removed"])


def test_queue_filters_comments_with_replies(moderator_client, varied):
    assert rows(moderator_client.get(QUEUE, {"has_replies": "yes"})) == ids(varied["pending"])
    without = rows(moderator_client.get(QUEUE, {"has_replies": "no"}))
    assert without == ids(varied["elsewhere"], varied["reply"])


def test_queue_searches_the_text(moderator_client, varied):
    response = moderator_client.get(QUEUE, {"status": "all", "q": "insult removed"})
    assert rows(response) == ids(varied["removed"])


def test_queue_filters_by_date_and_orders_newest_first(moderator_client, article):
    dates = [datetime(2024, 3, day, 12, tzinfo=UTC) for day in (1, 10, 20)]
    made = []
    for day, when in zip((1, 10, 20), dates, strict=True):
        comment = factories.make_comment(article, f"Day {day}")
        Comment.objects.filter(pk=comment.pk).update(posted_at=when)
        made.append(comment)
    between = {"posted_after": "2024-03-05", "posted_before": "2024-03-25"}
    assert rows(moderator_client.get(QUEUE, between)) == ids(made[1], made[2])
    assert rows(moderator_client.get(QUEUE, {**between, "order": "newest"})) == ids(
        made[2], made[1]
    )


def test_queue_is_paginated_and_keeps_its_filters_across_pages(moderator_client, article):
    made = [factories.make_comment(article, f"Number {i}") for i in range(PER_PAGE + 2)]
    query = {"q": "Number", "site": article.site_id}
    first = moderator_client.get(QUEUE, query)
    assert rows(first) == ids(*made[:PER_PAGE])
    html = first.content.decode()
    after = made[PER_PAGE - 1].pk
    assert f'href="?q=Number&amp;site={article.site_id}&amp;after={after}">Next' in html
    assert "Previous" not in html
    second = moderator_client.get(QUEUE, {**query, "after": after})
    assert rows(second) == ids(*made[PER_PAGE:])
    html = second.content.decode()
    assert "Next" not in html
    before = made[PER_PAGE].pk
    assert f'href="?q=Number&amp;site={article.site_id}&amp;before={before}">' in html
    back = moderator_client.get(QUEUE, {**query, "before": before})
    assert rows(back) == ids(*made[:PER_PAGE])
    last = moderator_client.get(QUEUE, {**query, "last": "1"})
    assert rows(last) == ids(*made[2:])
    assert f"{PER_PAGE + 2} comments" in first.content.decode()


def test_newest_first_pages_go_back_in_time(moderator_client, article):
    made = [factories.make_comment(article, f"Number {i}") for i in range(PER_PAGE + 2)]
    first = moderator_client.get(QUEUE, {"order": "newest"})
    assert rows(first) == ids(*reversed(made[2:]))
    second = moderator_client.get(QUEUE, {"order": "newest", "after": made[2].pk})
    assert rows(second) == ids(made[1], made[0])


def test_a_page_does_not_shift_when_comments_before_it_are_decided(
    moderator_client, moderator, article
):
    made = [factories.make_comment(article, f"Number {i}") for i in range(PER_PAGE + 2)]
    for comment in made[:10]:  # someone clears ten comments of the first page meanwhile
        services.decide(moderator, comment, Status.APPROVED, expected_version=0)
    second = moderator_client.get(QUEUE, {"after": made[PER_PAGE - 1].pk})
    assert rows(second) == ids(*made[PER_PAGE:])


def test_a_bad_cursor_gives_the_first_page(moderator_client, article):
    made = [factories.make_comment(article, f"Number {i}") for i in range(3)]
    for cursor in ("abc", "999999", "-1"):
        assert rows(moderator_client.get(QUEUE, {"after": cursor})) == ids(*made)


def test_the_count_stops_at_a_thousand_and_says_so(moderator_client, article):
    Comment.objects.bulk_create(
        Comment(article=article, position=str(i), thread_order=i, body_text="x", source_key=str(i))
        for i in range(1005)
    )
    records.open_states(Comment.objects.all())
    html = moderator_client.get(QUEUE).content.decode()
    assert "1,000+ comments" in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's parallel workers")
def test_the_count_s_serial_plan_does_not_outlive_it(moderator_client, article):
    # The capped count turns parallel workers off for its own transaction only: a pooled
    # connection's next query plans as before.
    factories.make_comment(article, "One")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        before = cursor.fetchone()
        assert moderator_client.get(QUEUE).context["count"].number == 1
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone() == before


# Query counts


def test_queue_query_count_does_not_grow_with_its_rows(
    moderator_client, moderator, site, django_assert_num_queries
):
    article = factories.make_article(site)
    first = factories.make_comment(article, "First", author="troll")
    services.tag(moderator, first, attack(site))
    services.decide(moderator, first, Status.ESCALATED, expected_version=0)
    url = f"{QUEUE}?status=all"
    # session, user, user's and groups' permissions, the count, the page's ids, their comments,
    # their tags, the last decisions' reasons, the categories of their sites, and the filter
    # form's three menus (categories, sites, moderators), the screening suggestions, the
    # people who may take an escalation; on PostgreSQL the count also turns parallel
    # workers off and back on, in a savepoint of the test's transaction (4 more)
    expected = 16 + (4 if connection.vendor == "postgresql" else 0)  # + the waiting badge
    with django_assert_num_queries(expected):
        response = moderator_client.get(url)
    assert len(rows(response)) == 1
    others = [factories.make_site(f"Site {i}") for i in range(3)]
    for i in range(PER_PAGE - 1):  # a full page
        other = factories.make_article(others[i % 3])
        parent = first if i % 2 else None
        more = factories.make_comment(
            parent.article if parent else other, f"Comment {i}", parent=parent, author=f"R{i}"
        )
        services.tag(moderator, more, profanity(more.article.site))
        if i % 3 == 0:
            reasons = [attack(more.article.site)]
            services.decide(moderator, more, Status.REMOVED, expected_version=0, reasons=reasons)
    with django_assert_num_queries(expected):
        response = moderator_client.get(url)
    assert len(rows(response)) == PER_PAGE


def test_the_note_of_an_approval_shows_on_the_row(moderator_client, moderator, comment, site):
    services.tag(moderator, comment, attack(site))
    services.decide(
        moderator, comment, Status.APPROVED, expected_version=0, note="Quoting a politician"
    )
    html = moderator_client.get(QUEUE, {"status": "approved"}).content.decode()
    assert "Quoting a politician" in html


def test_newest_first_holds_even_when_another_filter_is_invalid(moderator_client, article):
    first, second = (factories.make_comment(article, f"Text {i}") for i in range(2))
    response = moderator_client.get(QUEUE, {"order": "newest", "posted_after": "not-a-date"})
    assert [c.pk for c in response.context["rows"]] == [second.pk, first.pk]


# Tabs


def tabs_of(response):
    return {tab["label"]: (str(tab["count"]), tab["current"]) for tab in response.context["tabs"]}


def test_tabs_count_each_status_under_the_other_filters(moderator_client, moderator, site):
    article = factories.make_article(site)
    other = factories.make_article(factories.make_site("Other site"))
    made = [factories.make_comment(article, f"Here {i}") for i in range(6)]
    elsewhere = factories.make_comment(other, "Elsewhere")
    services.decide(moderator, made[0], Status.ESCALATED, expected_version=0)
    services.decide(moderator, made[1], Status.APPROVED, expected_version=0)
    services.decide(moderator, made[2], Status.REMOVED, expected_version=0, reasons=[attack(site)])
    services.decide(moderator, elsewhere, Status.ESCALATED, expected_version=0)
    response = moderator_client.get(QUEUE, {"site": site.pk, "status": "escalated"})
    assert tabs_of(response) == {
        "Pending": ("3", False),
        "Flagged": ("0", False),
        "Escalated": ("1", True),
        "Removed": ("1", False),
        "Approved": ("1", False),
        "All": ("6", False),
        "Assigned to me": ("0", False),
    }
    assert response.context["count"].number == 1  # the page's own count is its tab's
    html = response.content.decode()
    assert f'<a href="?site={site.pk}&amp;status=removed">Removed <span class="tab-count">1' in html
    assert 'aria-current="page">Escalated <span class="tab-count">1</span>' in html
    # Everything, no filter: both sites.
    assert tabs_of(moderator_client.get(QUEUE))["Escalated"] == ("2", False)


def test_a_tab_s_address_drops_the_page_s_place(moderator_client, article):
    made = [factories.make_comment(article, f"Number {i}") for i in range(3)]
    response = moderator_client.get(QUEUE, {"after": made[0].pk, "order": "newest"})
    urls = [tab["url"] for tab in response.context["tabs"]]
    assert urls[0] == "?order=newest&status=pending"
    assert not any("after" in url for url in urls)


def test_tabs_say_when_a_count_stops_at_a_thousand(moderator_client, article):
    Comment.objects.bulk_create(
        Comment(article=article, position=str(i), thread_order=i, body_text="x", source_key=str(i))
        for i in range(1001)
    )
    records.open_states(Comment.objects.all())
    assert tabs_of(moderator_client.get(QUEUE))["Pending"] == ("1,000+", True)


def test_tabs_of_a_filter_in_error_count_nothing(moderator_client, article):
    factories.make_comment(article, "One")
    response = moderator_client.get(QUEUE, {"commenter": "Nobody by that name"})
    assert {count for count, _ in tabs_of(response).values()} == {"0"}


def test_the_moderator_menu_lists_only_people_who_moderate(
    moderator_client, moderator, other_moderator, researcher, admin
):
    form = moderator_client.get(QUEUE).context["filter"].form
    listed = [label for value, label in form.fields["moderator"].choices if value]
    assert listed == sorted([moderator.username, other_moderator.username, admin.username])
    assert researcher.username not in listed
    other_moderator.is_active = False
    other_moderator.save()
    form = moderator_client.get(QUEUE).context["filter"].form
    assert other_moderator.username not in [label for _, label in form.fields["moderator"].choices]


def test_the_navigation_says_how_many_comments_wait(moderator_client, moderator, article):
    made = [factories.make_comment(article, f"Number {i}") for i in range(3)]
    services.decide(moderator, made[0], Status.APPROVED, expected_version=0)
    html = moderator_client.get(reverse("moderation:audit")).content.decode()
    badge = re.search(r'<span class="nav-count"[^>]*>(.*?)<span', html)
    assert badge[1] == "2"
    for comment in made[1:]:
        services.decide(moderator, comment, Status.ESCALATED, expected_version=0)
    assert 'class="nav-count"' not in moderator_client.get(QUEUE).content.decode()


def test_with_words_searched_only_the_shown_tab_is_counted(moderator_client, moderator, article):
    made = [factories.make_comment(article, f"An idiot, number {i}") for i in range(3)]
    services.decide(moderator, made[0], Status.ESCALATED, expected_version=0)
    response = moderator_client.get(QUEUE, {"q": "idiot", "status": "escalated"})
    assert tabs_of(response) == {
        "Pending": ("None", False),
        "Flagged": ("None", False),
        "Escalated": ("1", True),
        "Removed": ("None", False),
        "Approved": ("None", False),
        "All": ("None", False),
        "Assigned to me": ("None", False),
    }
    assert "Pending</a>" in response.content.decode()  # a tab without a number


def test_undo_is_offered_only_where_its_comments_are_or_where_it_was_done(
    moderator_client, article
):
    here = factories.make_comment(article, "Shown here")
    other_article = factories.make_article(article.site)
    elsewhere = factories.make_comment(other_article, "Shown elsewhere")
    thread = reverse("moderation:thread", args=[other_article.pk])
    url = reverse("moderation:decide", args=[elsewhere.pk])
    moderator_client.post(url, {"action": "remove", "version": 0, "next": thread,
                                "reasons": [attack(article.site).pk]})  # fmt: skip
    assert moderator_client.get(thread).context["undo"]["comments"] == [elsewhere.pk]
    # A freshly loaded page of other comments offers nothing to undo.
    assert moderator_client.get(QUEUE, {"article": article.pk}).context["undo"] is None
    html = moderator_client.get(QUEUE, {"article": article.pk}).content.decode()
    assert "data-undo hidden>" in html
    assert 'name="event" value=""' in html
    # Back to a page showing the comment: offered again.
    offered = moderator_client.get(QUEUE, {"status": "all", "article": other_article.pk})
    assert offered.context["undo"]["label"] == f"{Named(elsewhere)} removed for Personal attack."
    assert here.pk not in offered.context["undo"]["comments"]


def test_removing_and_escalating_take_an_optional_note_shown_on_the_row(
    moderator_client, article, site
):
    removed = factories.make_comment(article, "Out")
    escalated = factories.make_comment(article, "Unsure")
    html = moderator_client.get(QUEUE).content.decode()
    assert html.count('placeholder="Note (optional)"') == 2  # one remove form per row
    assert html.count('placeholder="Reason (optional)"') == 2
    decide(moderator_client, removed, "remove", reasons=[attack(site).pk], note="Third insult")
    decide(moderator_client, escalated, "escalate", note="Legal should look: a named person")
    decide(moderator_client, factories.make_comment(article, "Plain"), "escalate")
    assert removed.decisions.get().note == "Third insult"
    assert escalated.decisions.get().note == "Legal should look: a named person"
    shown = moderator_client.get(QUEUE, {"status": "all"}).content.decode()
    assert '<q class="decision-note">Third insult</q>' in shown
    assert '<q class="decision-note">Legal should look: a named person</q>' in shown


def test_a_comment_is_named_by_its_place_its_article_s_short_title_and_its_id(
    moderator_client, site
):
    article = factories.make_article(
        site, title="Putin Finally Reveals His Solution to the Artsakh Conflict"
    )
    comment = factories.make_comment(article, "Words")
    response = decide(moderator_client, comment, "escalate", headers=JSON)
    message = f"Comment 1 on “Putin Finally Reveals His Solution to…” (#{comment.pk}) escalated."
    assert response.json()["message"] == message
    row = moderator_client.get(QUEUE, {"status": "all"}).content.decode()
    assert '<span class="comment-id"' in row
    assert f">#{comment.pk}</span>" in row


def test_commenter_and_article_filters_take_a_name_or_an_id(moderator_client, site):
    budget = factories.make_article(site, title="Budget debate")
    weather = factories.make_article(site, title="Weather report")
    by_vartan = factories.make_comment(budget, "One", author="Vartan")
    by_vartan_elsewhere = factories.make_comment(weather, "Two", author="Vartan")
    by_ann = factories.make_comment(budget, "Three", author="Ann")
    shown = lambda **params: rows(moderator_client.get(QUEUE, params))  # noqa: E731
    assert shown(commenter="vart") == ids(by_vartan, by_vartan_elsewhere)
    assert shown(commenter=str(by_ann.commenter_id)) == ids(by_ann)
    assert shown(article="budget") == ids(by_vartan, by_ann)
    assert shown(article="budget", commenter="Vartan") == ids(by_vartan)
    assert shown(article=str(weather.pk)) == ids(by_vartan_elsewhere)


def test_a_name_that_names_nobody_or_too_many_says_so(moderator_client, site):
    from moderation.filters import NAME_MATCHES_MAX

    article = factories.make_article(site, title="Budget debate")
    for i in range(NAME_MATCHES_MAX + 1):
        factories.make_comment(article, f"Comment {i}", author=f"Reader {i}")
    nobody = moderator_client.get(QUEUE, {"commenter": "Zzyzx"})
    assert rows(nobody) == []
    assert "No commenter is called “Zzyzx”." in nobody.content.decode()
    many = moderator_client.get(QUEUE, {"commenter": "reader"})
    assert rows(many) == []
    assert (
        f"“reader” names more than {NAME_MATCHES_MAX} commenters: type more of it, or the id."
        in many.content.decode()
    )
    assert len(rows(moderator_client.get(QUEUE, {"commenter": "Reader 1"}))) == 11  # 1, 10-19


def test_capped_counts_of_nothing_are_zero(article):
    from moderation.pagination import capped_count, capped_counts

    factories.make_comment(article, "One")
    counted = capped_counts({"none": Comment.objects.none(), "all": Comment.objects.all()})
    assert (str(counted["none"]), str(counted["all"])) == ("0", "1")
    assert str(capped_count(Comment.objects.filter(pk__in=[]))) == "0"


def test_a_name_is_looked_up_once_per_page(moderator_client, site):
    article = factories.make_article(site, title="Budget debate")
    mine = factories.make_comment(article, "One", author="Vartan")
    factories.make_comment(article, "Two", author="Ann")
    with CaptureQueriesContext(connection) as queries:
        response = moderator_client.get(QUEUE, {"commenter": "vartan"})
    assert rows(response) == ids(mine)
    assert tabs_of(response)["Pending"] == ("1", True)
    lookups = [q for q in queries.captured_queries if 'FROM "archive_commenter"' in q["sql"]]
    assert len([q for q in lookups if "LIKE" in q["sql"]]) == 1
    # Ids, one or several, are taken as they are.
    assert rows(moderator_client.get(QUEUE, {"commenter": f"{mine.commenter_id}, 999999"})) == ids(
        mine
    )


def test_the_tab_shown_is_the_status_asked_for_even_beside_a_filter_in_error(
    moderator_client, moderator, article
):
    comment = factories.make_comment(article, "Unsure")
    services.decide(moderator, comment, Status.ESCALATED, expected_version=0)
    response = moderator_client.get(QUEUE, {"status": "escalated", "category": "999999"})
    assert tabs_of(response)["Escalated"] == ("1", True)
    assert rows(response) == ids(comment)
