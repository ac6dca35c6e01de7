"""Values every template may need, from their one home in the code."""

from django.utils.functional import SimpleLazyObject

from moderation.models import NOTE_MAX_LENGTH, ModerationState, Status
from moderation.pagination import COUNT_CAP, CappedCount


def limits(request):
    """Limits that hand-written form fields state (the services enforce them)."""
    return {"NOTE_MAX_LENGTH": NOTE_MAX_LENGTH}


def waiting(request):
    """`pending_waiting`: how many comments wait for a decision, for the navigation's badge,
    capped as every count (one walk of at most a thousand entries of the status index),
    counted only when a template shows it (to moderators)."""

    def count():
        # A plain capped count: one index walk, never a parallel plan (pagination's own
        # capped_count turns those off at the price of three more round trips).
        return CappedCount.of(
            ModerationState.objects.filter(status=Status.PENDING)[: COUNT_CAP + 1].count()
        )

    return {"pending_waiting": SimpleLazyObject(count)}
