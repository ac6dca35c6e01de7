"""`/audit/`: the audit history; `/comments/<id>/history/`: one comment's own history.

Read only. `moderation.history` turns events into rows people read.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404, render

from archive.models import Comment
from moderation import audit, checkpoints, pagination, permissions, queries
from moderation.filters import AuditFilter
from moderation.history import ADMIN_ONLY, describe
from moderation.models import AuditEvent

EVENTS_PER_PAGE = 50


@permissions.require(permissions.VIEW_AUDIT)
def audit_list(request):
    events = AuditFilter(request.GET, queryset=AuditEvent.objects.all())
    # Unfiltered, a page is an unbroken stretch of the chain: each row can be checked against
    # the one below it too. Filtered, only each row against its own hash.
    unfiltered = events.form.is_valid() and not any(events.form.cleaned_data.values())
    listed = events.qs
    if not unfiltered and not permissions.can(request.user, permissions.EDIT_POLICY):
        # Filtered, a list is no stretch of the chain: Admins' events are left out (an
        # unfiltered page lists them without their content, see history.describe).
        listed = listed.exclude(action__in=ADMIN_ONLY)
    cursor = queries.cursor(request.GET, lambda pk: (pk,))  # newest first, by id
    page = pagination.keyset_page(
        listed,
        [("id", True)],
        size=EVENTS_PER_PAGE,
        rows_of=lambda ids: AuditEvent.objects.for_list().filter(pk__in=ids),
        **cursor,
    )
    rows = describe(request.user, page.rows, linked=unfiltered)
    return render(
        request,
        "moderation/audit.html",
        {
            "filter": events,
            "page": page,
            "count": pagination.capped_count(listed.values("pk")),
            "rows": rows,
            "broken": [row for row in rows if row.problem],
            "linked": unfiltered,
            "head": audit.head_hash(),
            "checkpoint": checkpoints.latest(),
            "checkpoint_every": settings.AUDIT_CHECKPOINT_EVERY,
        },
    )


@permissions.require(permissions.VIEW_AUDIT)
def comment_history(request, pk):
    comment = get_object_or_404(
        queries.with_status(Comment.objects.select_related("article__site", "commenter")), pk=pk
    )
    tags = comment.tags.select_related("category", "moderator", "retracted_by", "policy").order_by(
        "-created_at", "-pk"
    )
    decisions = (
        comment.decisions.select_related("moderator")
        .prefetch_related("reasons")
        .order_by("-version")
    )
    events = AuditEvent.objects.for_list().filter(comment=comment)
    if not permissions.can(request.user, permissions.EDIT_POLICY):
        events = events.exclude(action__in=ADMIN_ONLY)  # would say the comment is gold
    return render(
        request,
        "moderation/comment_history.html",
        {
            "comment": comment,
            "tags": tags,
            "decisions": decisions,
            "rows": describe(request.user, events),
        },
    )
