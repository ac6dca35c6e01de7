"""Who sent a request: one answer for the lockout, the rate limits and the audit log."""

from django.conf import settings


def client_address(request) -> str | None:
    """Who sent the request. Directly: REMOTE_ADDR. Behind the TLS proxy
    (DJANGO_BEHIND_TLS_PROXY), REMOTE_ADDR is the proxy's, the same for everyone: the client
    is the last address in X-Forwarded-For, the one the proxy appended itself (whatever a
    client put before it is not trusted). The lockout, the rate limits and the audit log
    all read it here."""
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR") or None
