from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    # /: the home page
    path("", RedirectView.as_view(pattern_name="archive:article_list"), name="home"),
    # /articles/…: the published record
    path("", include("archive.urls")),
    # /accounts/…: log in, log out, password reset
    path("accounts/", include("django.contrib.auth.urls")),
    # /admin/: Django's admin
    path("admin/", admin.site.urls),
]
