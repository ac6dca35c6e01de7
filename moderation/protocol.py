"""How the actions on comments answer: a plain form POST gets a redirect back to a safe `next`
with a message (or, for a form that does not validate, a page listing what to correct); a
fetch from static/js (`Accept: application/json`) gets JSON: the outcome, the comment's new
state with its controls re-rendered, and the action on offer to undo.

JSON answers: {ok, message | error, kind, comment: {id, status, status_label, version,
tagged, controls}, events, undo: {events, label} | null}; bulk and undo answer several
comments (`results`, `comments`). `kind` is how the page tells a conflict (409) from a
refusal (403) and a mistake (400).
"""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator

from archive.models import Comment
from moderation import queries, services
from moderation.actions import Action
from moderation.models import Status, Tag

UNDO_SESSION_KEY = "moderation.undo"

# Domain errors as HTTP: the status for fetch requests, and the `kind` the page reads.
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


def undo_offer(request, shown=None):
    """The action the pages offer to undo (also without JS), or None. A page passes the
    comments it `shown`s: an action is offered there only if every comment it changed is on
    it (`u` on a freshly loaded page must not undo something done elsewhere, on comments not
    in view), or if it was done from this very address. An answer to an action made on the
    page passes nothing."""
    offer = request.session.get(UNDO_SESSION_KEY)
    if offer is None or shown is None:
        return offer
    if offer.get("page") == request.get_full_path():
        return offer  # back where it was done (a form posted without JS comes back here)
    comments = offer.get("comments")
    if not comments or not set(comments) <= set(shown):
        return None
    return offer


def forget_undo(request, undone_events):
    """Stop offering an undo that has just been done."""
    offered = undo_offer(request)
    if offered and set(offered["events"]) & set(undone_events):
        del request.session[UNDO_SESSION_KEY]


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def next_url(request) -> str:
    """Where to go back to: the form's `next` if it is on this site, else the queue."""
    return safe_next(request, request.POST.get("next", ""), reverse("moderation:queue"))


def safe_next(request, url: str, default: str) -> str:
    """`url` if it leads to this site (Django's own check: no other host or scheme, no
    `/\\evil` or tab tricks), else `default`. For `next` read from a form or an address."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


def kind_of(error) -> tuple[int, str]:
    for cls, status, kind in ERRORS:
        if isinstance(error, cls):
            return status, kind
    raise error  # a ModerationError the table does not know: a programming error, say so


def offer_undo(request, events: list[int], label: str, comments: list[int]):
    """Remember the last undoable action (its audit `events`, what it did, the `comments` it
    changed), so the pages showing those comments can offer to undo it (also without JS)."""
    request.session[UNDO_SESSION_KEY] = {
        "events": events,
        "label": label,
        "comments": comments,
        "page": next_url(request).split("#")[0],
    }


def states(request, comment_ids) -> dict[int, dict]:
    """The new state of comments for the page, their controls re-rendered. Constant queries."""
    comments = list(queries.for_queue(Comment.objects.filter(pk__in=comment_ids)))
    queries.prepare(comments)
    back = next_url(request).split("#")[0]
    return {
        c.pk: {
            "id": c.pk,
            "status": c.status,
            "status_label": c.status_label,
            "version": c.version,
            "tagged": bool(c.current_tags),
            "controls": render_to_string(
                "moderation/_comment_controls.html",
                {"comment": c, "next": back},
                request=request,
            ),
        }
        for c in comments
    }


def done(request, message: str, comment, audit_event=None):
    """Success: offer to undo `audit_event` (None for what cannot be undone), then answer."""
    event = audit_event.pk if audit_event else None
    if event:
        offer_undo(request, [event], message, [comment.pk])
    if wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "message": message,
                "event": event,
                "events": [event] if event else [],
                "comment": states(request, [comment.pk])[comment.pk],
                "undo": undo_offer(request),
            }
        )
    messages.success(request, message)
    return redirect(next_url(request))


def bulk_done(request, status, reasons, decided, failed, events: dict[int, int]):
    """A bulk decision: `decided` comments (their decisions' audit `events`, offered to undo
    together), `failed` as (comment id, message, kind)."""
    summary = bulk_summary(status, reasons, decided, failed)
    if decided:
        offer_undo(request, [events[c.pk] for c in decided], summary, [c.pk for c in decided])
    if wants_json(request):
        current = states(request, [c.pk for c in decided] + [pk for pk, _, _ in failed])
        results = [
            {"id": c.pk, "ok": True, "event": events[c.pk], "comment": current[c.pk]}
            for c in decided
        ] + [
            {"id": pk, "ok": False, "error": error, "kind": kind, "comment": current.get(pk)}
            for pk, error, kind in failed
        ]
        return JsonResponse(
            {
                "ok": not failed,
                "message": summary,
                "errors": [error for _, error, _ in failed],
                "results": results,
                "events": [events[c.pk] for c in decided],
                "undo": undo_offer(request),
            }
        )
    if decided:
        messages.success(request, summary)
    for _, error, _ in failed:
        messages.error(request, error)
    return redirect(next_url(request))


def undo_done(request, events, undone, failed):
    """An undo of one or several `events` (by id): `undone` events, `failed` (event, error)."""
    summary = undo_summary(undone)
    if undone:
        forget_undo(request, [e.pk for e in undone])
    if wants_json(request):
        current = states(request, sorted({e.comment_id for e in events.values() if e.comment_id}))
        return JsonResponse(
            {
                "ok": not failed,
                "message": summary,
                "errors": [str(error) for _, error in failed],
                "kind": kind_of(failed[0][1])[1] if failed else None,
                "comments": list(current.values()),
                "undo": undo_offer(request),
            }
        )
    if undone:
        messages.success(request, summary)
    for _, error in failed:
        messages.error(request, str(error))
    return redirect(next_url(request))


def refused(request, error, comment=None):
    """A service refused (`error`): say why, with the comment's current state."""
    status, kind = kind_of(error)
    if wants_json(request):
        body = {"ok": False, "error": str(error), "kind": kind}
        if comment is not None:
            # The current state, so the page shows what changed and acts on the new version.
            body["comment"] = states(request, [comment.pk]).get(comment.pk)
        return JsonResponse(body, status=status)
    messages.error(request, str(error))
    return redirect(next_url(request))


def invalid(request, form):
    """The form did not validate: list what to correct."""
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
    if wants_json(request):
        return JsonResponse(
            {"ok": False, "kind": "invalid", "error": text, "errors": form.errors.get_json_data()},
            status=400,
        )
    return render(
        request,
        "moderation/_queue_invalid.html",
        {"problems": problems, "back": next_url(request)},
        status=400,
    )


# Comments are named by their place in the thread, their article's short title and their id:
# positions repeat across articles ("comment 2" is on every one of them).
SHORT_TITLE_WORDS = 6


def short_title(article) -> str:
    return Truncator(article.title).words(SHORT_TITLE_WORDS, truncate="…")


def name_of(comment) -> str:
    """ "comment 2.1 on “Budget debate” (#1234)": the way every message names a comment."""
    return f"comment {comment.position} on “{short_title(comment.article)}” (#{comment.pk})"


def _positions_by_article(comments) -> str:
    """ "1, 3 on “Budget debate”; 2.1 on “Another story”": several comments named at once."""
    by_article: dict[int, list] = {}
    for comment in comments:
        by_article.setdefault(comment.article_id, []).append(comment)
    return "; ".join(
        f"{', '.join(c.position for c in group)} on “{short_title(group[0].article)}”"
        for group in by_article.values()
    )


def bulk_summary(status, reasons, decided, failed) -> str:
    """What a bulk action did: which comments, and how many were refused."""
    refusals = f"{len(failed)} refused." if failed else ""
    if not decided:
        return f"Nothing was {DONE[status]}: {refusals}"
    text = f"{_comments(len(decided))} {DONE[status]}"
    if reasons:
        text += f" for {', '.join(r.name for r in reasons)}"
    return f"{text} ({_positions_by_article(decided)}). {refusals}".strip()


def _comments(n: int) -> str:
    return f"{n} comment{'s' if n != 1 else ''}"


def undo_summary(undone) -> str:
    """What an undo reversed, comment by comment."""
    if not undone:
        return "Nothing was undone."
    tags = Tag.objects.select_related("category").in_bulk(
        [int(e.target_id) for e in undone if e.action == Action.TAG_ADD]
    )
    parts = []
    for event in undone:
        which = name_of(event.comment) if event.comment else "a comment no longer here"
        if event.action == Action.TAG_ADD:
            category = tags[int(event.target_id)].category.name
            parts.append(f"the {category} tag on {which} is retracted")
        else:
            previous = Status(event.before["status"]).label.lower()
            parts.append(f"{which} is {previous} again")
    return "Undone: " + "; ".join(parts) + "."
