"""Django admin for moderation data and dashboard accounts: read-only, because every change
goes through moderation.services (which audits it); the dashboard's own pages (/users/,
/policy/, the queue) are where people act. Users are never deleted, so the audit history
keeps its actors."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from archive.admin import ReadOnlyAdmin
from moderation.models import (
    AuditEvent,
    Category,
    CommenterBlock,
    CommenterNote,
    Decision,
    ModerationState,
    Policy,
    Tag,
)


@admin.register(Policy)
class PolicyAdmin(ReadOnlyAdmin):
    list_display = ["site", "version", "created_at", "created_by", "note"]
    list_filter = ["site"]
    list_select_related = ["site", "created_by"]


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdmin):
    list_display = ["name", "site", "order", "active"]
    list_filter = ["site", "active"]
    list_select_related = ["site"]


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin):
    list_display = ["comment", "category", "moderator", "created_at", "retracted_at"]
    list_filter = ["category", "moderator"]
    list_select_related = ["comment", "category", "moderator"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["comment", "previous_status", "status", "moderator", "created_at"]
    list_filter = ["status", "moderator"]
    list_select_related = ["comment", "moderator"]


@admin.register(ModerationState)
class ModerationStateAdmin(ReadOnlyAdmin):
    list_display = ["comment", "status", "version"]
    list_filter = ["status"]
    list_select_related = ["comment"]


@admin.register(CommenterBlock)
class CommenterBlockAdmin(ReadOnlyAdmin):
    list_display = ["commenter", "created_by", "created_at", "expires_at", "lifted_at"]
    list_select_related = ["commenter", "created_by"]


@admin.register(CommenterNote)
class CommenterNoteAdmin(ReadOnlyAdmin):
    list_display = ["commenter", "author", "created_at"]
    list_select_related = ["commenter", "author"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "actor_name", "action", "target_type", "target_id"]
    list_filter = ["action"]
    search_fields = ["actor_name", "note", "request_id"]


admin.site.unregister(get_user_model())
admin.site.unregister(Group)


@admin.register(get_user_model())
class UserAdmin(ReadOnlyAdmin):
    list_display = ["username", "email", "is_active", "is_superuser", "last_login"]
    list_filter = ["is_active", "groups"]
    search_fields = ["username", "email"]
    exclude = ["password"]


@admin.register(Group)
class RoleAdmin(ReadOnlyAdmin):
    list_display = ["name"]
