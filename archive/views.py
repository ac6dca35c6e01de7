"""Article list and thread pages: what was published, as the page showed it."""

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from archive.filters import ArticleFilter
from archive.models import Article, Comment

ARTICLES_PER_PAGE = 50
# Every role may read the published record; an account without a role may not.
can_read = permission_required("archive.view_article", raise_exception=True)


@can_read
def article_list(request):
    articles = ArticleFilter(request.GET, queryset=Article.objects.with_comment_counts())
    page = Paginator(articles.qs, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "archive/article_list.html",
        {"filter": articles, "page": page, "query": query.urlencode()},
    )


@can_read
def thread(request, pk):
    article = get_object_or_404(Article.objects.select_related("site"), pk=pk)
    comments = list(Comment.objects.for_thread(article))
    return render(
        request,
        "archive/thread.html",
        {"article": article, "comments": thread_order(comments), "comment_count": len(comments)},
    )


def thread_order(comments: list[Comment]) -> list[Comment]:
    """Comments in reading order, each reply right after its parent and earlier replies, with
    `.depth` set from the tree (robust even if stored order and positions disagree)."""
    by_parent: dict[int | None, list[Comment]] = {}
    ids = {c.pk for c in comments}
    for comment in comments:  # already in thread_order
        parent = comment.parent_id if comment.parent_id in ids else None
        by_parent.setdefault(parent, []).append(comment)
    ordered: list[Comment] = []
    stack = [(c, 0) for c in reversed(by_parent.get(None, []))]
    while stack:
        comment, depth = stack.pop()
        comment.tree_depth = depth
        ordered.append(comment)
        stack.extend((reply, depth + 1) for reply in reversed(by_parent.get(comment.pk, [])))
    return ordered
