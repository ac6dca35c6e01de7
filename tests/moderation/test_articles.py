"""/articles/: each article with its pending and escalated counts, sorted by either, read from
counters (`ArticleQueue`) that every write of a state keeps equal to a fresh count: decisions,
undo, bulk actions, imports, single comments, fixtures; `recount_queues` finds and fixes a
counter that is not."""

import importlib
import io
import re

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from archive import views as archive_views
from archive.models import Article
from moderation import services
from moderation.models import ArticleQueue, Status
from moderation.services import queue_counts
from tests import factories
from tests.conftest import PAGES

pytestmark = pytest.mark.django_db

URL = "/articles/"


def attack(site):
    return factories.category(site, "personal-attack")


def kept() -> dict[int, tuple[int, int]]:
    """The counters, {article: (pending, escalated)}, zeros left out."""
    return {
        a: (p, e)
        for a, p, e in ArticleQueue.objects.values_list("article", "pending", "escalated")
        if p or e
    }


def fresh() -> dict[int, tuple[int, int]]:
    """The same, counted from the states now."""
    return {a: (c["pending"], c["escalated"]) for a, c in queue_counts.counted().items()}


def assert_counters_are_a_fresh_count():
    assert kept() == fresh()
    assert queue_counts.recount(fix=False) == []


def rows(html) -> list[tuple[str, str, str, str]]:
    """(title, comments, pending, escalated) of each row of the list, in page order."""
    return re.findall(
        r'<tr>\s*<td><a href="/articles/\d+/">([^<]*)</a></td>.*?'
        r'data-label="Comments">(\d+)</td>\s*'
        r'<td class="num" data-label="Pending">(?:<a [^>]*>)?(\d+)(?:</a>)?</td>\s*'
        r'<td class="num" data-label="Escalated">(?:<a [^>]*>)?(\d+)(?:</a>)?</td>',
        html,
        re.S,
    )


@pytest.fixture
def three(site, moderator):
    """Three articles: "Quiet" (2 comments, one approved), "Busy" (4 pending), "Heated"
    (3 comments: 1 pending, 2 escalated), published in that order (Heated newest)."""
    from datetime import UTC, datetime

    made = {}
    for day, (title, n) in enumerate([("Quiet", 2), ("Busy", 4), ("Heated", 3)], 1):
        article = factories.make_article(
            site, title=title, published_at=datetime(2025, 1, day, tzinfo=UTC)
        )
        made[title] = (article, factories.make_thread(article, n))
    services.decide(moderator, made["Quiet"][1][0], Status.APPROVED, expected_version=0)
    for comment in made["Heated"][1][:2]:
        services.decide(moderator, comment, Status.ESCALATED, expected_version=0)
    return {title: article for title, (article, _) in made.items()}


# The page


def test_the_list_shows_comments_pending_and_escalated_for_each_article(researcher_client, three):
    html = researcher_client.get(URL).content.decode()
    assert rows(html) == [
        ("Heated", "3", "1", "2"),
        ("Busy", "4", "4", "0"),
        ("Quiet", "2", "1", "0"),
    ]


def test_researchers_see_the_counts_without_links_to_the_queue(researcher_client, three):
    html = researcher_client.get(URL).content.decode()
    assert "/queue/" not in html.split("<table")[1]


def test_moderators_follow_a_count_to_the_articles_queue(moderator_client, three):
    heated = three["Heated"]
    html = moderator_client.get(URL).content.decode()
    assert f'href="/queue/?article={heated.pk}"' in html
    assert f'href="/queue/?article={heated.pk}&amp;status=escalated"' in html
    # No link where there is nothing to see (Busy has no escalation).
    assert f"?article={three['Busy'].pk}&amp;status=escalated" not in html
    queue = moderator_client.get("/queue/", {"article": heated.pk, "status": "escalated"})
    assert queue.status_code == 200
    assert len(queue.context["rows"]) == 2


def test_the_list_sorts_by_most_pending(researcher_client, three):
    response = researcher_client.get(URL, {"order": "pending"})
    # Quiet and Heated have one each: the older article (the lower id) first.
    assert [a.title for a in response.context["page"].object_list] == ["Busy", "Quiet", "Heated"]


def test_the_list_sorts_by_most_escalated_then_by_article(researcher_client, three):
    response = researcher_client.get(URL, {"order": "escalated"})
    # Busy and Quiet have none: the older article (the lower id) first.
    assert [a.title for a in response.context["page"].object_list] == ["Heated", "Quiet", "Busy"]


def test_newest_published_is_the_default_order_and_a_choice(researcher_client, three):
    expected = ["Heated", "Busy", "Quiet"]
    for params in ({}, {"order": "published"}, {"order": "no-such-order"}):
        response = researcher_client.get(URL, params)
        assert [a.title for a in response.context["page"].object_list] == expected


def test_an_order_keeps_the_filters(researcher_client, three):
    other = factories.make_site("Other news")
    factories.make_thread(factories.make_article(other, title="Elsewhere"), 9)
    response = researcher_client.get(URL, {"order": "pending", "site": three["Busy"].site_id})
    assert [a.title for a in response.context["page"].object_list] == ["Busy", "Quiet", "Heated"]
    response = researcher_client.get(URL, {"order": "pending", "q": "heat"})
    assert [a.title for a in response.context["page"].object_list] == ["Heated"]


def test_an_article_without_comments_shows_zeros_and_sorts_last(researcher_client, three):
    empty = factories.make_article(three["Busy"].site, title="Silent")
    response = researcher_client.get(URL, {"order": "pending"})
    listed = list(response.context["page"].object_list)
    assert listed[-1] == empty
    assert (listed[-1].pending, listed[-1].escalated) == (0, 0)
    assert ("Silent", "0", "0", "0") in rows(response.content.decode())


def test_the_sorted_list_is_paginated(researcher_client, site):
    for i in range(51):
        factories.make_thread(factories.make_article(site, title=f"Story {i:02d}"), i % 3)
    first = researcher_client.get(URL, {"order": "pending"})
    second = researcher_client.get(URL, {"order": "pending", "page": 2})
    listed = [*first.context["page"].object_list, *second.context["page"].object_list]
    assert len(first.context["page"].object_list) == 50
    assert len(listed) == len({a.pk for a in listed}) == 51
    assert [a.pending for a in listed] == sorted((a.pending for a in listed), reverse=True)
    assert 'href="?order=pending&amp;page=2"' in first.content.decode()


def test_the_empty_states_are_kept(researcher_client, db):
    assert "No articles yet." in researcher_client.get(URL).content.decode()
    html = researcher_client.get(URL, {"q": "nothing", "order": "pending"}).content.decode()
    assert "No article matches these filters." in html


def test_the_rows_stack_on_a_phone_each_number_labelled(researcher_client, three):
    html = researcher_client.get(URL).content.decode()
    assert '<table class="list stack articles">' in html
    for label in ("Comments", "Pending", "Escalated"):
        assert html.count(f'data-label="{label}"') == 3


def test_the_archives_own_list_is_intact(researcher, three):
    """Moderation's list serves /articles/; the archive's view, which knows nothing of the
    queue, still works as it did (the archive's own page, for the archive's own sake)."""
    request = RequestFactory().get(URL)
    request.user = researcher
    response = archive_views.article_list(request)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Heated" in html
    assert "Pending" not in html


# A constant number of queries, whatever the number of articles and comments.


@pytest.mark.parametrize("order", ["published", "pending", "escalated"])
def test_the_query_count_does_not_grow_with_the_articles(
    researcher_client, site, moderator, django_assert_num_queries, order
):
    article = factories.make_article(site)
    factories.make_thread(article, 2)
    # session, user, user's and groups' permissions, the sites for the filter's menu, the
    # count, the page of articles with their counters (one join), their comment counts
    with django_assert_num_queries(8):
        researcher_client.get(URL, {"order": order})
    for i in range(60):
        more = factories.make_article(factories.make_site(f"Site {i % 5}"))
        comments = factories.make_thread(more, 2)
        services.decide(moderator, comments[0], Status.ESCALATED, expected_version=0)
    with django_assert_num_queries(8):
        response = researcher_client.get(URL, {"order": order})
    assert len(response.context["page"].object_list) == 50


def test_a_moderators_page_costs_the_same_at_two_sizes(
    moderator_client, site, moderator, django_assert_num_queries
):
    factories.make_thread(factories.make_article(site), 2)
    # a researcher's eight, and the navigation's capped count of pending comments (a plain
    # capped count: no parallel-plan settings around it, on PostgreSQL either)
    with django_assert_num_queries(9):
        moderator_client.get(URL, {"order": "pending"})
    for _ in range(60):
        factories.make_thread(factories.make_article(site), 3)
    with django_assert_num_queries(9):
        response = moderator_client.get(URL, {"order": "pending"})
    assert len(response.context["page"].object_list) == 50


# The counters follow every write of a state


def test_counters_follow_new_comments_and_decisions(site, article, moderator):
    comments = factories.make_thread(article, 4)
    assert kept() == {article.pk: (4, 0)}
    services.decide(moderator, comments[0], Status.ESCALATED, expected_version=0)
    services.decide(
        moderator, comments[1], Status.REMOVED, expected_version=0, reasons=[attack(site)]
    )
    assert kept() == {article.pk: (2, 1)}
    services.decide(moderator, comments[0], Status.APPROVED, expected_version=1, note="Fine.")
    services.decide(moderator, comments[1], Status.PENDING, expected_version=1)
    assert kept() == {article.pk: (3, 0)}
    assert_counters_are_a_fresh_count()


def test_undo_puts_the_counts_back(article, moderator):
    comment = factories.make_comment(article, "Hm.")
    decision = services.decide(moderator, comment, Status.ESCALATED, expected_version=0)
    assert kept() == {article.pk: (0, 1)}
    services.undo(moderator, decision.audit_event)
    assert kept() == {article.pk: (1, 0)}
    assert_counters_are_a_fresh_count()


def test_bulk_actions_move_every_comment_they_decide(moderator_client, site, article):
    other = factories.make_article(site, title="Other")
    mine = factories.make_thread(article, 3)
    theirs = factories.make_thread(other, 2)
    pairs = ",".join(f"{c.pk}:0" for c in [*mine[:2], theirs[0]])
    moderator_client.post(
        reverse("moderation:bulk"), {"action": "escalate", "comments": pairs, "next": "/queue/"}
    )
    assert kept() == {article.pk: (1, 2), other.pk: (1, 1)}
    pairs = ",".join(f"{c.pk}:1" for c in [*mine[:2], theirs[0]])
    moderator_client.post(
        reverse("moderation:bulk"),
        {"action": "remove", "comments": pairs, "reasons": [attack(site).pk], "next": "/queue/"},
    )
    assert kept() == {article.pk: (1, 0), other.pk: (1, 0)}
    assert_counters_are_a_fresh_count()


def test_a_refused_decision_changes_no_count(article, moderator, other_moderator):
    comment = factories.make_comment(article, "Hm.")
    services.decide(moderator, comment, Status.ESCALATED, expected_version=0)
    with pytest.raises(services.Conflict):
        services.decide(other_moderator, comment, Status.APPROVED, expected_version=0)
    assert kept() == {article.pk: (0, 1)}


def test_an_import_counts_its_comments_once_and_a_reimport_adds_nothing(moderator):
    page = PAGES / "001_c063493f46c78712.txt"
    call_command("import_pages", page, verbosity=0)
    article = Article.objects.get()
    assert kept() == {article.pk: (12, 0)}
    first = article.comments.order_by("thread_order").first()
    services.decide(moderator, first, Status.ESCALATED, expected_version=0)
    call_command("import_pages", page, verbosity=0)
    assert kept() == {article.pk: (11, 1)}
    assert_counters_are_a_fresh_count()


def test_a_dry_run_import_counts_nothing(db):
    call_command("import_pages", PAGES / "001_c063493f46c78712.txt", dry_run=True, verbosity=0)
    assert not ArticleQueue.objects.exists()


def test_the_seed_fixtures_come_with_their_counts(seeds):
    assert kept()
    assert_counters_are_a_fresh_count()


def test_everything_at_once_leaves_the_counters_equal_to_a_fresh_count(
    moderator_client, moderator, other_moderator, site
):
    call_command("import_pages", *sorted(PAGES.glob("*.txt")), site="Asbarez", verbosity=0)
    articles = list(Article.objects.all())
    for n, article in enumerate(articles):
        comments = list(article.comments.order_by("thread_order"))
        factories.make_comment(article, "A late one.")  # saved on its own
        if not comments:
            continue
        decision = services.decide(moderator, comments[0], Status.ESCALATED, expected_version=0)
        if n % 2:
            services.undo(moderator, decision.audit_event)
        pairs = ",".join(f"{c.pk}:0" for c in comments[1:4])
        action = "approve" if n % 3 else "escalate"
        moderator_client.post(reverse("moderation:bulk"), {"action": action, "comments": pairs})
    assert_counters_are_a_fresh_count()


# Recounting


def recount(*args) -> str:
    out = io.StringIO()
    call_command("recount_queues", *args, stdout=out)
    return out.getvalue()


def test_recount_finds_nothing_when_the_counters_are_right(article):
    factories.make_thread(article, 3)
    assert "Every article's queue counts are right." in recount("--dry-run")


def test_recount_reports_a_wrong_counter_and_a_dry_run_leaves_it(article):
    factories.make_thread(article, 3)
    ArticleQueue.objects.filter(pk=article.pk).update(pending=7, escalated=1)
    out = recount("--dry-run")
    assert f"article {article.pk}: 7 pending, 1 escalated, counted 3 pending, 0 escalated" in out
    assert "1 article(s) differ; nothing was changed." in out
    assert kept() == {article.pk: (7, 1)}


def test_recount_fixes_a_wrong_counter_and_makes_a_missing_one(site, article):
    factories.make_thread(article, 3)
    other = factories.make_article(site)
    factories.make_thread(other, 2)
    ArticleQueue.objects.filter(pk=article.pk).update(pending=0)
    ArticleQueue.objects.filter(pk=other.pk).delete()
    out = recount()
    assert f"article {other.pk}: no counters, counted 2 pending, 0 escalated" in out
    assert "Fixed 2 article(s)." in out
    assert kept() == {article.pk: (3, 0), other.pk: (2, 0)}


def test_a_decision_on_an_article_without_a_counter_counts_it_afresh(article, moderator):
    comments = factories.make_thread(article, 3)
    ArticleQueue.objects.all().delete()
    services.decide(moderator, comments[0], Status.ESCALATED, expected_version=0)
    assert kept() == {article.pk: (2, 1)}


def test_the_migration_fills_the_counters_from_the_states(site, article, moderator):
    from django.apps import apps

    fill = importlib.import_module("moderation.migrations.0015_article_queue").fill
    other = factories.make_article(site)
    factories.make_article(site)  # no comments: no counters needed
    comments = factories.make_thread(article, 3)
    factories.make_thread(other, 1)
    services.decide(moderator, comments[0], Status.ESCALATED, expected_version=0)
    services.decide(moderator, comments[1], Status.APPROVED, expected_version=0)
    ArticleQueue.objects.all().delete()
    fill(apps, None)
    assert kept() == {article.pk: (1, 1), other.pk: (1, 0)}
    assert ArticleQueue.objects.count() == 2
