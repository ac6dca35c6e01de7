"""The moderated thread page (/articles/<id>/) and its public preview."""

import re

from django.urls import reverse

from archive.models import Comment
from moderation import services
from moderation.models import Status
from tests import factories
from tests.archive.test_views import comment_blocks


def attack(site):
    return factories.category(site, "personal-attack")


def thread_url(article):
    return reverse("moderation:thread", args=[article.pk])


def public_url(article):
    return reverse("moderation:public", args=[article.pk])


def test_the_moderated_thread_is_the_archives_thread_url(article):
    assert thread_url(article) == reverse("moderation:thread", args=[article.pk])
    assert thread_url(article) == f"/articles/{article.pk}/"


def test_moderator_sees_each_comment_with_its_state_and_controls(
    moderator_client, moderator, article, site
):
    first = factories.make_comment(article, "First", author="ann")
    reply = factories.make_comment(article, "You fool", parent=first, author="troll")
    services.tag(moderator, reply, attack(site))
    services.decide(moderator, first, Status.APPROVED, expected_version=0)
    html = moderator_client.get(thread_url(article)).content.decode()
    assert comment_blocks(html) == [("1", "0", "ann"), ("1.1", "1", "troll")]
    assert '<span class="badge status-approved">Approved</span>' in html
    assert '<span class="tag-category">Personal attack</span>' in html
    assert f'action="/comments/{reply.pk}/decide/"' in html
    assert f'data-row data-comment="{reply.pk}" data-version="0" data-status="pending"' in html
    assert f'name="next" value="/articles/{article.pk}/#comment-{reply.pk}"' in html
    assert f'href="{public_url(article)}">As readers see it</a>' in html


def test_moderators_get_each_comments_body_text_to_map_selections_onto(moderator_client, article):
    text = 'Line one & <two> "quoted"\n\nSecond paragraph'
    comment = factories.make_comment(article, text)
    html = moderator_client.get(thread_url(article)).content.decode()
    pattern = rf'id="comment-{comment.pk}".*?<div class="comment-body"([^>]*)>(.*?)</div>'
    body = re.search(pattern, html, re.S)
    assert body[1] == (
        ' data-text-offset data-text="Line one &amp; &lt;two&gt; &quot;quoted&quot;\n\n'
        'Second paragraph"'
    )
    # What is shown is still the stored, sanitized HTML.
    assert body[2] == (
        "<p>Line one &amp; &lt;two&gt; &quot;quoted&quot;</p>\n<p>Second paragraph</p>"
    )


def test_tagged_passages_carry_their_offsets_for_marking(
    moderator_client, moderator, article, site
):
    comment = factories.make_comment(article, "You are an idiot, frankly.")
    services.tag(moderator, comment, attack(site), span=(11, 16), quoted_text="idiot")
    html = moderator_client.get(thread_url(article)).content.decode()
    assert 'data-passage="11 16">' in html
    assert '<q class="tag-quote">idiot</q>' in html


def test_researcher_sees_states_and_tags_but_no_controls(
    researcher_client, moderator, article, site
):
    comment = factories.make_comment(article, "You fool")
    services.tag(moderator, comment, attack(site))
    html = researcher_client.get(thread_url(article)).content.decode()
    assert '<span class="tag-category">Personal attack</span>' in html
    assert "/decide/" not in html
    assert "/retract/" not in html
    assert "data-undo" not in html


def test_someone_without_a_role_cannot_read_threads(outsider_client, article):
    assert outsider_client.get(thread_url(article)).status_code == 403
    assert outsider_client.get(public_url(article)).status_code == 403


def test_researcher_gets_no_body_text_to_tag(researcher_client, article):
    factories.make_comment(article, "Plain words")
    html = researcher_client.get(thread_url(article)).content.decode()
    assert "data-text=" not in html
    assert '<div class="comment-body"><p>Plain words</p></div>' in html


def test_thread_of_an_unknown_article_is_404(moderator_client, db):
    assert moderator_client.get("/articles/999999/").status_code == 404


def test_thread_has_no_inline_script_style_or_handlers(moderator_client, moderator, article, site):
    comment = factories.make_comment(article, "You fool")
    services.tag(moderator, comment, attack(site), span=(4, 8))
    html = moderator_client.get(thread_url(article)).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\sstyle=|\son[a-z]+=", html)


def test_thread_query_count_does_not_grow_with_its_comments(
    moderator_client, moderator, site, django_assert_num_queries
):
    small = factories.make_article(site)
    [only] = factories.make_thread(small, 1)
    services.tag(moderator, only, attack(site))
    services.decide(moderator, only, Status.ESCALATED, expected_version=0)
    large = factories.make_article(site)
    made = factories.make_thread(large, 30, replies_each=3)
    for comment in made[::4]:
        services.tag(moderator, comment, attack(site))
        services.decide(
            moderator, comment, Status.REMOVED, expected_version=0, reasons=[attack(site)]
        )
    # session, user, permissions (2), article + site, the current policy, comments (with
    # commenters, parents, states, last decisions and their moderators), their tags, the
    # decisions' reasons, the site's categories for the controls
    with django_assert_num_queries(10):
        moderator_client.get(thread_url(small))
    with django_assert_num_queries(10):
        response = moderator_client.get(thread_url(large))
    assert response.context["comment_count"] == 120


# The public preview


def test_public_preview_says_why_a_comment_was_removed(moderator_client, moderator, article, site):
    comment = factories.make_comment(article, "You utter idiot.", author="troll")
    services.decide(moderator, comment, Status.REMOVED, expected_version=0, reasons=[attack(site)])
    html = moderator_client.get(public_url(article)).content.decode()
    assert "Removed by a moderator: Personal attack" in html
    assert "You utter idiot." not in html
    assert comment_blocks(html) == [("1", "0", "troll")]


def test_public_preview_names_every_reason_of_a_removal(moderator_client, moderator, article, site):
    comment = factories.make_comment(article, "Damn you, idiot.")
    reasons = [factories.category(site, "profanity"), attack(site)]
    services.decide(moderator, comment, Status.REMOVED, expected_version=0, reasons=reasons)
    html = moderator_client.get(public_url(article)).content.decode()
    assert "Removed by a moderator: Profanity, Personal attack" in html


def test_public_preview_hides_held_comments_until_approved(moderator_client, moderator, article):
    held = factories.make_comment(article, "Held at the source.")
    approved = factories.make_comment(article, "Held, then approved.")
    Comment.objects.filter(pk__in=[held.pk, approved.pk]).update(source_status="held")
    services.decide(moderator, approved, Status.APPROVED, expected_version=0)
    html = moderator_client.get(public_url(article)).content.decode()
    assert "Held at the source." not in html
    assert "Held, then approved." in html
    assert "1 comment" in html


def test_public_preview_shows_pending_and_escalated_comments_as_published(
    moderator_client, moderator, article
):
    factories.make_comment(article, "Still pending.")
    escalated = factories.make_comment(article, "Being looked at.")
    services.decide(moderator, escalated, Status.ESCALATED, expected_version=0)
    html = moderator_client.get(public_url(article)).content.decode()
    assert "<p>Still pending.</p>" in html
    assert "<p>Being looked at.</p>" in html
    assert "Removed by a moderator" not in html


def test_public_preview_query_count_does_not_grow(
    moderator_client, moderator, site, django_assert_num_queries
):
    small = factories.make_article(site)
    [only] = factories.make_thread(small, 1)
    services.decide(moderator, only, Status.REMOVED, expected_version=0, reasons=[attack(site)])
    large = factories.make_article(site)
    for comment in factories.make_thread(large, 20, replies_each=2)[::3]:
        services.decide(
            moderator, comment, Status.REMOVED, expected_version=0, reasons=[attack(site)]
        )
    # session, user, permissions (2), article + site, comments, the removals' reasons
    with django_assert_num_queries(7):
        moderator_client.get(public_url(small))
    with django_assert_num_queries(7):
        response = moderator_client.get(public_url(large))
    assert response.context["comment_count"] == 60


def test_an_unmoderated_thread_fetches_no_tags_or_decisions(
    researcher_client, site, django_assert_num_queries
):
    factories.make_thread(factories.make_article(site), 30, replies_each=2)
    article = factories.make_article(site)
    factories.make_thread(article, 30, replies_each=2)
    # session, user, permissions (2), article + site, the current policy, comments: no tags
    # or decisions to fetch
    with django_assert_num_queries(7):
        researcher_client.get(thread_url(article))


def test_researchers_see_tags_but_not_who_made_them_or_their_notes(researcher_client, moderator):
    site = factories.make_site("Asbarez")
    article = factories.make_article(site)
    comment = factories.make_comment(article, "You idiot.", author="V")
    attack = factories.category(site, "personal-attack")
    services.tag(moderator, comment, attack, note="insult aimed at another reader")
    services.decide(moderator, comment, Status.REMOVED, expected_version=0, reasons=[attack])
    html = researcher_client.get(reverse("moderation:thread", args=[article.pk])).content.decode()
    assert "Personal attack" in html
    assert "mona" not in html
    assert "insult aimed at another reader" not in html


def test_a_blocked_commenter_is_flagged_on_the_thread_and_in_the_queue(moderator_client, moderator):
    site = factories.make_site("Asbarez")
    article = factories.make_article(site)
    comment = factories.make_comment(article, "Again.", author="Repeat")
    services.block(moderator, comment.commenter, reason="Repeated attacks")
    thread = moderator_client.get(reverse("moderation:thread", args=[article.pk])).content.decode()
    queue = moderator_client.get(reverse("moderation:queue")).content.decode()
    assert 'class="badge blocked"' in thread
    assert 'class="badge blocked"' in queue


def test_the_thread_shows_the_current_policy_version(moderator_client, admin):
    site = factories.make_site("Asbarez", policy_text="Be civil.")
    article = factories.make_article(site)
    services.edit_policy(admin, site, text="Be civil. No slurs.", expected_version=1)
    html = moderator_client.get(reverse("moderation:thread", args=[article.pk])).content.decode()
    assert "Be civil. No slurs." in html
    assert "(version 2)" in html
