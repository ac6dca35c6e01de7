"""`/queue/`, a moderator's home, and the actions on comments and tags.

Every action is a plain form POST that works without JavaScript: it calls one service, then
answers through `moderation.protocol` (a redirect back with a message, or JSON for a page
that sent it with fetch). Rules live in `moderation.services`.
"""

from urllib.parse import quote

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.text import Truncator, capfirst
from django.views.decorators.http import require_POST

from archive.models import Comment
from moderation import audit, pagination, permissions, protocol, queries, services
from moderation.filters import QueueFilter
from moderation.forms import ACTIONS, BulkForm, DecisionForm, RetractForm, TagForm, UndoForm
from moderation.models import AuditEvent, Status, Tag

# Rows folded to their first lines, 25 a page, the next a key or a click away (Coral and
# Discourse load 20 at a time): rendering a row with its controls is most of a page's time,
# and a moderator decides the first rows long before reaching the fiftieth.
PER_PAGE = 25


# Pages


@permissions.require(permissions.MODERATE)
def queue(request):
    comments = QueueFilter(request.GET, queryset=Comment.objects.all(), request=request)
    cursor = queries.cursor(request.GET, comments.place_of)
    page = pagination.keyset_page(
        comments.qs, comments.keys, size=PER_PAGE, rows_of=queries.queue_rows, **cursor
    )
    rows = page.rows
    categories = queries.prepare(rows)
    queries.suggestions(rows)
    counts = comments.status_counts()
    comments.is_valid()  # the valid fields' values stay cleaned when another is not
    status = comments.tab if comments.tab in counts else Status.PENDING
    return render(
        request,
        "moderation/queue.html",
        {
            "filter": comments,
            "page": page,
            "count": counts[status],
            "tabs": queries.queue_tabs(request.GET, status, counts),
            "rows": rows,
            "bulk_categories": [c for site in categories.values() for c in site],
            "several_sites": len(categories) > 1,
            "next": request.get_full_path(),
            # Where the side panel's forms come back to, as a query string's value.
            "context_next": quote(request.get_full_path(), safe=""),
            "undo": protocol.undo_offer(request, shown=[c.pk for c in rows]),
        },
    )


# Actions on one comment


@permissions.require(permissions.MODERATE)
@require_POST
def decide(request, pk):
    comment = _comment(pk)
    form = DecisionForm(request.POST, site=comment.article.site)
    if not form.is_valid():
        return protocol.invalid(request, form)
    data = form.cleaned_data
    try:
        decision = services.decide(
            request.user,
            comment,
            form.status,
            expected_version=data["version"],
            reasons=data["reasons"],
            note=data["note"],
            assignee=data["assignee"],
            context=audit.Context.from_request(request),
        )
    except services.ModerationError as error:
        return protocol.refused(request, error, comment)
    reasons = ", ".join(r.name for r in data["reasons"])
    message = f"{capfirst(protocol.name_of(comment))} {protocol.DONE[form.status]}"
    if reasons:
        message += f" for {reasons}"
    if data["assignee"]:
        message += f" and assigned to {data['assignee'].get_username()}"
    message += "."
    return protocol.done(request, message, comment, decision.audit_event)


@permissions.require(permissions.MODERATE)
@require_POST
def add_tag(request, pk):
    comment = _comment(pk)
    form = TagForm(request.POST, site=comment.article.site)
    if not form.is_valid():
        return protocol.invalid(request, form)
    data = form.cleaned_data
    span = data["span"]
    try:
        tag = services.tag(
            request.user,
            comment,
            data["category"],
            note=data["note"],
            span=span,
            quoted_text=data["quoted_text"] if span and data["quoted_text"] else None,
            context=audit.Context.from_request(request),
        )
    except services.ModerationError as error:
        return protocol.refused(request, error, comment)
    message = f"{capfirst(protocol.name_of(comment))} tagged {data['category'].name}"
    if span:
        quoted = Truncator(tag.quoted_text).chars(60)
        message += f" on the passage “{quoted}”"
    message += "."
    return protocol.done(request, message, comment, tag.audit_event)


@permissions.require(permissions.MODERATE)
@require_POST
def retract_tag(request, pk):
    tag = get_object_or_404(Tag.objects.select_related("category", "comment__article__site"), pk=pk)
    form = RetractForm(request.POST)
    if not form.is_valid():
        return protocol.invalid(request, form)
    try:
        services.retract(
            request.user,
            tag,
            note=form.cleaned_data["note"],
            context=audit.Context.from_request(request),
        )
    except services.ModerationError as error:
        return protocol.refused(request, error, tag.comment)
    message = f"Your {tag.category.name} tag on {protocol.name_of(tag.comment)} is retracted."
    return protocol.done(request, message, tag.comment, None)


# Actions on several comments


@permissions.require(permissions.MODERATE)
@require_POST
def bulk(request):
    data = request.POST.copy()
    # One checkbox per row sends one id:version each; an empty reason menu sends "".
    data["comments"] = ",".join(v for v in request.POST.getlist("comments") if v.strip())
    data.setlist("reasons", [v for v in request.POST.getlist("reasons") if v])
    form = BulkForm(data)
    if not form.is_valid():
        return protocol.invalid(request, form)
    status = ACTIONS[form.cleaned_data["action"]]
    reasons = list(form.cleaned_data["reasons"])
    pairs = form.cleaned_data["comments"]
    found = Comment.objects.select_related("article__site").in_bulk([pk for pk, _ in pairs])
    decided, failed = [], []
    events: dict[int, int] = {}  # comment -> the audit event of its decision, for undo
    for pk, version in pairs:
        comment = found.get(pk)
        if comment is None:
            failed.append((pk, f"Comment #{pk} no longer exists.", "missing"))
            continue
        try:
            # Each comment in its own service call: a conflict on one leaves the others done.
            decision = services.decide(
                request.user,
                comment,
                status,
                expected_version=version,
                reasons=reasons,
                note=form.cleaned_data["note"],
                context=audit.Context.from_request(request),
            )
        except services.ModerationError as error:
            # Name the comment: a bulk action spans articles, and "comment 2" alone is ambiguous.
            where = capfirst(protocol.name_of(comment))
            failed.append((pk, f"{where}: {error}", protocol.kind_of(error)[1]))
        else:
            decided.append(comment)
            events[comment.pk] = decision.audit_event.pk
    return protocol.bulk_done(request, status, reasons, decided, failed, events)


@permissions.require(permissions.MODERATE)
@require_POST
def undo(request):
    form = UndoForm(request.POST)
    if not form.is_valid():
        return protocol.invalid(request, form)
    ids = form.cleaned_data["event"]
    events = AuditEvent.objects.select_related("comment__article").in_bulk(ids)
    if len(events) != len(set(ids)):
        raise Http404("No such audit event.")
    undone, failed = [], []
    for event_id in sorted(set(ids), reverse=True):  # newest first, as they were made
        event = events[event_id]
        try:
            services.undo(request.user, event, context=audit.Context.from_request(request))
        except services.ModerationError as error:
            failed.append((event, error))
        else:
            undone.append(event)
    if len(ids) == 1 and failed:
        return protocol.refused(request, failed[0][1], failed[0][0].comment)
    return protocol.undo_done(request, events, undone, failed)


def _comment(pk):
    return get_object_or_404(Comment.objects.select_related("article__site"), pk=pk)
