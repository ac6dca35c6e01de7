"""The error handler for what escapes the views' middleware (`handler500` in urls.py)."""

import sys

from django.views import defaults

from moderation.middleware import busy
from moderation.services.locks import is_contention


def server_error(request):
    """A lost lock race outside a view (saving the session, say) is 503 with Retry-After, like
    one in a view (ContentionMiddleware); anything else is Django's own 500 page. Django calls
    this while handling the exception, so `sys.exc_info()` is that exception."""
    if is_contention(sys.exc_info()[1]):
        return busy(request)
    return defaults.server_error(request)
