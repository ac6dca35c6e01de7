"""Values every template may need, from their one home in the code."""

from moderation.models import NOTE_MAX_LENGTH


def limits(request):
    """Limits that hand-written form fields state (the services enforce them)."""
    return {"NOTE_MAX_LENGTH": NOTE_MAX_LENGTH}
