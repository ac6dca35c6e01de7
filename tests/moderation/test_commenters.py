"""/commenters/<id>/: a commenter's record, blocks and notes."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from moderation import services
from moderation.models import AuditEvent, CommenterBlock, CommenterNote, Status
from tests import factories

pytestmark = pytest.mark.django_db


# Personas and data


@pytest.fixture
def researcher_client(client):
    client.force_login(factories.make_researcher("rhea"))
    return client


@pytest.fixture
def site():
    return factories.make_site("Asbarez", policy_text="No profanity, no personal attacks.")


@pytest.fixture
def article(site):
    return factories.make_article(site, title="Talks resume")


@pytest.fixture
def vartan(article):
    """A commenter with one comment."""
    factories.make_comment(article, "You are an idiot and a liar.", author="Vartan")
    return factories.make_commenter(article.site, "Vartan")


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


def test_researcher_cannot_block_unblock_or_annotate(researcher_client, vartan, mona):
    current = services.block(mona, vartan, reason="Insults")
    posts = [
        (reverse("moderation:block", args=[vartan.pk]), {"reason": "x"}),
        (reverse("moderation:unblock", args=[current.pk]), {"confirm": "on"}),
        (reverse("moderation:note", args=[vartan.pk]), {"text": "x"}),
    ]
    for url, data in posts:
        assert researcher_client.post(url, data).status_code == 403
    assert CommenterBlock.objects.in_force().filter(commenter=vartan).count() == 1
    assert not CommenterNote.objects.exists()


def test_actions_on_a_commenter_only_accept_post(mona_client, vartan):
    assert mona_client.get(reverse("moderation:block", args=[vartan.pk])).status_code == 405
    assert mona_client.get(reverse("moderation:note", args=[vartan.pk])).status_code == 405


def test_actions_on_a_commenter_need_the_csrf_token(vartan, mona):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mona)
    response = client.post(reverse("moderation:block", args=[vartan.pk]), {"reason": "Spam"})
    assert response.status_code == 403
    assert not CommenterBlock.objects.exists()


def test_a_missing_commenter_is_404(mona_client, db):
    assert mona_client.get(reverse("moderation:commenter", args=[999])).status_code == 404


# The record


def test_moderator_sees_a_repeat_offenders_record_at_a_glance(
    mona_client, article, vartan, mona, bob
):
    second = factories.make_comment(article, "Shut up, moron.", author="Vartan")
    third = factories.make_comment(article, "Fair point.", author="Vartan")
    attack = factories.category(article.site, "personal-attack")
    services.tag(mona, second, attack)
    services.tag(bob, second, attack)
    services.tag(mona, third, factories.category(article.site, "profanity"))
    remove(mona, second)
    response = mona_client.get(page_of(vartan))
    html = response.content.decode()
    assert response.context["counts"] == {"comments": 3, "removed": 1}
    assert list(response.context["tag_counts"]) == [
        {"category__name": "Personal attack", "tags": 2, "comments": 1},
        {"category__name": "Profanity", "tags": 1, "comments": 1},
    ]
    assert "<h1>Vartan</h1>" in html
    assert "Commenter on Asbarez" in html
    assert '<span class="badge status-removed">Removed</span>' in html
    assert f'href="/articles/{article.pk}/#comment-{second.pk}"' in html


def test_comments_are_newest_first_and_paginated(mona_client, article, vartan):
    for i in range(25):
        factories.make_comment(article, f"Comment number {i}", author="Vartan")
    first = mona_client.get(page_of(vartan))
    second = mona_client.get(page_of(vartan), {"page": 2})
    assert len(first.context["page"].object_list) == 25
    assert first.context["page"].object_list[0].body_text == "Comment number 24"
    assert [c.body_text for c in second.context["page"].object_list] == [
        "You are an idiot and a liar."
    ]
    assert "Page 1 of 2 (26 in all)" in first.content.decode()


def test_a_commenter_with_nothing_on_record_gets_empty_states(mona_client, vartan):
    html = mona_client.get(page_of(vartan)).content.decode()
    assert "No tags on this commenter’s comments." in html
    assert "Vartan has never been blocked." in html
    assert "No notes yet." in html
    assert "No audit event concerns this commenter." in html


# Blocks


def test_moderator_blocks_a_commenter_with_an_expiry(mona_client, vartan, mona):
    expiry = in_an_hour()
    response = mona_client.post(
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
        mona,
        vartan.pk,
        "Repeated personal attacks",
    )
    assert (event.request_id, event.client_address) == ("req-7", "203.0.113.9")
    assert [row.event for row in response.context["rows"]] == [event]


def test_moderator_blocks_a_commenter_with_no_expiry(mona_client, vartan):
    response = mona_client.post(
        reverse("moderation:block", args=[vartan.pk]), {"reason": "Spam"}, follow=True
    )
    assert messages_on(response) == ["Vartan is blocked with no expiry."]
    assert response.context["in_force"].expires_at is None


def test_blocking_twice_says_the_commenter_is_already_blocked(mona_client, vartan, bob):
    services.block(bob, vartan, reason="Insults")
    response = mona_client.post(
        reverse("moderation:block", args=[vartan.pk]), {"reason": "Spam"}, follow=True
    )
    assert messages_on(response) == ["Vartan is already blocked with no expiry (by bob)."]
    assert CommenterBlock.objects.filter(commenter=vartan).count() == 1


def test_a_block_needs_a_reason(mona_client, vartan):
    response = mona_client.post(reverse("moderation:block", args=[vartan.pk]), {})
    assert response.status_code == 400
    assert response.context["block_form"].errors == {"reason": ["This field is required."]}
    assert not CommenterBlock.objects.exists()


def test_a_block_cannot_expire_in_the_past(mona_client, vartan):
    yesterday = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = mona_client.post(
        reverse("moderation:block", args=[vartan.pk]),
        {"reason": "Spam", "expires_at": yesterday},
    )
    assert response.status_code == 400
    assert "The expiry must be in the future." in response.content.decode()
    assert not CommenterBlock.objects.exists()


def test_unblock_requires_confirmation(mona_client, vartan, mona):
    current = services.block(mona, vartan, reason="Insults")
    response = mona_client.post(
        reverse("moderation:unblock", args=[current.pk]), {"note": "Apologised"}
    )
    assert response.status_code == 400
    assert "Tick the box to confirm that the block should be lifted." in response.content.decode()
    assert CommenterBlock.objects.get(pk=current.pk).in_force


def test_the_unblock_form_asks_for_confirmation_without_js(mona_client, vartan, mona):
    current = services.block(mona, vartan, reason="Insults")
    html = mona_client.get(page_of(vartan)).content.decode()
    assert f'action="{reverse("moderation:unblock", args=[current.pk])}"' in html
    assert '<input type="checkbox" name="confirm" required id="id_confirm">' in html


def test_moderator_lifts_a_block_and_the_page_says_who(mona_client, vartan, bob, mona):
    current = services.block(bob, vartan, reason="Insults")
    response = mona_client.post(
        reverse("moderation:unblock", args=[current.pk]),
        {"note": "Apologised by email", "confirm": "on"},
        follow=True,
    )
    html = response.content.decode()
    assert messages_on(response) == ["The block on Vartan is lifted."]
    lifted = CommenterBlock.objects.get(pk=current.pk)
    assert (lifted.lifted_by, lifted.lift_note) == (mona, "Apologised by email")
    assert response.context["in_force"] is None
    assert '<span class="badge lifted">Lifted</span>' in html
    assert "by mona" in html
    assert "Apologised by email" in html
    assert AuditEvent.objects.filter(action="commenter.unblock", actor=mona).count() == 1


def test_lifting_a_block_no_longer_in_force_is_refused(mona_client, vartan, mona):
    current = services.block(mona, vartan, reason="Insults")
    services.unblock(mona, current)
    response = mona_client.post(
        reverse("moderation:unblock", args=[current.pk]), {"confirm": "on"}, follow=True
    )
    assert messages_on(response) == ["This block is no longer in force."]
    assert AuditEvent.objects.filter(action="commenter.unblock").count() == 1


# Notes


def test_notes_appear_newest_first(mona_client, vartan, bob):
    services.add_commenter_note(bob, vartan, text="First warning sent.")
    response = mona_client.post(
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


def test_an_empty_note_is_refused(mona_client, vartan):
    response = mona_client.post(reverse("moderation:note", args=[vartan.pk]), {"text": "  "})
    assert response.status_code == 400
    assert response.context["note_form"].errors == {"text": ["This field is required."]}
    assert not CommenterNote.objects.exists()


# Query counts


def test_commenter_page_costs_the_same_queries_for_1_or_30_comments(
    mona_client, article, vartan, mona, bob, django_assert_num_queries
):
    first = article.comments.get()
    services.tag(mona, first, factories.category(article.site, "profanity"))
    remove(mona, first)
    old = services.block(mona, vartan, reason="Insults")
    services.unblock(bob, old, note="Apologised")
    services.add_commenter_note(mona, vartan, text="Watch this one.")
    # session, user, permissions (2), commenter, count, comments, their tags, blocks, events,
    # comment counts, tag counts, notes
    expected = 13
    with django_assert_num_queries(expected):
        mona_client.get(page_of(vartan))
    for i in range(29):
        comment = factories.make_comment(
            factories.make_article(article.site), f"Comment {i}", author="Vartan"
        )
        services.tag(mona, comment, factories.category(article.site, "personal-attack"))
        if i % 2:
            remove(bob, comment)
    services.block(bob, vartan, reason="Back at it")
    services.add_commenter_note(bob, vartan, text="Blocked again.")
    with django_assert_num_queries(expected):
        response = mona_client.get(page_of(vartan))
    assert response.context["page"].paginator.count == 30
