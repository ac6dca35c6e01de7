"""Read-side queries for moderation pages, each fetching what its page shows in a fixed
number of queries, whatever the number of rows."""

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce

from archive.models import Comment
from moderation.models import CommenterBlock, ModerationState, Status, Tag


def with_status(queryset):
    """Annotate `status` (pending when no decision was ever made) and `version`."""
    return queryset.annotate(
        status=Coalesce(F("moderation__status"), Value(Status.PENDING)),
        version=Coalesce(F("moderation__version"), 0),
    )


def prior_removals():
    """How many of the same commenter's comments are removed (a repeat offender's count)."""
    removed = (
        ModerationState.objects.filter(
            status=Status.REMOVED, comment__commenter=OuterRef("commenter")
        )
        .order_by()
        .values("comment__commenter")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(removed), 0)


def blocked():
    """Whether the comment's commenter is blocked right now (one subquery, not a query a row)."""
    return Exists(CommenterBlock.objects.in_force().filter(commenter=OuterRef("commenter")))


def for_queue(queryset=None):
    """Comments with everything a queue row or a moderated thread shows: article and site,
    commenter and their prior removals, parent's text, status and version, current tags
    with categories and moderators, and the last decision's reasons."""
    queryset = Comment.objects.all() if queryset is None else queryset
    return with_status(
        queryset.select_related(
            "article__site", "commenter", "parent", "moderation__decision__moderator"
        )
        .annotate(commenter_removals=prior_removals(), commenter_blocked=blocked())
        .prefetch_related(
            Prefetch(
                "tags",
                queryset=Tag.objects.current().select_related("category", "moderator"),
                to_attr="current_tags",
            ),
            "moderation__decision__reasons",
        )
    )


def pending_q():
    return Q(moderation__isnull=True) | Q(moderation__status=Status.PENDING)
