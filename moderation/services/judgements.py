"""Judgements on comments: tags (of a whole comment or a passage), their retraction, decisions
(a comment's status, with optimistic concurrency on its version), and undo.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from archive.models import Comment
from moderation import permissions, queries
from moderation.actions import UNDOABLE, Action
from moderation.audit import Context
from moderation.models import (
    FLAG_THRESHOLD,
    AuditEvent,
    Category,
    Decision,
    ModerationState,
    Status,
    Tag,
)
from moderation.services import insights, marks, queue_counts, reviews
from moderation.services._common import (
    append,
    change_record,
    clean_note,
    comment_refs,
    require,
    when,
    who,
)
from moderation.services.errors import Conflict, Invalid, NotAllowed
from moderation.services.locks import lock, retried
from moderation.services.policy import current_policy, sync_posted_policy

# The audit action of a decision to each status.
DECISION_ACTIONS = {
    Status.APPROVED: Action.COMMENT_APPROVED,
    Status.REMOVED: Action.COMMENT_REMOVED,
    Status.ESCALATED: Action.COMMENT_ESCALATED,
    Status.PENDING: Action.COMMENT_PENDING,
}


# Tags


@retried
def tag(
    user,
    comment: Comment,
    category: Category,
    *,
    note: str = "",
    span: tuple[int, int] | None = None,
    quoted_text: str | None = None,
    context: Context | None = None,
    undoes: int | None = None,
) -> Tag:
    """Tag a comment, or the span [start, end) of its text, with a category."""
    require(user, permissions.MODERATE)
    if category.site_id != comment.article.site_id:
        raise Invalid(f"{category.name!r} is not a category of {comment.article.site}.")
    if not category.active:
        raise Invalid(f"{category.name!r} is retired; it can no longer be applied.")
    start = end = None
    quote = ""
    if span is not None:
        start, end = span
        text = comment.body_text
        if not (0 <= start < end <= len(text)):
            raise Invalid(
                f"The selection {start}-{end} is not inside the comment's text (0-{len(text)})."
            )
        quote = text[start:end]
        if quoted_text is not None and quoted_text != quote:
            raise Invalid("The selected text no longer matches the comment; select it again.")
    note = clean_note(note)
    with transaction.atomic():
        # The site (locked only to give it its first policy) comes before the comment.
        policy = current_policy(comment.article.site) or sync_posted_policy(comment.article.site)
        # Lock the comment so two identical tags sent at once cannot both pass the check.
        lock(Comment.objects.filter(pk=comment.pk)).first()
        duplicate = Tag.objects.current().filter(
            comment=comment, category=category, moderator=user, span_start=start, span_end=end
        )
        if duplicate.exists():
            raise Conflict(
                f"You already tagged this {'passage' if span else 'comment'} as {category.name}."
            )
        new = Tag.objects.create(
            comment=comment,
            category=category,
            moderator=user,
            policy=policy,
            span_start=start,
            span_end=end,
            quoted_text=quote,
            note=note,
        )
        marks.sync(comment.pk)
        insights.tagged(new, category.site_id, +1)
        after = {
            "category": category.slug,
            "span": [start, end] if span else None,
            "quoted_text": quote,
            "policy_version": policy.version,
        }
        if undoes:
            after["undoes"] = undoes
        new.audit_event = append(
            actor=user,
            action=Action.TAG_ADD,
            target=new,
            after=after,
            note=note,
            context=context,
            **comment_refs(comment),
        )
        return new


@retried
def retract(
    user, tag_: Tag, *, note: str = "", context: Context | None = None, undoes: int | None = None
) -> Tag:
    """Withdraw one's own tag. The row stays, marked retracted, for the record."""
    require(user, permissions.MODERATE)
    note = clean_note(note)
    with transaction.atomic():
        # The comment first (its marks change with its tags), then the tag.
        lock(Comment.objects.filter(pk=tag_.comment_id)).get()
        lock(Tag.objects.filter(pk=tag_.pk)).get()
        tag_ = Tag.objects.select_related("comment__article").get(pk=tag_.pk)
        if tag_.moderator_id != user.pk:
            raise NotAllowed("Only the moderator who made a tag can retract it.")
        if tag_.retracted_at is not None:
            raise Conflict(f"This tag was already retracted {when(tag_.retracted_at)}.")
        tag_.retracted_at = timezone.now()
        tag_.retracted_by = user
        tag_.save(update_fields=["retracted_at", "retracted_by"])
        marks.sync(tag_.comment_id)
        insights.tagged(tag_, tag_.category.site_id, -1)
        after = {"retracted": True}
        if undoes:
            after["undoes"] = undoes
        tag_.audit_event = append(
            actor=user,
            action=Action.TAG_RETRACT,
            target=tag_,
            before={"category": tag_.category.slug, "retracted": False},
            after=after,
            note=note,
            context=context,
            **comment_refs(tag_.comment),
        )
        return tag_


# Decisions


def state_of(comment: Comment) -> tuple[str, int]:
    state = ModerationState.objects.filter(comment=comment).first()
    return (state.status, state.version) if state else (Status.PENDING, 0)


@retried
def decide(
    user,
    comment: Comment,
    status: str,
    *,
    expected_version: int,
    reasons: Iterable[Category] = (),
    note: str = "",
    assignee=None,
    context: Context | None = None,
    undoes: int | None = None,
) -> Decision:
    """Set a comment's status. `expected_version` is the version the moderator saw: if
    someone decided in between, the action is refused with what changed and by whom.
    An escalation may name an `assignee` (an active moderator or admin), who finds it under
    "Assigned to me"; any later decision ends the assignment."""
    require(user, permissions.MODERATE)
    if status not in Status.values:
        raise Invalid(f"{status!r} is not a status; use one of {', '.join(Status.values)}.")
    reasons = list(dict.fromkeys(reasons))  # a reason given twice is one reason
    note = clean_note(note)
    site_id = comment.article.site_id
    if any(r.site_id != site_id for r in reasons):
        raise Invalid(f"A reason is not a category of {comment.article.site}.")
    if status == Status.REMOVED and not reasons:
        raise Invalid("Removing a comment needs at least one category as the reason.")
    if status != Status.REMOVED and reasons:
        raise Invalid("Only a removal takes categories as reasons.")
    _check_assignee(assignee, status)
    with transaction.atomic():
        # The comment first (its marks change with its state), then its state.
        lock(Comment.objects.filter(pk=comment.pk)).get()
        state = lock(ModerationState.objects.filter(comment=comment)).get()
        if state.version != expected_version:
            raise _stale(comment, expected_version)
        if state.status == status:
            raise Invalid(f"This comment is already {Status(status).label.lower()}.")
        if (
            status == Status.APPROVED
            and not note
            and Tag.objects.current().filter(comment=comment).exists()
        ):
            raise Invalid("This comment carries tags: approving it needs a note saying why.")
        replaced = state.decision_id
        decision = Decision.objects.create(
            comment=comment,
            status=status,
            previous_status=state.status,
            moderator=user,
            note=note,
            version=state.version + 1,
            assignee=assignee,
            # An undo undoes the decision that set the state (its version is checked above).
            undoes_id=replaced if undoes else None,
            flagged=state.flag_score is not None and state.flag_score >= FLAG_THRESHOLD,
        )
        decision.reasons.set(reasons)
        before = {"status": state.status, "version": state.version}
        if state.assignee_id:
            before["assignee"] = state.assignee_id
        state.status, state.version, state.decision = status, decision.version, decision
        state.assignee = assignee
        state.save(update_fields=["status", "version", "decision", "assignee"])
        marks.sync(comment.pk)
        queue_counts.moved(comment.article_id, before["status"], status)
        insights.decided(state, decision, reasons, replaced)
        if Status.REMOVED in (status, before["status"]):
            # The commenter's count of removed comments, as a queue row shows it.
            change_record(comment.commenter_id, removals=1 if status == Status.REMOVED else -1)
        after = {
            "status": status,
            "version": state.version,
            "reasons": [r.slug for r in reasons],
        }
        if assignee is not None:
            after["assignee"] = assignee.pk
            after["assignee_name"] = assignee.get_username()
        if undoes:
            after["undoes"] = undoes
        after.update(reviews.sampled_on_judgement(comment, user, status))
        decision.audit_event = append(
            actor=user,
            action=DECISION_ACTIONS[status],
            target=comment,
            before=before,
            after=after,
            note=note,
            context=context,
            **comment_refs(comment),
        )
        return decision


def _check_assignee(assignee, status: str) -> None:
    if assignee is None:
        return
    if status != Status.ESCALATED:
        raise Invalid("Only an escalation is assigned to someone.")
    if not permissions.can(assignee, permissions.MODERATE):
        raise Invalid(
            f"{who(assignee)} cannot take an escalation: only an active moderator or admin can."
        )


def _stale(comment: Comment, expected_version: int) -> Conflict:
    state = ModerationState.objects.select_related("decision__moderator").get(comment=comment)
    last = state.decision
    by = f"{who(last.moderator)} {when(last.created_at)}" if last else "someone"
    return Conflict(
        f"Comment {comment.position} changed while you were looking: {by} set it to "
        f"{Status(state.status).label.lower()} (version {state.version}; you saw version "
        f"{expected_version}). Nothing was changed; review it again."
    )


# Undo


def undo(user, event: AuditEvent, *, context: Context | None = None) -> AuditEvent:
    """Reverse one of the user's own tag or decision actions with a new, audited action.
    History is never rewritten: the original event stays, the reversal is recorded after."""
    require(user, permissions.MODERATE)
    if event.actor_id != user.pk:
        raise NotAllowed("You can only undo your own actions.")
    if event.action not in UNDOABLE:
        raise Invalid(f"{event.action} cannot be undone from here.")
    # A reversal is an event on the same comment: its index finds the few events of that
    # comment, where a search for "undoes" alone would read the whole history.
    if AuditEvent.objects.filter(comment_id=event.comment_id, after__undoes=event.pk).exists():
        raise Conflict("That action was already undone.")
    if event.action == Action.TAG_ADD:
        reversal = retract(
            user,
            Tag.objects.get(pk=event.target_id),
            note="Undone",
            context=context,
            undoes=event.pk,
        )
    else:
        comment = Comment.objects.select_related("article").get(pk=event.comment_id)
        previous = event.before["status"]
        reasons, assignee = [], None
        if event.before.get("assignee"):
            # Undoing what ended an assignment gives the escalation back to its assignee,
            # while they may still take it.
            assignee = (
                permissions.holders(permissions.MODERATE)
                .filter(pk=event.before["assignee"], is_active=True)
                .first()
            )
        if previous == Status.REMOVED:
            earlier = (
                Decision.objects.filter(comment=comment, version=event.before["version"])
                .prefetch_related("reasons")
                .first()
            )
            reasons = list(earlier.reasons.all()) if earlier else []
        reversal = decide(
            user,
            comment,
            previous,
            expected_version=event.after["version"],
            reasons=reasons,
            note="Undone" if previous == Status.APPROVED else "",
            assignee=assignee if previous == Status.ESCALATED else None,
            context=context,
            undoes=event.pk,
        )
    return reversal.audit_event


# Approving a commenter's pending comments at once

APPROVE_AT_ONCE = 100  # decisions in one request (each its own transaction and audit event)


@dataclass
class Approved:
    """What `approve_pending` did: the comments approved with their decisions' audit
    events, how many were decided by someone else meanwhile, and what is still pending."""

    comments: list[Comment] = field(default_factory=list)
    events: dict[int, int] = field(default_factory=dict)  # comment id -> audit event id
    refused: int = 0
    pending: int = 0  # the commenter's pending comments left
    tagged: int = 0  # of them, those carrying tags


def approve_pending(
    user, commenter, *, through: int, expected: int, context: Context | None = None
) -> Approved:
    """Approve a commenter's pending comments that a confirmation showed: those up to comment
    id `through` (a comment posted since is not approved unseen), APPROVE_AT_ONCE at most,
    each by `decide` at the version read now (one decided meanwhile keeps that decision).
    Refused with nothing done if more are approvable than the `expected` the confirmation
    showed (comments sent back to pending since): the moderator looks again."""
    require(user, permissions.MODERATE)
    now_approvable = queries.approvable(commenter, through).count()
    if now_approvable > expected:
        raise Conflict(
            f"{now_approvable - expected} more of {commenter}'s comments became pending since "
            "the confirmation: nothing was approved; look at them again."
        )
    states = queries.approvable(commenter, through).select_related("comment__article__site")
    states = states.defer("comment__article__body", "comment__article__author_bio")
    done = Approved()
    for state in states[:APPROVE_AT_ONCE]:
        try:
            decision = decide(
                user,
                state.comment,
                Status.APPROVED,
                expected_version=state.version,
                context=context,
            )
        except (Conflict, Invalid):
            done.refused += 1  # decided or tagged by someone else meanwhile: theirs stands
        else:
            done.comments.append(state.comment)
            done.events[state.comment_id] = decision.audit_event.pk
    left = ModerationState.objects.filter(commenter=commenter, status=Status.PENDING)
    figures = left.aggregate(
        pending=Count("pk"),
        tagged=Count(
            "pk", filter=Q(Exists(Tag.objects.current().filter(comment=OuterRef("comment_id"))))
        ),
    )
    done.pending, done.tagged = figures["pending"], figures["tagged"]
    return done
