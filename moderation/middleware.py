"""Gives every request an id, so audit events can be traced back to the request that made them;
answers a request that lost a lock race with 503 instead of 500."""

import logging
import re
import uuid

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

from moderation.protocol import wants_json
from moderation.services.locks import is_contention

log = logging.getLogger(__name__)

_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdMiddleware:
    """Gives every request an id of our own (never the client's: the audit log records it),
    and echoes it back. A proxy's X-Request-ID is kept beside it, as `forwarded_request_id`,
    only when the deployment trusts its proxy to set that header
    (DJANGO_TRUST_FORWARDED_REQUEST_ID) and only when well formed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        incoming = request.headers.get("X-Request-ID", "")
        trusted = settings.TRUST_FORWARDED_REQUEST_ID and _SAFE_ID.fullmatch(incoming)
        request.forwarded_request_id = incoming if trusted else ""
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


# Lost lock races


RETRY_AFTER_SECONDS = 2
BUSY = (
    "The database was busy with other people's changes and this request could not finish, "
    "so what it asked for may not have been saved. Reload the page to see where things "
    "stand, then try again."
)


def busy(request):
    """503 with Retry-After: JSON for the page's scripts (`kind: "busy"`), else a short page."""
    if wants_json(request):
        response = JsonResponse({"ok": False, "kind": "busy", "error": BUSY}, status=503)
    else:
        response = render(request, "503.html", {"message": BUSY}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class ContentionMiddleware:
    """A deadlock, lock timeout or busy SQLite database that the services' retries did not
    get past (see moderation/services/locks.py) is a moment of contention, not a bug: answer
    503 with Retry-After. Anything else goes on to the usual 500. (Outside views, e.g. saving
    the session, `moderation.views.errors.server_error` does the same.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_contention(exception):
            log.warning("%s %s: %s", request.method, request.path, exception)
            return busy(request)
        return None


class BodyLimitMiddleware:
    """Refuses a request body larger than it may be, from its Content-Length, before anything
    reads it (the CSRF check reads a POST's body, and Django would spool a file upload to
    disk first): 413 for a body over IMPORT_MAX_UPLOAD_BYTES at /imports/, or over
    MAX_REQUEST_BYTES anywhere else (no other page takes files)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = request.META.get("CONTENT_LENGTH") or ""
        if length.isascii() and length.isdigit():
            limit, shown, what = self._limit(request)
            if int(length) > limit:
                message = (
                    f"The request is larger than {what} may be ({shown:,} bytes). "
                    "Import larger exports with the import commands."
                )
                if wants_json(request):
                    return JsonResponse({"error": message}, status=413)
                return render(request, "413.html", {"message": message}, status=413)
        return self.get_response(request)

    @staticmethod
    def _limit(request) -> tuple[int, int, str]:
        """(the most bytes the body may have, the limit to name, what is limited)"""
        from django.urls import reverse

        if request.path == reverse("moderation:imports"):
            # The form's other fields and the multipart framing come on top of the file.
            upload = settings.IMPORT_MAX_UPLOAD_BYTES
            return upload + 64 * 1024, upload, "an upload"
        return settings.MAX_REQUEST_BYTES, settings.MAX_REQUEST_BYTES, "a request"
