"""Imports and exports, put on the record: one audit event per imported file (inside the
import's own transaction) and per export (before its first byte leaves). What moderation
keeps for each new comment and commenter (its state, its record) is made here too, as part
of the import or save that stored them: it is not a judgement, so it has no event of its own.
"""

from django.db import transaction
from django.utils import timezone

from archive.models import Comment, Commenter
from moderation import permissions
from moderation.actions import Action
from moderation.audit import Context
from moderation.models import AuditEvent, CommenterRecord, ModerationState, Status
from moderation.services._common import append, change_record, require
from moderation.services.errors import NotAllowed
from moderation.services.locks import retried

# Imports (the archive's signals)

BATCH = 500


def open_states(comments) -> int:
    """Give each of `comments` (a Comment queryset) that has none its moderation state:
    pending at version 0, queued at its posting time, or now when the source gave none.
    Returns how many were made (a few queries per 500 comments)."""
    now = timezone.now()
    missing = comments.filter(moderation__isnull=True).order_by("pk")
    rows = list(
        missing.values_list("pk", "article__site_id", "article_id", "commenter_id", "posted_at")
    )
    ModerationState.objects.bulk_create(
        (
            ModerationState(
                comment_id=pk,
                site_id=site,
                article_id=article,
                commenter_id=commenter,
                queued_at=posted or now,
            )
            for pk, site, article, commenter, posted in rows
        ),
        batch_size=BATCH,
    )
    return len(rows)


def follow_comments(comments) -> int:
    """After a re-import: a comment whose author changed at the source (a WordPress export
    can rename one) moves its state's copy of the commenter, and its removal, if removed, to
    the commenter it now has. Returns how many moved (a query over the file's comments)."""
    moved = [
        (state, old, new, status)
        for state, old, new, status in ModerationState.objects.filter(
            comment__in=comments
        ).values_list("pk", "commenter_id", "comment__commenter_id", "status")
        if old != new
    ]
    for state, old, new, status in moved:
        ModerationState.objects.filter(pk=state).update(commenter_id=new)
        if status == Status.REMOVED:
            change_record(old, removals=-1)
            change_record(new, removals=1)
    return len(moved)


def open_records(commenters) -> int:
    """Give each of `commenters` (a Commenter queryset) that has none its record."""
    missing = list(commenters.filter(record__isnull=True).values_list("pk", flat=True))
    CommenterRecord.objects.bulk_create(
        (CommenterRecord(commenter_id=pk) for pk in missing), batch_size=BATCH
    )
    return len(missing)


def opened_comment(comment: Comment) -> None:
    """One comment saved on its own (not by an import): its state."""
    open_states(Comment.objects.filter(pk=comment.pk))


def opened_commenter(commenter: Commenter) -> None:
    open_records(Commenter.objects.filter(pk=commenter.pk))


def record_import(*, site, source, origin, report, user=None) -> AuditEvent:
    """One audit event per imported file, inside the import's own transaction."""
    return append(
        actor=user,
        action=Action.IMPORT,
        target=site,
        after={
            "source": source,
            "file": origin,
            "articles_created": report.articles_created,
            "articles_updated": report.articles_updated,
            "comments_created": report.comments_created,
            "comments_updated": report.comments_updated,
            "comments_unchanged": report.comments_unchanged,
            "commenters_created": report.commenters_created,
            # What the file held that was cut or left out, and a change of the posted policy.
            "warnings": [f"{w.where}: {w.message}" for w in report.warnings][:100],
            "policy_changed": report.policy_change is not None,
        },
        note=origin,
        site=site,
    )


# Research exports


@retried
def record_export(
    actor,
    *,
    what: str,
    filters: dict,
    rows: int,
    real_names: bool = False,
    context: Context | None = None,
) -> AuditEvent:
    """Every export is on the record: who, what, with which filters, how many rows. Real
    names instead of pseudonyms only for an Admin who asks for them explicitly."""
    require(actor, permissions.EXPORT_DATA)
    if real_names and not permissions.can(actor, permissions.MANAGE_USERS):
        raise NotAllowed("Only an Admin may export real names instead of pseudonyms.")
    with transaction.atomic():
        return append(
            actor=actor,
            action=Action.EXPORT,
            target=None,
            after={"what": what, "filters": filters, "rows": rows, "real_names": real_names},
            note=f"{what}: {rows} row(s){' with real names' if real_names else ''}",
            context=context,
        )
