"""Roles and what they may do.

Roles are groups (`Admin`, `Moderator`, `Researcher`) created by a data migration with the
capabilities below; a user may hold several, and a superuser holds every capability. Views
check capabilities with `require()`; services check them again, so a forged request that
reaches a service still meets the rule.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied

MODERATE = "moderation.moderate"
VIEW_AUDIT = "moderation.view_audit"
EDIT_POLICY = "moderation.edit_policy"
MANAGE_USERS = "moderation.manage_users"
EXPORT_DATA = "moderation.export_data"
VIEW_THREADS = "moderation.view_threads"

ADMIN, MODERATOR, RESEARCHER = "Admin", "Moderator", "Researcher"  # the groups


def can(user, capability: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(capability))


def require(*capabilities: str):
    """View decorator: 403 unless the user has every capability (login is checked first by
    LoginRequiredMiddleware)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not all(can(request.user, c) for c in capabilities):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_capabilities = capabilities
        return wrapped

    return decorator
