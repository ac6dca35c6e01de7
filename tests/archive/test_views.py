"""The article list and the thread page."""

import re

from django.urls import reverse

from archive.models import Article, Comment
from tests import factories


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    article = factories.make_article()
    for url in (reverse("archive:article_list"), reverse("moderation:thread", args=[article.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"


def test_home_leads_to_the_articles(researcher_client):
    response = researcher_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("archive:article_list")


def test_article_list_shows_each_article_with_its_comment_count(researcher_client, seeds):
    response = researcher_client.get(reverse("archive:article_list"))
    assert response.status_code == 200
    html = response.content.decode()
    for article in Article.objects.all():
        row = re.search(
            rf'<a href="/articles/{article.pk}/">[^<]*</a></td>.*?<td class="num"[^>]*>(\d+)</td>',
            html,
            re.S,
        )
        assert row, article.title
        assert int(row[1]) == article.comments.count()
    assert "Putin Finally Reveals His Solution to the Artsakh Conflict" in html


def test_article_list_filters_by_site(researcher_client, seeds):
    wix = Article.objects.get(site__name="The Armenian Report")
    response = researcher_client.get(reverse("archive:article_list"), {"site": wix.site_id})
    assert list(response.context["page"].object_list) == [wix]


def test_article_list_searches_titles(researcher_client, seeds):
    response = researcher_client.get(reverse("archive:article_list"), {"q": "brutal crimes"})
    titles = [a.title for a in response.context["page"].object_list]
    assert titles == ["Putin Says Karabakh Conflict Started with ‘Brutal Crimes’ against Armenians"]


def test_article_list_says_when_nothing_matches(researcher_client, seeds):
    response = researcher_client.get(reverse("archive:article_list"), {"q": "no-such-words"})
    assert "No article matches these filters." in response.content.decode()


def test_article_list_is_paginated(researcher_client, db):
    site = factories.make_site()
    for i in range(51):
        factories.make_article(site, title=f"Story {i:02d}")
    first = researcher_client.get(reverse("archive:article_list"))
    second = researcher_client.get(reverse("archive:article_list"), {"page": 2})
    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 1
    assert "Page 1 of 2" in first.content.decode()


def comment_blocks(html):
    """(position, depth, author) for each comment on a thread page, in page order."""
    return re.findall(
        r'data-position="([\d.]+)" data-depth="(\d+)">\s*<header>\s*'
        r'<span class="position">[\d.]+\.</span>\s*<span class="author[^"]*">([^<]*)</span>',
        html,
    )


def test_thread_shows_the_whole_tree_as_the_page_did(researcher_client, seeds):
    article = Article.objects.get(source_key="001_c063493f46c78712")
    response = researcher_client.get(reverse("moderation:thread", args=[article.pk]))
    html = response.content.decode()
    blocks = comment_blocks(html)
    assert [b[0] for b in blocks] == [
        "1", "2", "2.1", "3", "4", "5", "6", "7", "8", "9", "10", "11",
    ]  # fmt: skip
    assert blocks[1] == ("2", "0", "Vartan")
    assert blocks[2] == ("2.1", "1", "Barséghian Ardachèce")
    assert "12 comments" in html
    assert "Putin Finally Reveals His Solution to the Artsakh Conflict" in html
    assert "By Harut Sassounian" in html
    assert "Asbarez reserves the right to block users" in html  # the policy, for reference


def test_thread_shows_anonymous_comments_and_empty_ones(researcher_client, seeds):
    anonymous = Article.objects.get(source_key="002_e39c42383e3c8fa6")
    html = researcher_client.get(reverse("moderation:thread", args=[anonymous.pk])).content.decode()
    assert [b[2] for b in comment_blocks(html)] == ["Anonymous"] * 6
    herayer = Article.objects.get(source_key="001_c063493f46c78712")
    html = researcher_client.get(reverse("moderation:thread", args=[herayer.pk])).content.decode()
    assert "(no text)" in html


def test_thread_keeps_the_poems_lines(researcher_client, seeds):
    article = Article.objects.get(source_key="004_b01ea09c9e7a5141")
    html = researcher_client.get(reverse("moderation:thread", args=[article.pk])).content.decode()
    assert "<p>Our Brave Mothers,<br>\nWho brought Brave Sons,<br>" in html
    assert "Mothers &amp; their Heroes" in html


def test_thread_renders_stored_html_not_raw_text(researcher_client, db):
    article = factories.make_article()
    comment = factories.make_comment(article, "x")
    # The stored, sanitized HTML is what is shown; nothing is re-sanitized per request.
    Comment.objects.filter(pk=comment.pk).update(body_html="<p><b>stored</b></p>")
    html = researcher_client.get(reverse("moderation:thread", args=[article.pk])).content.decode()
    assert "<p><b>stored</b></p>" in html


def test_thread_shows_held_comments_as_held(researcher_client, db):
    article = factories.make_article()
    comment = factories.make_comment(article, "Waiting.")
    Comment.objects.filter(pk=comment.pk).update(source_status="held")
    html = researcher_client.get(reverse("moderation:thread", args=[article.pk])).content.decode()
    assert 'class="badge held"' in html


def test_thread_of_an_unknown_article_is_404(researcher_client, db):
    assert researcher_client.get(reverse("moderation:thread", args=[999999])).status_code == 404


def test_thread_with_no_comments_says_so(researcher_client, seeds):
    article = Article.objects.get(source_key="000_902d555832b6c3e9")
    html = researcher_client.get(reverse("moderation:thread", args=[article.pk])).content.decode()
    assert "No comments on this article." in html


def test_a_reply_whose_parent_comes_later_still_nests_under_it(researcher_client, db):
    article = factories.make_article()
    parent = factories.make_comment(article, "Parent")
    reply = factories.make_comment(article, "Reply", parent=parent)
    Comment.objects.filter(pk=parent.pk).update(thread_order=5)  # stored order disagrees
    html = researcher_client.get(reverse("moderation:thread", args=[article.pk])).content.decode()
    assert [(b[0], b[1]) for b in comment_blocks(html)] == [("1", "0"), (reply.position, "1")]


# A page's query count must not grow with the rows it shows.


def test_article_list_query_count_is_constant(researcher_client, db, django_assert_num_queries):
    site = factories.make_site()
    factories.make_thread(factories.make_article(site), 2)
    url = reverse("archive:article_list")
    # session, user, user's and groups' permissions (navigation), the sites for the filter's
    # menu, the count, the page of articles, their comment counts
    with django_assert_num_queries(8):
        researcher_client.get(url)
    for _ in range(40):
        factories.make_thread(factories.make_article(factories.make_site(f"Site {_}")), 2)
    with django_assert_num_queries(8):
        response = researcher_client.get(url)
    assert len(response.context["page"].object_list) == 41


def test_thread_query_count_is_constant(researcher_client, db, django_assert_num_queries):
    small = factories.make_article()
    factories.make_thread(small, 1)
    large = factories.make_article(small.site)
    factories.make_thread(large, 30, replies_each=3)
    # session, user, permissions (2), article + site, the stretch's bounds, the site's
    # current policy, the stretch's comment ids, comments with their commenters, the
    # thread's comment count
    with django_assert_num_queries(10):
        researcher_client.get(reverse("moderation:thread", args=[small.pk]))
    with django_assert_num_queries(10):
        response = researcher_client.get(reverse("moderation:thread", args=[large.pk]))
    assert response.context["comment_count"] == 120
