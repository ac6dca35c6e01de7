"""`/articles/<id>/`: a thread as published, with each comment's moderation state (and, for
moderators, the controls to change it), and `/articles/<id>/public/`: the thread as readers
see it after moderation. Both take the same number of queries whatever the number of
comments.
"""

from django.shortcuts import get_object_or_404, render

from archive.models import Article, SourceStatus, thread_order
from moderation import permissions, protocol, queries, services
from moderation.models import Status


@permissions.require(permissions.VIEW_THREADS)
def thread(request, pk):
    """The published page, plus what moderation decided."""
    article = _article(pk)
    comments = queries.thread_comments(article, tags=True)
    controls = permissions.can(request.user, permissions.MODERATE)
    queries.prepare(comments, categories=controls)
    return render(
        request,
        "moderation/thread.html",
        {
            "article": article,
            "policy": services.current_policy(article.site),
            "comments": comments,
            "comment_count": len(comments),
            "controls": controls,
            "next": request.get_full_path(),
            "undo": protocol.undo_offer(request),
        },
    )


@permissions.require(permissions.VIEW_THREADS)
def public(request, pk):
    """What a reader sees once moderation is applied: removed comments say why, comments the
    source held (never published) stay hidden until approved, comments no longer on the
    source page are gone, the rest show as published."""
    article = _article(pk)
    shown = []
    for comment in queries.thread_comments(article, tags=False):
        held = comment.source_status == SourceStatus.HELD
        if (held and comment.status != Status.APPROVED) or comment.missing_from_source:
            continue
        comment.removed_for = None
        if comment.status == Status.REMOVED:
            decision = comment.moderation.decision
            comment.removed_for = ", ".join(r.name for r in decision.reasons.all())
        shown.append(comment)
    shown = thread_order(shown)
    return render(
        request,
        "moderation/public.html",
        {"article": article, "comments": shown, "comment_count": len(shown)},
    )


def _article(pk):
    return get_object_or_404(Article.objects.select_related("site"), pk=pk)
