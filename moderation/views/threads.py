"""`/articles/<id>/`: a thread as published, with each comment's moderation state (and, for
moderators, the controls to change it), and `/articles/<id>/public/`: the thread as readers
see it after moderation. Both build on the archive's thread ordering and take the same
number of queries whatever the number of comments.
"""

from django.db.models import Exists, OuterRef, Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404, render

from archive import views as archive_views
from archive.models import Article, Comment, SourceStatus
from moderation import permissions, queries
from moderation.models import Status, Tag
from moderation.views.queue import UNDO_SESSION_KEY, prepare


@permissions.require(permissions.VIEW_THREADS)
def thread(request, pk):
    """The same URL as `archive:thread`: the published page, plus what moderation decided."""
    article = _article(pk)
    comments = _comments(article, tags=True)
    controls = permissions.can(request.user, permissions.MODERATE)
    prepare(comments, categories=controls)
    policy = article.site.policies.order_by("-version").first()
    return render(
        request,
        "moderation/thread.html",
        {
            "article": article,
            "policy": policy,
            "comments": comments,
            "comment_count": len(comments),
            "controls": controls,
            "next": request.get_full_path(),
            "undo": request.session.get(UNDO_SESSION_KEY),
        },
    )


@permissions.require(permissions.VIEW_THREADS)
def public(request, pk):
    """What a reader sees once moderation is applied: removed comments say why, comments the
    source held (never published) stay hidden until approved, comments no longer on the
    source page are gone, the rest show as published."""
    article = _article(pk)
    shown = []
    for comment in _comments(article, tags=False):
        held = comment.source_status == SourceStatus.HELD
        if (held and comment.status != Status.APPROVED) or comment.missing_from_source:
            continue
        comment.removed_for = None
        if comment.status == Status.REMOVED:
            decision = comment.moderation.decision
            comment.removed_for = ", ".join(r.name for r in decision.reasons.all())
        shown.append(comment)
    shown = archive_views.thread_order(shown)
    return render(
        request,
        "moderation/public.html",
        {"article": article, "comments": shown, "comment_count": len(shown)},
    )


def _article(pk):
    return get_object_or_404(Article.objects.select_related("site"), pk=pk)


def _comments(article, *, tags: bool) -> list[Comment]:
    """The article's comments in reading order with what queries.for_queue gives a queue row,
    except that tags (and removal reasons) are fetched only when some comment has any: a
    thread nobody has moderated yet costs what the archive's page costs."""
    comments = queries.with_status(
        Comment.objects.filter(article=article)
        .select_related("article__site", "commenter", "parent", "moderation__decision__moderator")
        .annotate(
            commenter_removals=queries.prior_removals(),
            commenter_blocked=queries.blocked(),
            tagged=Exists(Tag.objects.current().filter(comment=OuterRef("pk"))),
        )
        .order_by("thread_order")
    )
    comments = list(comments)
    if tags:
        tagged = [c for c in comments if c.tagged]
        current = Tag.objects.current().select_related("category", "moderator")
        prefetch_related_objects(tagged, Prefetch("tags", queryset=current, to_attr="current_tags"))
        for comment in comments:
            if not comment.tagged:
                comment.current_tags = []
    prefetch_related_objects(comments, "moderation__decision__reasons")
    return archive_views.thread_order(comments)
