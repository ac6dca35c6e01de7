from django.urls import path

from archive import views

app_name = "archive"

urlpatterns = [
    # /articles/
    path("articles/", views.article_list, name="article_list"),
]
