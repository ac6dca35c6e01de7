"""`/queue/`, a moderator's home, and the actions on comments and tags.

Every action is a plain form POST that works without JavaScript: it calls one service, then
redirects back to a safe `next` with a message. keys.js posts the same forms with
`Accept: application/json` and gets JSON instead: the outcome, the comment's new state (its
controls re-rendered) and the audit events to undo. Rules live in `moderation.services`;
these views only translate between HTTP and the services.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from archive.models import Comment
from moderation import audit, permissions, queries, services
from moderation.filters import QueueFilter
from moderation.forms import ACTIONS, BulkForm, DecisionForm, RetractForm, TagForm, UndoForm
from moderation.models import AuditEvent, Category, Status, Tag

PER_PAGE = 50
UNDO_SESSION_KEY = "moderation.undo"

# Domain errors as HTTP: the status for fetch requests, and the `kind` keys.js reads.
ERRORS = [
    (services.Conflict, 409, "conflict"),
    (services.NotAllowed, 403, "not_allowed"),
    (services.Invalid, 400, "invalid"),
]

DONE = {
    Status.APPROVED: "approved",
    Status.REMOVED: "removed",
    Status.ESCALATED: "escalated",
    Status.PENDING: "back to pending",
}


# Pages


@permissions.require(permissions.MODERATE)
def queue(request):
    comments = QueueFilter(request.GET, queryset=queries.for_queue())
    page = Paginator(comments.qs, PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    categories = prepare(rows)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "moderation/queue.html",
        {
            "filter": comments,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "bulk_categories": [c for site in categories.values() for c in site],
            "several_sites": len(categories) > 1,
            "next": request.get_full_path(),
            "undo": request.session.get(UNDO_SESSION_KEY),
        },
    )


def prepare(comments, *, categories: bool = True) -> dict[int, list[Category]]:
    """Give each comment (from queries.for_queue) what its controls show: `status_label`,
    `decision` (the last one, or None) and, with `categories`, `site_categories` (the active
    categories of its site, in keyboard order). One query, whatever the number of comments."""
    site_ids = {c.article.site_id for c in comments} if categories else set()
    by_site: dict[int, list[Category]] = {}
    if site_ids:
        active = Category.objects.active().filter(site__in=site_ids).select_related("site")
        for category in active.order_by("site__name", "order", "pk"):
            by_site.setdefault(category.site_id, []).append(category)
    for comment in comments:
        comment.status_label = Status(comment.status).label
        comment.decision = last_decision(comment)
        comment.site_categories = by_site.get(comment.article.site_id, [])
    return by_site


def last_decision(comment):
    try:
        return comment.moderation.decision
    except Comment.moderation.RelatedObjectDoesNotExist:
        return None


# Actions on one comment


@permissions.require(permissions.MODERATE)
@require_POST
def decide(request, pk):
    comment = _comment(pk)
    form = DecisionForm(request.POST, site=comment.article.site)
    if not form.is_valid():
        return _invalid(request, form)
    data = form.cleaned_data
    try:
        decision = services.decide(
            request.user,
            comment,
            form.status,
            expected_version=data["version"],
            reasons=data["reasons"],
            note=data["note"],
            context=audit.Context.from_request(request),
        )
    except services.ModerationError as error:
        return _refused(request, error, comment)
    reasons = ", ".join(r.name for r in data["reasons"])
    message = f"Comment {comment.position} {DONE[form.status]}" + (
        f" for {reasons}." if reasons else "."
    )
    return _done(request, message, comment, decision.audit_event)


@permissions.require(permissions.MODERATE)
@require_POST
def add_tag(request, pk):
    comment = _comment(pk)
    form = TagForm(request.POST, site=comment.article.site)
    if not form.is_valid():
        return _invalid(request, form)
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
        return _refused(request, error, comment)
    what = "A passage of comment" if span else "Comment"
    message = f"{what} {comment.position} tagged {data['category'].name}."
    return _done(request, message, comment, tag.audit_event)


@permissions.require(permissions.MODERATE)
@require_POST
def retract_tag(request, pk):
    tag = get_object_or_404(Tag.objects.select_related("category", "comment__article__site"), pk=pk)
    form = RetractForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    try:
        services.retract(
            request.user,
            tag,
            note=form.cleaned_data["note"],
            context=audit.Context.from_request(request),
        )
    except services.ModerationError as error:
        return _refused(request, error, tag.comment)
    message = f"Your {tag.category.name} tag on comment {tag.comment.position} is retracted."
    return _done(request, message, tag.comment, None)


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
        return _invalid(request, form)
    status = ACTIONS[form.cleaned_data["action"]]
    reasons = list(form.cleaned_data["reasons"])
    pairs = form.cleaned_data["comments"]
    found = Comment.objects.select_related("article__site").in_bulk([pk for pk, _ in pairs])
    done, failed = [], []
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
            where = f"Comment {comment.position} on “{comment.article.title[:60]}”"
            failed.append((pk, f"{where}: {error}", _kind(error)[1]))
        else:
            done.append(comment)
            events[comment.pk] = decision.audit_event.pk
    summary = _bulk_summary(status, reasons, done, failed)
    if done:
        _offer_undo(request, [events[c.pk] for c in done], summary)
    if _wants_json(request):
        states = _states(request, [c.pk for c in done] + [pk for pk, _, _ in failed])
        results = [
            {"id": c.pk, "ok": True, "event": events[c.pk], "comment": states[c.pk]} for c in done
        ] + [
            {"id": pk, "ok": False, "error": error, "kind": kind, "comment": states.get(pk)}
            for pk, error, kind in failed
        ]
        return JsonResponse(
            {
                "ok": not failed,
                "message": summary,
                "errors": [error for _, error, _ in failed],
                "results": results,
                "events": [events[c.pk] for c in done],
                "undo": request.session.get(UNDO_SESSION_KEY),
            }
        )
    if done:
        messages.success(request, summary)
    for _, error, _ in failed:
        messages.error(request, error)
    return redirect(_next_url(request))


@permissions.require(permissions.MODERATE)
@require_POST
def undo(request):
    form = UndoForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    ids = form.cleaned_data["event"]
    events = AuditEvent.objects.select_related("comment").in_bulk(ids)
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
        return _refused(request, failed[0][1], failed[0][0].comment)
    summary = _undo_summary(undone)
    if undone:
        offered = request.session.get(UNDO_SESSION_KEY)
        if offered and set(offered["events"]) & {e.pk for e in undone}:
            del request.session[UNDO_SESSION_KEY]
    if _wants_json(request):
        states = _states(request, sorted({e.comment_id for e in events.values() if e.comment_id}))
        return JsonResponse(
            {
                "ok": not failed,
                "message": summary,
                "errors": [str(error) for _, error in failed],
                "kind": _kind(failed[0][1])[1] if failed else None,
                "comments": list(states.values()),
                "undo": request.session.get(UNDO_SESSION_KEY),
            }
        )
    if undone:
        messages.success(request, summary)
    for _, error in failed:
        messages.error(request, str(error))
    return redirect(_next_url(request))


# Helpers: access, responses, messages


def _comment(pk):
    return get_object_or_404(Comment.objects.select_related("article__site"), pk=pk)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _next_url(request) -> str:
    """Where to go back to: the form's `next` if it is on this site, else the queue."""
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("moderation:queue")


def _kind(error) -> tuple[int, str]:
    for cls, status, kind in ERRORS:
        if isinstance(error, cls):
            return status, kind
    raise error  # a ModerationError the table does not know: a programming error, say so


def _offer_undo(request, events: list[int], label: str):
    """Remember the last undoable action, so the pages can offer to undo it (also without JS)."""
    request.session[UNDO_SESSION_KEY] = {"events": events, "label": label}


def _states(request, comment_ids) -> dict[int, dict]:
    """The new state of comments for keys.js, their controls re-rendered. Constant queries."""
    comments = list(queries.for_queue(Comment.objects.filter(pk__in=comment_ids)))
    prepare(comments)
    next_url = _next_url(request).split("#")[0]
    return {
        c.pk: {
            "id": c.pk,
            "status": c.status,
            "status_label": c.status_label,
            "version": c.version,
            "tagged": bool(c.current_tags),
            "controls": render_to_string(
                "moderation/_comment_controls.html",
                {"comment": c, "next": next_url},
                request=request,
            ),
        }
        for c in comments
    }


def _done(request, message: str, comment, audit_event=None):
    """Success: offer to undo `audit_event` (None for what cannot be undone), then answer."""
    event = audit_event.pk if audit_event else None
    if event:
        _offer_undo(request, [event], message)
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "message": message,
                "event": event,
                "events": [event] if event else [],
                "comment": _states(request, [comment.pk])[comment.pk],
                "undo": request.session.get(UNDO_SESSION_KEY),
            }
        )
    messages.success(request, message)
    return redirect(_next_url(request))


def _refused(request, error, comment=None):
    status, kind = _kind(error)
    if _wants_json(request):
        body = {"ok": False, "error": str(error), "kind": kind}
        if comment is not None:
            # The current state, so the page shows what changed and acts on the new version.
            body["comment"] = _states(request, [comment.pk]).get(comment.pk)
        return JsonResponse(body, status=status)
    messages.error(request, str(error))
    return redirect(_next_url(request))


def _invalid(request, form):
    problems = [
        (
            "" if name == "__all__" else (form.fields[name].label or name.replace("_", " ")),
            " ".join(errors),
        )
        for name, errors in form.errors.items()
    ]
    text = " ".join(
        f"{label.capitalize()}: {error}" if label else error for label, error in problems
    )
    if _wants_json(request):
        return JsonResponse(
            {"ok": False, "kind": "invalid", "error": text, "errors": form.errors.get_json_data()},
            status=400,
        )
    return render(
        request,
        "moderation/_queue_invalid.html",
        {"problems": problems, "back": _next_url(request)},
        status=400,
    )


def _bulk_summary(status, reasons, done, failed) -> str:
    refused = f"{len(failed)} refused." if failed else ""
    if not done:
        return f"Nothing was {DONE[status]}: {refused}"
    text = f"{_comments(len(done))} {DONE[status]}"
    if reasons:
        text += f" for {', '.join(r.name for r in reasons)}"
    return f"{text} ({', '.join(c.position for c in done)}). {refused}".strip()


def _comments(n: int) -> str:
    return f"{n} comment{'s' if n != 1 else ''}"


def _undo_summary(undone) -> str:
    if not undone:
        return "Nothing was undone."
    tags = Tag.objects.select_related("category").in_bulk(
        [int(e.target_id) for e in undone if e.action == "tag.add"]
    )
    parts = []
    for event in undone:
        position = event.comment.position if event.comment else "?"
        if event.action == "tag.add":
            name = tags[int(event.target_id)].category.name
            parts.append(f"the {name} tag on comment {position} is retracted")
        else:
            previous = Status(event.before["status"]).label.lower()
            parts.append(f"comment {position} is {previous} again")
    return "Undone: " + "; ".join(parts) + "."
