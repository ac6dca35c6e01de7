"""`/articles/`: the list of what was published. An article's thread (`/articles/<id>/`) is
served by moderation's thread view, which shows it as the page showed it plus what
moderation decided (see docs/decisions.md)."""

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import render

from archive.filters import ArticleFilter
from archive.models import Article, count_comments

ARTICLES_PER_PAGE = 50


# Every role may read the published record; an account without a role may not.
@permission_required("archive.view_article", raise_exception=True)
def article_list(request):
    articles = ArticleFilter(request.GET, queryset=Article.objects.for_list())
    page = Paginator(articles.qs, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    count_comments(page.object_list)
    return render(request, "archive/article_list.html", {"filter": articles, "page": page})
