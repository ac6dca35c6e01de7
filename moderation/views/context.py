"""`/comments/<id>/context/`: a comment in its thread (parent, neighbours, first replies) and
its commenter's record (comments, removals by category, block, latest notes, with the forms
to block and annotate), so a moderator can judge a queue row without leaving the queue.

The queue opens it in a side panel (keyboard `c`, static/js/panel.js), asking with
`?panel=1` for the panel's markup alone; without JavaScript each row links to it as a page.
Its forms post to the commenter views, which come back to the queue row (`next`).
"""

from django.shortcuts import get_object_or_404, render

from archive.models import Comment
from moderation import permissions, protocol, queries
from moderation.forms import BlockForm, NoteForm, UnblockForm
from moderation.history import comment_url


@permissions.require(permissions.MODERATE)
def comment_context(request, pk):
    comment = get_object_or_404(
        queries.with_status(Comment.objects.select_related(
            "article__site", "parent__commenter", "commenter__record"
        )),
        pk=pk,
    )  # fmt: skip
    back = protocol.safe_next(request, request.GET.get("next", ""), comment_url(comment))
    context = {
        "comment": comment,
        "thread_url": comment_url(comment),
        "thread": queries.comment_context(comment),
        "record": queries.commenter_summary(comment.commenter) if comment.commenter else None,
        "block_form": BlockForm(),
        "unblock_form": UnblockForm(),
        "note_form": NoteForm(),
        "next": back,
    }
    panel = request.GET.get("panel") == "1"
    template = "moderation/_context_panel.html" if panel else "moderation/context.html"
    return render(request, template, context)
