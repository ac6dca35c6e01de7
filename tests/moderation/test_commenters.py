"""/commenters/<id>/: a commenter's record, blocks and notes."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from moderation import services
from moderation.models import AuditEvent, CommenterBlock, CommenterNote, Status
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def vartan(comment):
    """A commenter with one comment: the author of `comment`, "You are an idiot and a liar."."""
    return comment.commenter


def page_of(commenter):
    return reverse("moderation:commenter", args=[commenter.pk])


def messages_on(response):
    return [str(m) for m in response.context["messages"]]


def remove(user, comment, slug="personal-attack"):
    return services.decide(
        user,
        comment,
        Status.REMOVED,
        expected_version=services.state_of(comment)[1],
        reasons=[factories.category(comment.article.site, slug)],
    )


def in_an_hour():
    return (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")


# Access


def test_researcher_cannot_see_a_commenter(researcher_client, vartan):
    assert researcher_client.get(page_of(vartan)).status_code == 403


def test_researcher_cannot_block_unblock_or_annotate(researcher_client, vartan, moderator):
    current = services.block(moderator, vartan, reason="Insults")
    posts = [
        (reverse("moderation:block", args=[vartan.pk]), {"reason": "x"}),
        (reverse("moderation:unblock", args=[current.pk]), {"confirm": "on"}),
        (reverse("moderation:note", args=[vartan.pk]), {"text": "x"}),
    ]
    for url, data in posts:
        assert researcher_client.post(url, data).status_code == 403
    assert CommenterBlock.objects.in_force().filter(commenter=vartan).count() == 1
    assert not CommenterNote.objects.exists()


def test_actions_on_a_commenter_only_accept_post(moderator_client, vartan):
    assert moderator_client.get(reverse("moderation:block", args=[vartan.pk])).status_code == 405
    assert moderator_client.get(reverse("moderation:note", args=[vartan.pk])).status_code == 405


def test_actions_on_a_commenter_need_the_csrf_token(vartan, moderator, client_for):
    client = client_for(moderator, enforce_csrf_checks=True)
    response = client.post(reverse("moderation:block", args=[vartan.pk]), {"reason": "Spam"})
    assert response.status_code == 403
    assert not CommenterBlock.objects.exists()


def test_a_missing_commenter_is_404(moderator_client, db):
    assert moderator_client.get(reverse("moderation:commenter", args=[999])).status_code == 404


# The record


def test_moderator_sees_a_repeat_offenders_record_at_a_glance(
    moderator_client, article, vartan, moderator, other_moderator
):
    second = factories.make_comment(article, "Shut up, moron.", author="Vartan")
    third = factories.make_comment(article, "Fair point.", author="Vartan")
    attack = factories.category(article.site, "personal-attack")
    services.tag(moderator, second, attack)
    services.tag(other_moderator, second, attack)
    services.tag(moderator, third, factories.category(article.site, "profanity"))
    remove(moderator, second)
    response = moderator_client.get(page_of(vartan))
    html = response.content.decode()
    assert response.context["counts"] == {"comments": 3, "removed": 1, "pending": 2}
    assert list(response.context["tag_counts"]) == [
        {"category__name": "Personal attack", "tags": 2, "comments": 1},
        {"category__name": "Profanity", "tags": 1, "comments": 1},
    ]
    assert "<h1>Vartan</h1>" in html
    assert "Commenter on Asbarez" in html
    assert '<span class="badge status-removed">Removed</span>' in html
    assert f'href="/articles/{article.pk}/?at={second.pk}#comment-{second.pk}"' in html


def test_comments_are_newest_first_and_paginated(moderator_client, article, vartan):
    for i in range(25):
        factories.make_comment(article, f"Comment number {i}", author="Vartan")
    first = moderator_client.get(page_of(vartan))
    second = moderator_client.get(page_of(vartan), {"page": 2})
    assert len(first.context["page"].object_list) == 25
    assert first.context["page"].object_list[0].body_text == "Comment number 24"
    assert [c.body_text for c in second.context["page"].object_list] == [
        "You are an idiot and a liar."
    ]
    assert "Page 1 of 2 (26 in all)" in first.content.decode()


def test_a_commenter_with_nothing_on_record_gets_empty_states(moderator_client, vartan):
    html = moderator_client.get(page_of(vartan)).content.decode()
    assert "No tags on this commenter’s comments." in html
    assert "Vartan has never been blocked." in html
    assert "No notes yet." in html
    assert "No audit event concerns this commenter." in html


# Blocks


def test_moderator_blocks_a_commenter_with_an_expiry(moderator_client, vartan, moderator):
    expiry = in_an_hour()
    response = moderator_client.post(
        reverse("moderation:block", args=[vartan.pk]),
        {"reason": "Repeated personal attacks", "expires_at": expiry},
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_REQUEST_ID="req-7",
        follow=True,
    )
    html = response.content.decode()
    assert response.redirect_chain == [(page_of(vartan), 302)]
    assert messages_on(response) == [f"Vartan is blocked until {expiry.replace('T', ' ')}."]
    assert response.context["in_force"].reason == "Repeated personal attacks"
    assert '<span class="badge in-force">In force</span>' in html
    assert "<strong>Blocked</strong>" in html
    event = AuditEvent.objects.get(action="commenter.block")
    assert (event.actor, event.commenter_id, event.note) == (
        moderator,
        vartan.pk,
        "Repeated personal attacks",
    )
    assert event.client_address == "203.0.113.9"
    # Our own id for the request: the client's X-Request-ID is not ours to record.
    assert re.fullmatch(r"[0-9a-f]{32}", event.request_id)
    assert not event.forwarded_request_id
    assert [row.event for row in response.context["rows"]] == [event]


def test_moderator_blocks_a_commenter_with_no_expiry(moderator_client, vartan):
    response = moderator_client.post(
        reverse("moderation:block", args=[vartan.pk]), {"reason": "Spam"}, follow=True
    )
    assert messages_on(response) == ["Vartan is blocked with no expiry."]
    assert response.context["in_force"].expires_at is None


def test_blocking_twice_says_the_commenter_is_already_blocked(
    moderator_client, vartan, other_moderator
):
    services.block(other_moderator, vartan, reason="Insults")
    response = moderator_client.post(
        reverse("moderation:block", args=[vartan.pk]), {"reason": "Spam"}, follow=True
    )
    assert messages_on(response) == ["Vartan is already blocked with no expiry (by bob)."]
    assert CommenterBlock.objects.filter(commenter=vartan).count() == 1


def test_a_block_needs_a_reason(moderator_client, vartan):
    response = moderator_client.post(reverse("moderation:block", args=[vartan.pk]), {})
    assert response.status_code == 400
    assert response.context["block_form"].errors == {"reason": ["This field is required."]}
    assert not CommenterBlock.objects.exists()


def test_a_block_cannot_expire_in_the_past(moderator_client, vartan):
    yesterday = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = moderator_client.post(
        reverse("moderation:block", args=[vartan.pk]),
        {"reason": "Spam", "expires_at": yesterday},
    )
    assert response.status_code == 400
    assert "The expiry must be in the future." in response.content.decode()
    assert not CommenterBlock.objects.exists()


def test_unblock_requires_confirmation(moderator_client, vartan, moderator):
    current = services.block(moderator, vartan, reason="Insults")
    response = moderator_client.post(
        reverse("moderation:unblock", args=[current.pk]), {"note": "Apologised"}
    )
    assert response.status_code == 400
    assert "Tick the box to confirm that the block should be lifted." in response.content.decode()
    assert CommenterBlock.objects.get(pk=current.pk).in_force


def test_the_unblock_form_asks_for_confirmation_without_js(moderator_client, vartan, moderator):
    current = services.block(moderator, vartan, reason="Insults")
    html = moderator_client.get(page_of(vartan)).content.decode()
    assert f'action="{reverse("moderation:unblock", args=[current.pk])}"' in html
    assert '<input type="checkbox" name="confirm" required id="id_confirm">' in html


def test_moderator_lifts_a_block_and_the_page_says_who(
    moderator_client, vartan, other_moderator, moderator
):
    current = services.block(other_moderator, vartan, reason="Insults")
    response = moderator_client.post(
        reverse("moderation:unblock", args=[current.pk]),
        {"note": "Apologised by email", "confirm": "on"},
        follow=True,
    )
    html = response.content.decode()
    assert messages_on(response) == ["The block on Vartan is lifted."]
    lifted = CommenterBlock.objects.get(pk=current.pk)
    assert (lifted.lifted_by, lifted.lift_note) == (moderator, "Apologised by email")
    assert response.context["in_force"] is None
    assert '<span class="badge lifted">Lifted</span>' in html
    assert "by mona" in html
    assert "Apologised by email" in html
    assert AuditEvent.objects.filter(action="commenter.unblock", actor=moderator).count() == 1


def test_lifting_a_block_no_longer_in_force_is_refused(moderator_client, vartan, moderator):
    current = services.block(moderator, vartan, reason="Insults")
    services.unblock(moderator, current)
    response = moderator_client.post(
        reverse("moderation:unblock", args=[current.pk]), {"confirm": "on"}, follow=True
    )
    assert messages_on(response) == ["This block is no longer in force."]
    assert AuditEvent.objects.filter(action="commenter.unblock").count() == 1


# Notes


def test_notes_appear_newest_first(moderator_client, vartan, other_moderator):
    services.add_commenter_note(other_moderator, vartan, text="First warning sent.")
    response = moderator_client.post(
        reverse("moderation:note", args=[vartan.pk]), {"text": "Second warning."}, follow=True
    )
    html = response.content.decode()
    assert messages_on(response) == ["Note on Vartan added."]
    assert [n.text for n in response.context["notes"]] == [
        "Second warning.",
        "First warning sent.",
    ]
    assert html.index("Second warning.") < html.index("First warning sent.")
    assert AuditEvent.objects.filter(action="commenter.note").count() == 2


def test_an_empty_note_is_refused(moderator_client, vartan):
    response = moderator_client.post(reverse("moderation:note", args=[vartan.pk]), {"text": "  "})
    assert response.status_code == 400
    assert response.context["note_form"].errors == {"text": ["This field is required."]}
    assert not CommenterNote.objects.exists()


# Query counts


def test_commenter_page_costs_the_same_queries_for_1_or_30_comments(
    moderator_client, article, vartan, moderator, other_moderator, django_assert_num_queries
):
    first = article.comments.get()
    services.tag(moderator, first, factories.category(article.site, "profanity"))
    remove(moderator, first)
    old = services.block(moderator, vartan, reason="Insults")
    services.unblock(other_moderator, old, note="Apologised")
    services.add_commenter_note(moderator, vartan, text="Watch this one.")
    # session, user, permissions (2), commenter, count, the page's ids, their comments, their
    # tags, blocks, events, comment counts, tag counts, notes
    expected = 15  # with the navigation's count of comments waiting
    with django_assert_num_queries(expected):
        moderator_client.get(page_of(vartan))
    for i in range(29):
        comment = factories.make_comment(
            factories.make_article(article.site), f"Comment {i}", author="Vartan"
        )
        services.tag(moderator, comment, factories.category(article.site, "personal-attack"))
        if i % 2:
            remove(other_moderator, comment)
    services.block(other_moderator, vartan, reason="Back at it")
    services.add_commenter_note(other_moderator, vartan, text="Blocked again.")
    with django_assert_num_queries(expected):
        response = moderator_client.get(page_of(vartan))
    assert response.context["page"].paginator.count == 30
