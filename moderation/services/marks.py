"""The queue's marks (`models.CategoryMark`, `models.ModeratorMark`): which comments each
category's and each moderator's queue holds, with copies of the comment's status and queue
time, so a queue filtered by either is one walk along an index at any size.

A comment is in a category's queue while it has a current tag in the category or its
current decision removed it for the category; it is in a moderator's queue once they have
tagged it (a retracted tag too) or decided it. `sync(comment)` makes a comment's marks say
that, inside the transaction of the tag, retraction or decision that changed it, under the
comment's row lock (taken first by each of those services), so two of them on one comment
cannot leave its marks out of date. `rebuild()` makes every mark again from the tags and
decisions, in two statements: for a bulk load (`generate_corpus`) and the migration.
"""

from django.db import connection

from moderation.models import CategoryMark, Decision, ModerationState, ModeratorMark, Tag


def sync(comment_id: int) -> None:
    """Make one comment's marks what its tags, decisions and state say (a few queries)."""
    status, queued_at, decision_id = (
        ModerationState.objects.filter(comment_id=comment_id)
        .values_list("status", "queued_at", "decision_id")
        .get()
    )
    tags = list(
        Tag.objects.filter(comment_id=comment_id).values_list(
            "category_id", "moderator_id", "retracted_at"
        )
    )
    categories = {category for category, _, retracted in tags if retracted is None}
    moderators = {moderator for _, moderator, _ in tags}
    moderators |= set(
        Decision.objects.filter(comment_id=comment_id).values_list("moderator_id", flat=True)
    )
    if decision_id is not None:
        categories |= set(
            Decision.reasons.through.objects.filter(decision_id=decision_id).values_list(
                "category_id", flat=True
            )
        )
    _sync(CategoryMark, "category_id", comment_id, categories, status, queued_at)
    _sync(ModeratorMark, "moderator_id", comment_id, moderators, status, queued_at)


def _sync(model, key: str, comment_id: int, wanted: set, status: str, queued_at) -> None:
    marks = model.objects.filter(comment_id=comment_id)
    have = dict(marks.values_list(key, "status"))
    if gone := have.keys() - wanted:
        marks.filter(**{f"{key}__in": gone}).delete()
    if stale := [k for k in wanted & have.keys() if have[k] != status]:
        marks.filter(**{f"{key}__in": stale}).update(status=status)
    model.objects.bulk_create(
        model(comment_id=comment_id, status=status, queued_at=queued_at, **{key: k})
        for k in sorted(wanted - have.keys())
    )


# Every mark, from the tags and decisions: the same rule as `sync`, as set operations.
CATEGORY_MARKS = """
    INSERT INTO moderation_categorymark (comment_id, category_id, status, queued_at)
    SELECT s.comment_id, t.category_id, s.status, s.queued_at
      FROM moderation_moderationstate s
      JOIN moderation_tag t ON t.comment_id = s.comment_id AND t.retracted_at IS NULL
    UNION
    SELECT s.comment_id, r.category_id, s.status, s.queued_at
      FROM moderation_moderationstate s
      JOIN moderation_decision_reasons r ON r.decision_id = s.decision_id
"""
MODERATOR_MARKS = """
    INSERT INTO moderation_moderatormark (comment_id, moderator_id, status, queued_at)
    SELECT s.comment_id, t.moderator_id, s.status, s.queued_at
      FROM moderation_moderationstate s
      JOIN moderation_tag t ON t.comment_id = s.comment_id
    UNION
    SELECT s.comment_id, d.moderator_id, s.status, s.queued_at
      FROM moderation_moderationstate s
      JOIN moderation_decision d ON d.comment_id = s.comment_id
"""


def rebuild() -> None:
    """Every comment's marks made again from scratch (for bulk writers, which bypass
    `sync`). Run it inside a transaction, with no other writer."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM moderation_categorymark")
        cursor.execute("DELETE FROM moderation_moderatormark")
        cursor.execute(CATEGORY_MARKS)
        cursor.execute(MODERATOR_MARKS)
