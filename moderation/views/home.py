"""`/`: where each person starts."""

from django.shortcuts import redirect

from moderation import permissions


def home(request):
    if permissions.can(request.user, permissions.MODERATE):
        return redirect("moderation:queue")
    return redirect("archive:article_list")
