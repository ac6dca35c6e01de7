"""`/audit/`: the audit history; `/comments/<id>/history/`: one comment's own history.

Read only. Events are described here for people (the action in words, the target with a link,
before → after in one line) from what the list query already holds, so a page costs the same
number of queries whatever its length. The commenter page reuses `describe()`.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from archive.models import Comment
from moderation import audit, permissions, queries
from moderation.filters import AUDIT_ACTIONS, AuditFilter
from moderation.models import AuditEvent

EVENTS_PER_PAGE = 50
ACTION_LABELS = dict(AUDIT_ACTIONS)
QUOTE_CHARS = 80


@permissions.require(permissions.VIEW_AUDIT)
def audit_list(request):
    events = AuditFilter(request.GET, queryset=AuditEvent.objects.for_list())
    page = Paginator(events.qs, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # Unfiltered, a page is an unbroken stretch of the chain: each row can be checked against
    # the one below it too. Filtered, only each row against its own hash.
    unfiltered = events.form.is_valid() and not any(events.form.cleaned_data.values())
    rows = describe(request.user, page.object_list, linked=unfiltered)
    return render(
        request,
        "moderation/audit.html",
        {
            "filter": events,
            "page": page,
            "query": query.urlencode(),
            "rows": rows,
            "broken": [row for row in rows if row.problem],
            "linked": unfiltered,
            "head": audit.head_hash(),
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


# Describing events


@dataclass
class Link:
    label: str
    url: str = ""


@dataclass
class Row:
    event: AuditEvent
    action: str
    change: str
    targets: list[Link] = field(default_factory=list)
    problem: str = ""


def describe(user, events, *, linked=False) -> list[Row]:
    """One Row per event (no query beyond the events' own). Each event's hash is recomputed,
    which is cheap; with `linked`, the events are taken as consecutive in the chain, newest
    first, and each must also point at the hash of the one after it."""
    events = list(events)
    rows = []
    for i, event in enumerate(events):
        problem = ""
        if audit.compute_hash(event) != event.hash:
            problem = "its content does not match its hash"
        elif linked and i + 1 < len(events) and event.prev_hash != events[i + 1].hash:
            problem = "it does not follow the event listed below it"
        rows.append(
            Row(
                event=event,
                action=ACTION_LABELS.get(event.action, event.action),
                change=describe_change(event),
                targets=_targets(user, event),
                problem=problem,
            )
        )
    return rows


def _targets(user, event) -> list[Link]:
    links = []
    if event.comment_id:
        comment = event.comment
        links.append(
            Link(
                f"Comment {comment.position} on “{event.article.title}”"
                if event.article_id
                else f"Comment {comment.position}",
                comment_url(comment),
            )
        )
    if event.commenter_id:
        url = ""
        if permissions.can(user, permissions.MODERATE):
            url = reverse("moderation:commenter", args=[event.commenter_id])
        links.append(Link(event.commenter.name, url))
    if not links and event.target_type in ("policy", "category") and event.site_id:
        url = ""
        if permissions.can(user, permissions.EDIT_POLICY):
            url = reverse("moderation:policy_edit", args=[event.site_id])
        links.append(Link(f"{event.site.name} policy", url))
    if not links and event.target_type == "user":
        url = ""
        if permissions.can(user, permissions.MANAGE_USERS):
            url = reverse("moderation:user", args=[event.target_id])
        links.append(Link(f"User #{event.target_id}", url))
    if not links and event.site_id:
        links.append(Link(event.site.name))
    if not links:
        links.append(Link(f"{event.target_type} {event.target_id}".strip()))
    return links


def comment_url(comment) -> str:
    """Where a comment is seen in its thread."""
    return f"{reverse('archive:thread', args=[comment.article_id])}#comment-{comment.pk}"


def describe_change(event) -> str:
    """before → after in a line a person reads at a glance; JSON for shapes not known here."""
    before, after = event.before or {}, event.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return _json(event)
    action = event.action
    if action.startswith("comment."):
        text = f"{before.get('status', '?')} → {after.get('status', '?')}"
        if after.get("reasons"):
            text += f" ({', '.join(after['reasons'])})"
    elif action == "tag.add":
        text = str(after.get("category", "?"))
        if after.get("span"):
            text += f" on “{Truncator(after.get('quoted_text', '')).chars(QUOTE_CHARS)}”"
        else:
            text += " (whole comment)"
        if after.get("policy_version"):
            text += f", policy v{after['policy_version']}"
    elif action == "tag.retract":
        text = f"{before.get('category', '?')} retracted"
    elif action == "commenter.block":
        until = _moment(after.get("expires_at"))
        text = f"blocked until {until}" if until else "blocked, no expiry"
    elif action == "commenter.unblock":
        text = "in force → lifted"
    elif action == "commenter.note":
        text = "note added"
    elif action == "policy.create":
        text = f"version {after.get('version', '?')}"
        if after.get("categories"):
            text += f" ({', '.join(after['categories'])})"
    elif action == "policy.edit":
        text = f"version {before.get('version', '?')} → {after.get('version', '?')}, text changed"
    elif action == "category.add":
        text = f"added {after.get('name', '?')}"
        if after.get("policy_version"):
            text += f" (policy v{after['policy_version']})"
    elif action == "category.edit":
        text = _category_change(before, after)
    elif action == "user.create":
        roles = ", ".join(after.get("roles") or []) or "no role"
        text = f"{after.get('username', '?')} ({roles})"
    elif action == "user.roles":
        text = f"{', '.join(before.get('roles') or []) or 'no role'} → "
        text += ", ".join(after.get("roles") or []) or "no role"
    elif action in ("user.deactivate", "user.reactivate"):
        text = "active → inactive" if action == "user.deactivate" else "inactive → active"
    elif action == "user.password_link":
        text = f"set-password link sent to {after.get('email', '?')}"
    elif action == "import":
        counts = [
            f"{key.replace('_', ' ')}: {value}"
            for key, value in after.items()
            if isinstance(value, int) and value
        ]
        text = f"{after.get('source', '?')} import" + (f" ({', '.join(counts)})" if counts else "")
    else:
        return _json(event)
    if after.get("undoes"):
        text += f", undoing #{after['undoes']}"
    return text


def _category_change(before, after) -> str:
    changes = []
    if before.get("name") != after.get("name"):
        changes.append(f"name {before.get('name')} → {after.get('name')}")
    if before.get("definition") != after.get("definition"):
        changes.append("definition changed")
    if before.get("active") != after.get("active"):
        changes.append("retired" if not after.get("active") else "brought back")
    text = f"{after.get('name', '?')}: {', '.join(changes) or 'no visible change'}"
    if after.get("policy_version"):
        text += f" (policy v{after['policy_version']})"
    return text


def _moment(value) -> str:
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")


def _json(event) -> str:
    def dump(value):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))

    if event.before is None:
        return dump(event.after) if event.after is not None else ""
    return f"{dump(event.before)} → {dump(event.after)}"
