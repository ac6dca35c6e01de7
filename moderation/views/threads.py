"""`/articles/<id>/`: a thread as published, with each comment's moderation state (and, for
moderators, the controls to change it), and `/articles/<id>/public/`: the thread as readers
see it after moderation.

A thread is shown a stretch at a time (`queries.thread_chunk`: whole top-level comments
with their replies), so a 5,000-comment article costs what a short one does: `?from=` names a
stretch, `?at=<comment id>` the stretch holding that comment (deep links), and `?part=1`
answers with the stretch alone, which static/js/more.js appends to the page.
"""

from django.shortcuts import get_object_or_404, render

from archive.models import Article, SourceStatus, thread_order
from moderation import permissions, protocol, queries, services
from moderation.models import Status


@permissions.require(permissions.VIEW_THREADS)
def thread(request, pk):
    """The published page, plus what moderation decided."""
    article = _article(pk)
    chunk = _chunk(request, article)
    comments = queries.thread_comments(article, chunk, tags=True)
    controls = permissions.can(request.user, permissions.MODERATE)
    queries.prepare(comments, categories=controls)
    return _render(
        request,
        "moderation/thread.html",
        "moderation/_thread_chunk.html",
        {
            "article": article,
            "policy": services.current_policy(article.site),
            "chunk": chunk,
            "comments": comments,
            "comment_count": article.comments.count(),
            "controls": controls,
            "undo": protocol.undo_offer(request, shown=[c.pk for c in comments]),
        },
    )


@permissions.require(permissions.VIEW_THREADS)
def public(request, pk):
    """What a reader sees once moderation is applied: removed comments say why, comments the
    source held (never published) stay hidden until approved, comments no longer on the
    source page are gone, the rest show as published."""
    article = _article(pk)
    chunk = _chunk(request, article)
    shown = []
    for comment in queries.thread_comments(article, chunk, tags=False):
        held = comment.source_status == SourceStatus.HELD
        if (held and comment.status != Status.APPROVED) or comment.missing_from_source:
            continue
        comment.removed_for = None
        if comment.status == Status.REMOVED:
            decision = comment.moderation.decision
            comment.removed_for = ", ".join(r.name for r in decision.reasons.all())
        shown.append(comment)
    return _render(
        request,
        "moderation/public.html",
        "moderation/_public_chunk.html",
        {
            "article": article,
            "chunk": chunk,
            "comments": thread_order(shown),
            "comment_count": queries.public_count(article),
        },
    )


def _article(pk):
    return get_object_or_404(Article.objects.select_related("site"), pk=pk)


def _chunk(request, article) -> queries.Chunk:
    def number(name):
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() else None

    return queries.thread_chunk(article, start=number("from"), at=number("at"))


def _render(request, page, part, context):
    """The whole page, or (`?part=1`) the stretch alone. Forms on it come back to the page."""
    params = request.GET.copy()
    params.pop("part", None)
    context["next"] = request.path + (f"?{params.urlencode()}" if params else "")
    return render(request, part if request.GET.get("part") else page, context)
