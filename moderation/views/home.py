"""`/`: where each person starts."""

from django.shortcuts import redirect, render

from moderation import permissions


def home(request):
    if permissions.can(request.user, permissions.MODERATE):
        return redirect("moderation:queue")
    if request.user.has_perm("archive.view_article"):
        return redirect("archive:article_list")
    # Logged in, but no role yet: say so instead of a wall of 403s.
    return render(request, "moderation/no_role.html")
