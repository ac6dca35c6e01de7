"""Imports and exports, put on the record: one audit event per imported file (inside the
import's own transaction) and per export (before its first byte leaves). What moderation
keeps for each new comment and commenter (its state, its record, its article's queue counts)
and its screening scores against its site's word lists, are made here too, as part of the
import or save that stored them: they are not judgements, so they have no event of their
own.
"""

from collections import Counter

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from archive.importing import bulk
from archive.models import Comment, Commenter
from moderation import permissions
from moderation.actions import Action
from moderation.audit import Context
from moderation.models import AuditEvent, CommenterRecord, ModerationState, Status
from moderation.screening import scoring
from moderation.services import insights, queue_counts
from moderation.services._common import append, change_record, require
from moderation.services.errors import NotAllowed
from moderation.services.locks import retried

# Imports (the archive's signals)

BATCH = 500
PENDING = Status.PENDING.value


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
    queue_counts.opened(Counter(article for _, _, article, _, _ in rows))
    insights.arrived((site, posted or now) for _, site, _, _, posted in rows)
    if settings.SCREENING_AT_IMPORT:
        scoring.score_comments([pk for pk, _, _, _, _ in rows])
    return len(rows)


def open_imported(site, comments: list, commenters: list[Commenter]) -> None:
    """What an import's chunk of new rows needs: a state for each of `comments` (the new
    comments, each with its `pk`, `article_id`, `commenter_id` and `posted_at`: pending at
    version 0, queued at its posting time, or now when the source gave none) and a record
    for each of `commenters` (new ones). Nothing is looked up: an insert per chunk."""
    now = timezone.now()
    bulk.insert(
        ModerationState,
        ["comment_id", "site_id", "article_id", "commenter_id", "queued_at", "status", "version"],
        [
            (c.pk, site.pk, c.article_id, c.commenter_id, c.posted_at or now, PENDING, 0)
            for c in comments
        ],
    )
    queue_counts.opened(Counter(c.article_id for c in comments))
    insights.arrived(((site.pk, c.posted_at or now) for c in comments), importing=site)
    if settings.SCREENING_AT_IMPORT:
        scoring.score_texts([(c.pk, site.pk, c.body_text) for c in comments], fresh=True)
    CommenterRecord.objects.bulk_create(
        (CommenterRecord(commenter_id=c.pk) for c in commenters), batch_size=BATCH
    )


def follow_comments(comments: list[Comment], *, site=None) -> int:
    """After a re-import: a comment whose author changed at the source (a WordPress export
    can rename one) moves its state's copy of the commenter, and its removal, if removed, to
    the commenter it now has. `comments`: the Comment rows the import changed, as saved;
    `site`: the site the import writes with (its insights wait for the import's end).
    Returns how many moved (a query per 500 comments, and a few per commenter involved)."""
    now_by = {c.pk: c.commenter_id for c in comments}
    ids = list(now_by)
    moves: dict[int | None, list[int]] = {}  # new commenter -> the states that move to it
    removals: Counter = Counter()  # commenter -> change in its removals
    removed: list[tuple] = []  # (removal decision, site, old commenter, new commenter)
    for i in range(0, len(ids), BATCH):
        for state, comment, old, status, site_id, decision in ModerationState.objects.filter(
            comment_id__in=ids[i : i + BATCH]
        ).values_list("pk", "comment_id", "commenter_id", "status", "site_id", "decision_id"):
            new = now_by[comment]
            if old != new:
                moves.setdefault(new, []).append(state)
                if status == Status.REMOVED:
                    removals[old] -= 1
                    removals[new] += 1
                    removed.append((decision, site_id, old, new))
    for new, states in moves.items():
        ModerationState.objects.filter(pk__in=states).update(commenter_id=new)
    # The insights' repeat offenders follow too. In an import both wait for its end
    # (`finish_import`), taken there in the lock order: the roll-ups, then the records.
    insights.commenter_changed(removed, importing=site)
    if site is None:
        _change_records(removals)
    else:
        site.__dict__.setdefault(PENDING_RECORDS, Counter()).update(removals)
    return sum(len(states) for states in moves.values())


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


# An import's changes to commenters' records, kept for its end as the insights' are.
PENDING_RECORDS = "_records_pending"


def _change_records(removals: Counter) -> None:
    for commenter, change in sorted(removals.items(), key=lambda item: item[0] or 0):
        if change:
            change_record(commenter, removals=change)


def finish_import(site) -> None:
    """What an import kept for its end: the insights' changes, then the commenters'
    records (the lock order), before anything at its end takes the audit head."""
    insights.flush(site)
    _change_records(site.__dict__.pop(PENDING_RECORDS, Counter()))


def record_import(*, site, source, origin, report, user=None) -> AuditEvent:
    """One audit event per imported file, inside the import's own transaction (after what
    the import kept for its end: `finish_import`)."""
    finish_import(site)
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
    rows: dict[str, int],
    real_names: bool = False,
    context: Context | None = None,
) -> AuditEvent:
    """Every export is on the record: who, what, with which filters, and how many rows of
    each table the file covers (`Export.rows`: {"comments": n, "labels": m} for the bundle).
    Real names instead of pseudonyms only for an Admin who asks for them explicitly."""
    require(actor, permissions.EXPORT_DATA)
    if real_names and not permissions.can(actor, permissions.MANAGE_USERS):
        raise NotAllowed("Only an Admin may export real names instead of pseudonyms.")
    with transaction.atomic():
        return append(
            actor=actor,
            action=Action.EXPORT,
            target=None,
            after={"what": what, "filters": filters, "rows": rows, "real_names": real_names},
            note=f"{what}: {_rows_note(rows)}{' with real names' if real_names else ''}",
            context=context,
        )


def _rows_note(rows: dict[str, int]) -> str:
    return ", ".join(f"{n} {table} row(s)" for table, n in rows.items())
