"""Read-only admin for the archive: rows change only through the importers."""

from django.contrib import admin

from archive.models import Article, Comment, Commenter, Site


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Site)
class SiteAdmin(ReadOnlyAdmin):
    list_display = ["name", "domain"]


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ["title", "site", "byline", "published_at", "source"]
    list_filter = ["site", "source"]
    search_fields = ["title"]
    list_select_related = ["site"]


@admin.register(Commenter)
class CommenterAdmin(ReadOnlyAdmin):
    list_display = ["name", "site"]
    list_filter = ["site"]
    search_fields = ["name"]
    list_select_related = ["site"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "article", "commenter", "position", "source_status"]
    list_filter = ["source_status", "article__site"]
    search_fields = ["body_text"]
    list_select_related = ["article", "commenter"]
