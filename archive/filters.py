"""django-filter FilterSets for archive lists."""

import django_filters
from django.db.models import Q

from archive.models import Article, Site


class ArticleFilter(django_filters.FilterSet):
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.all(), empty_label="All sites")
    q = django_filters.CharFilter(method="search", label="Search")

    class Meta:
        model = Article
        fields = ["site", "q"]

    def search(self, queryset, name, value):
        """Title, deck or byline containing every word typed."""
        for word in value.split():
            queryset = queryset.filter(
                Q(title__icontains=word) | Q(deck__icontains=word) | Q(byline__icontains=word)
            )
        return queryset
