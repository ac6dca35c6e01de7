"""Audit events as rows a person reads: the action's label, the change in words (both from
the registry in `moderation.actions`), links to what changed (only where the reader may
follow them), and each row's hash check. Built from what the list query already holds, so
a page of events costs the same number of queries whatever its length.
"""

from dataclasses import dataclass, field

from django.urls import reverse

from moderation import audit, permissions
from moderation.actions import Action, describe_change
from moderation.models import AuditEvent


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
    redacted: bool = False  # shown without its target, change and note (ADMIN_ONLY)


# Events whose content only Admins (policy editors) read: gold items.
ADMIN_ONLY = frozenset({Action.GOLD_SET, Action.GOLD_RETIRE})


def describe(user, events, *, linked=False) -> list[Row]:
    """One Row per event (no query beyond the events' own). Each event's hash is recomputed,
    which is cheap; with `linked`, the events are taken as consecutive in the chain, newest
    first, and each must also point at the hash of the one after it."""
    events = list(events)
    rows = []
    redact = not permissions.can(user, permissions.EDIT_POLICY)
    for i, event in enumerate(events):
        problem = ""
        if audit.compute_hash(event) != event.hash:
            problem = "its content does not match its hash"
        elif linked and i + 1 < len(events) and event.prev_hash != events[i + 1].hash:
            problem = "it does not follow the event listed below it"
        if redact and event.action in ADMIN_ONLY:
            # Which comments are gold items, and why, would let moderators recognise them
            # in their Second review stream: the event is listed, its content is not.
            rows.append(
                Row(event, _label(event.action), "for Admins", problem=problem, redacted=True)
            )
            continue
        rows.append(
            Row(
                event=event,
                action=_label(event.action),
                change=describe_change(event),
                targets=_targets(user, event),
                problem=problem,
            )
        )
    return rows


def _label(action: str) -> str:
    # A stored action outside the registry (a tampered row) is shown as it is.
    return Action(action).label if action in Action.values else action


def comment_url(comment) -> str:
    """Where a comment is seen in its thread: the stretch that holds it, scrolled to it."""
    thread = reverse("moderation:thread", args=[comment.article_id])
    return f"{thread}?at={comment.pk}#comment-{comment.pk}"


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
    if not links and event.target_type == "wordlist" and event.site_id:
        url = ""
        if permissions.can(user, permissions.EDIT_POLICY):
            url = reverse("moderation:words", args=[event.site_id])
        links.append(Link(f"{event.site.name} word lists", url))
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
