"""`/articles/`: the article list, with how many of each article's comments are pending and
escalated, sortable by either, each count a link to that article's queue for moderators.

Served here, ahead of archive's own `archive:article_list` (moderation's URLs come first in
`moderation/urls.py`, as for the thread page), because the counts are moderation's: the
archive never imports moderation, so its view stays as it was, the published record's own
list, and this one adds moderation's columns to the same filters and the same pages. The
counts are read from the counters `services.queue_counts` keeps (`ArticleQueue`), so the
page costs the same queries at a hundred comments as at a million.

Every role reads the list, as before (the archive's own permission); every role sees the
counts too (each reads the threads, whose comments show their status); only moderators
get the links to the queue, which only they may open.
"""

from django.core.paginator import Paginator
from django.shortcuts import render

from archive.models import count_comments
from moderation import permissions, queries
from moderation.filters import ArticleQueueFilter

ARTICLES_PER_PAGE = 50


@permissions.require(permissions.VIEW_ARTICLES)
def article_list(request):
    articles = ArticleQueueFilter(request.GET, queryset=queries.articles_with_queue_counts())
    page = Paginator(articles.qs, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    count_comments(page.object_list)
    return render(
        request,
        "moderation/article_list.html",
        {
            "filter": articles,
            "page": page,
            "queue_links": permissions.can(request.user, permissions.MODERATE),
        },
    )
