"""Roles and what they may do: the one home of the role names and their capabilities.

Roles are groups (`Admin`, `Moderator`, `Researcher`) with the capabilities below, created by
the data migration `0003_roles` (which keeps a frozen copy of `ROLE_CAPABILITIES`, checked
against this one by a test); a user may hold several, and a superuser holds every capability.
Views check capabilities with `require()`; services check them again, so a forged request
that reaches a service still meets the rule.
"""

from django.contrib.auth.decorators import permission_required, user_passes_test
from django.core.exceptions import PermissionDenied

# Capabilities: the permissions of moderation.models.Capability.
MODERATE = "moderation.moderate"
VIEW_AUDIT = "moderation.view_audit"
EDIT_POLICY = "moderation.edit_policy"
MANAGE_USERS = "moderation.manage_users"
EXPORT_DATA = "moderation.export_data"
VIEW_THREADS = "moderation.view_threads"
IMPORT_DATA = "moderation.import_data"

# Roles: the groups.
ADMIN, MODERATOR, RESEARCHER = "Admin", "Moderator", "Researcher"
ROLES = (ADMIN, MODERATOR, RESEARCHER)
ROLE_CAPABILITIES = {
    ADMIN: [
        MODERATE,
        VIEW_AUDIT,
        EDIT_POLICY,
        MANAGE_USERS,
        EXPORT_DATA,
        VIEW_THREADS,
        IMPORT_DATA,
    ],
    MODERATOR: [MODERATE, VIEW_AUDIT, VIEW_THREADS],
    RESEARCHER: [EXPORT_DATA, VIEW_THREADS],
}
# Every role also reads the published record through the archive's own view permissions,
# so the archive never names moderation's capabilities.
VIEW_ARTICLES = "archive.view_article"  # the article list's, there and here
ARCHIVE_READ = ["archive.view_site", VIEW_ARTICLES, "archive.view_commenter",
                "archive.view_comment"]  # fmt: skip


def can(user, capability: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(capability))


def holders(capability: str):
    """The active users who have `capability` now: through a role, granted to them
    directly, or as superusers (what `can` checks, as one query)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    app_label, codename = capability.split(".")
    granted = {"permissions__codename": codename, "permissions__content_type__app_label": app_label}
    direct = {f"user_{key}": value for key, value in granted.items()}
    through_role = {f"groups__{key}": value for key, value in granted.items()}
    users = get_user_model().objects.filter(is_active=True)
    return users.filter(Q(**through_role) | Q(**direct) | Q(is_superuser=True)).distinct()


def can_any(user, *capabilities: str) -> bool:
    return any(can(user, capability) for capability in capabilities)


def require_any(*capabilities: str):
    """View decorator: 403 unless the user has at least one of the capabilities."""

    def check(user):
        if can_any(user, *capabilities):
            return True
        raise PermissionDenied

    return user_passes_test(check)


# Who reads each site's policy and category definitions: everyone who applies them, edits
# them or exports labels made with them.
READ_POLICY = (MODERATE, EDIT_POLICY, EXPORT_DATA)


def require(*capabilities: str):
    """View decorator: 403 unless the user has every capability. It is Django's own
    `permission_required` (the archive's pages use it directly); login is checked before by
    LoginRequiredMiddleware. Put it outermost, above `require_POST`: someone without the
    capability learns nothing about the methods a URL takes."""
    return permission_required(capabilities, raise_exception=True)
