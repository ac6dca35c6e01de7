"""The moderated thread page (/articles/<id>/) and its public preview."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive.models import Comment
from moderation import services
from moderation.models import Status
from moderation.queries import TOP_LEVEL_PER_CHUNK
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
    definition = factories.category(site, "personal-attack").definition  # shown on hover and focus
    assert f'<span class="tag-category" title="{definition}">Personal attack</span>' in html
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
    definition = factories.category(site, "personal-attack").definition  # shown on hover and focus
    assert f'<span class="tag-category" title="{definition}">Personal attack</span>' in html
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
    # session, user, permissions (2), article + site, the stretch's bounds, the current
    # policy, the stretch's comment ids, comments (with commenters, parents, states, last
    # decisions and their moderators), their tags, the decisions' reasons, the site's
    # categories for the controls, the people who may take an escalation, the thread's
    # comment count, the navigation's count of comments waiting
    with django_assert_num_queries(15):
        moderator_client.get(thread_url(small))
    with django_assert_num_queries(15):
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


def test_public_preview_counts_the_comments_readers_see(moderator_client, moderator, article):
    site = article.site
    factories.make_comment(article, "Published.")
    removed = factories.make_comment(article, "Removed, shown as removed.")
    services.decide(moderator, removed, Status.REMOVED, expected_version=0, reasons=[attack(site)])
    gone = factories.make_comment(article, "No longer on the page.")
    held, approved, held_removed = (
        factories.make_comment(article, text) for text in ("Held.", "Approved.", "Held, removed.")
    )
    Comment.objects.filter(pk=gone.pk).update(missing_from_source=True)
    Comment.objects.filter(pk__in=[held.pk, approved.pk, held_removed.pk]).update(
        source_status="held"
    )
    services.decide(moderator, approved, Status.APPROVED, expected_version=0)
    services.decide(
        moderator, held_removed, Status.REMOVED, expected_version=0, reasons=[attack(site)]
    )
    response = moderator_client.get(public_url(article))
    # published, removed (shown as removed) and held-then-approved; not the one gone from the
    # page, the held one or the held one removed
    assert response.context["comment_count"] == 3
    assert "3 comments" in response.content.decode()


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
    # session, user, permissions (2), article + site, the stretch's bounds, its comment ids,
    # comments, the removals' reasons, the count of comments readers see (two: those on the
    # page, less the held ones nobody approved), the navigation's count of comments waiting
    with django_assert_num_queries(12):
        moderator_client.get(public_url(small))
    with django_assert_num_queries(12):
        response = moderator_client.get(public_url(large))
    assert response.context["comment_count"] == 60


def test_an_unmoderated_thread_fetches_no_tags_or_decisions(
    researcher_client, site, django_assert_num_queries
):
    factories.make_thread(factories.make_article(site), 30, replies_each=2)
    article = factories.make_article(site)
    factories.make_thread(article, 30, replies_each=2)
    # session, user, permissions (2), article + site, the stretch's bounds, the current
    # policy, the stretch's comment ids, comments: no tags or decisions to fetch; the
    # thread's comment count
    with django_assert_num_queries(10):
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


# Long threads: a stretch at a time


def positions(response):
    return [b[0] for b in comment_blocks(response.content.decode())]


def long_thread(article, top_level=100, replies_each=1):
    return factories.make_thread(article, top_level, replies_each=replies_each)


def test_a_long_thread_shows_its_first_stretch_and_a_link_to_the_next(moderator_client, article):
    long_thread(article)
    response = moderator_client.get(thread_url(article))
    shown = positions(response)
    assert shown[:4] == ["1", "1.1", "2", "2.1"]
    assert len(shown) == 2 * TOP_LEVEL_PER_CHUNK  # 40 top-level comments and their replies
    html = response.content.decode()
    assert "200 comments" in html
    later = response.context["chunk"].later
    assert f'href="?from={later}" data-more>Show more comments</a>' in html
    assert "Show earlier comments" not in html
    assert "js/more.js" in html


def test_the_next_stretches_follow_on_and_lead_back(moderator_client, article):
    long_thread(article)
    first = moderator_client.get(thread_url(article))
    second = moderator_client.get(thread_url(article), {"from": first.context["chunk"].later})
    assert positions(second)[:2] == ["41", "41.1"]
    third = moderator_client.get(thread_url(article), {"from": second.context["chunk"].later})
    assert positions(third)[-2:] == ["100", "100.1"]
    assert "Show more comments" not in third.content.decode()
    back = third.context["chunk"].earlier
    assert f'href="?from={back}">Show earlier comments' in third.content.decode()
    assert positions(moderator_client.get(thread_url(article), {"from": back})) == positions(second)
    every = positions(first) + positions(second) + positions(third)
    assert every == [c.position for c in Comment.objects.filter(article=article)]


def test_a_deep_link_opens_the_stretch_that_holds_the_comment(moderator_client, article):
    made = long_thread(article)
    reply_of_73 = made[2 * 72 + 1]
    assert reply_of_73.position == "73.1"
    shown = positions(moderator_client.get(thread_url(article), {"at": reply_of_73.pk}))
    assert shown[:2] == ["73", "73.1"]
    assert shown[-1] == "100.1"  # from its top-level comment on, 40 at most


def test_a_stretch_alone_is_what_more_js_appends(moderator_client, article):
    long_thread(article)
    later = moderator_client.get(thread_url(article)).context["chunk"].later
    part = moderator_client.get(thread_url(article), {"from": later, "part": "1"})
    html = part.content.decode()
    assert "<html" not in html
    assert "<h2" not in html
    assert positions(part)[0] == "41"
    # Forms in it come back to the page, not to the bare stretch.
    assert f'name="next" value="/articles/{article.pk}/?from={later}#comment-' in html


def test_a_reply_of_a_long_thread_is_never_lost_between_stretches(moderator_client, article):
    made = long_thread(article, top_level=45, replies_each=0)
    late_reply = factories.make_comment(article, "Late reply", parent=made[0])  # stored last
    first = moderator_client.get(thread_url(article))
    second = moderator_client.get(thread_url(article), {"from": first.context["chunk"].later})
    assert (positions(first) + positions(second)).count(late_reply.position) == 1
    at = moderator_client.get(thread_url(article), {"at": late_reply.pk})
    assert late_reply.position in positions(at)


def test_the_public_preview_of_a_long_thread_comes_in_stretches_too(moderator_client, article):
    long_thread(article)
    response = moderator_client.get(public_url(article))
    assert len(positions(response)) == 2 * TOP_LEVEL_PER_CHUNK
    assert "200 comments" in response.content.decode()
    later = response.context["chunk"].later
    rest = moderator_client.get(public_url(article), {"from": later, "part": "1"})
    assert positions(rest)[0] == "41"


def test_a_long_thread_costs_the_same_queries_and_rows_as_a_short_one(
    moderator_client, moderator, site
):
    short, long = factories.make_article(site), factories.make_article(site)
    for article, top_level in ((short, 3), (long, 300)):
        made = factories.make_thread(article, top_level, replies_each=2)
        services.tag(moderator, made[1], attack(site))
    counts = []
    for article in (short, long):
        with CaptureQueriesContext(connection) as queries:
            response = moderator_client.get(thread_url(article))
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert len(positions(response)) == 3 * TOP_LEVEL_PER_CHUNK
