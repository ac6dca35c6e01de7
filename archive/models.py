"""Sites, articles, commenters and comments, as published.

Every model has a natural key, so `dumpdata --natural-primary --natural-foreign` fixtures load
into any database without clashing ids, and re-importing a source updates rows in place
instead of duplicating them.
"""

from django.db import models
from django.db.models import Count, F


class SiteManager(models.Manager):
    def get_by_natural_key(self, name):
        return self.get(name=name)


class Site(models.Model):
    name = models.CharField(max_length=200, unique=True)
    domain = models.CharField(max_length=253, blank=True)
    policy_text = models.TextField(
        blank=True, help_text="The discussion policy as posted on the site's pages."
    )

    objects = SiteManager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.name,)


class ArticleQuerySet(models.QuerySet):
    def for_list(self):
        """Articles with their site, newest first, for list pages; `count_comments` then
        gives a page of them their comment counts."""
        return self.select_related("site").order_by(
            F("published_at").desc(nulls_last=True), "title", "pk"
        )


def count_comments(articles) -> None:
    """Set `comment_count` on each of `articles` (a page of them) in one grouped query over
    their comments alone: never an aggregate over every comment in the archive."""
    counts = dict(
        Comment.objects.filter(article__in=[a.pk for a in articles])
        .order_by()
        .values_list("article")
        .annotate(n=Count("pk"))
    )
    for article in articles:
        article.comment_count = counts.get(article.pk, 0)


class ArticleManager(models.Manager.from_queryset(ArticleQuerySet)):
    def get_by_natural_key(self, site_name, source, source_key):
        return self.get(site__name=site_name, source=source, source_key=source_key)


class Source(models.TextChoices):
    PAGE = "page", "Page capture"
    WXR = "wxr", "WordPress export"
    DISQUS = "disqus", "Disqus export"


class Article(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="articles")
    title = models.CharField(max_length=500)
    deck = models.TextField(blank=True, help_text="Subtitle shown under the title.")
    byline = models.CharField(max_length=300, blank=True)
    author_bio = models.TextField(blank=True, help_text="The author box printed with the article.")
    published_at = models.DateTimeField(null=True, blank=True)
    source_url = models.URLField(max_length=1000, blank=True)
    body = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    source_key = models.CharField(
        max_length=200,
        help_text="Stable id within the source: the capture's file name, the WordPress post id.",
    )

    objects = ArticleManager()

    class Meta:
        ordering = ["site__name", "-published_at", "title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "source", "source_key"], name="article_unique_source_key"
            )
        ]

    def __str__(self):
        return self.title

    def natural_key(self):
        return (*self.site.natural_key(), self.source, self.source_key)

    natural_key.dependencies = ["archive.site"]


class CommenterManager(models.Manager):
    def get_by_natural_key(self, site_name, name):
        return self.get(site__name=site_name, name=name)


class Commenter(models.Model):
    """A display name on one site. Anonymous comments have no commenter at all."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="commenters")
    name = models.CharField(max_length=300)

    objects = CommenterManager()

    class Meta:
        ordering = ["site__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="commenter_unique_name")
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (*self.site.natural_key(), self.name)

    natural_key.dependencies = ["archive.site"]


def thread_order(comments: list["Comment"]) -> list["Comment"]:
    """Comments in reading order, each reply right after its parent and earlier replies, with
    `.tree_depth` set from the tree (robust even if stored order and positions disagree).
    `comments` come in thread_order; a reply whose parent is not among them is top-level."""
    by_parent: dict[int | None, list[Comment]] = {}
    ids = {c.pk for c in comments}
    for comment in comments:
        parent = comment.parent_id if comment.parent_id in ids else None
        by_parent.setdefault(parent, []).append(comment)
    ordered: list[Comment] = []
    stack = [(c, 0) for c in reversed(by_parent.get(None, []))]
    while stack:
        comment, depth = stack.pop()
        comment.tree_depth = depth
        ordered.append(comment)
        stack.extend((reply, depth + 1) for reply in reversed(by_parent.get(comment.pk, [])))
    return ordered


class CommentManager(models.Manager):
    def get_by_natural_key(self, site_name, source, article_key, source_key):
        return self.get(
            article__site__name=site_name,
            article__source=source,
            article__source_key=article_key,
            source_key=source_key,
        )


# "2.1.1…": room for replies about 120 levels deep; the loader refuses deeper threads.
POSITION_MAX_LENGTH = 255


class SourceStatus(models.TextChoices):
    PUBLISHED = "published", "Published"
    # WordPress's comment_approved=0: submitted, waiting for a moderator, never shown to readers.
    HELD = "held", "Held for moderation"


class Comment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    commenter = models.ForeignKey(
        Commenter, null=True, blank=True, on_delete=models.PROTECT, related_name="comments"
    )
    position = models.CharField(
        max_length=POSITION_MAX_LENGTH,
        help_text="Number shown on the page: 2 for a comment, 2.1 for its reply.",
    )
    thread_order = models.PositiveIntegerField(
        help_text="Order in which the page shows the comment (0 first)."
    )
    posted_at = models.DateTimeField(null=True, blank=True)
    body_text = models.TextField(blank=True, help_text="The text exactly as published.")
    body_html = models.TextField(blank=True, help_text="Sanitized once, on import.")
    source_status = models.CharField(
        max_length=10, choices=SourceStatus.choices, default=SourceStatus.PUBLISHED
    )
    missing_from_source = models.BooleanField(
        default=False,
        help_text="Not in the latest import of its source: deleted or edited there. Kept, with "
        "whatever moderation it carries.",
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    source_key = models.CharField(
        max_length=200, help_text="Stable id within the article's source."
    )

    objects = CommentManager()

    class Meta:
        ordering = ["article", "thread_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "source_key"], name="comment_unique_source_key"
            )
        ]
        indexes = [models.Index(fields=["article", "thread_order"])]

    def __str__(self):
        return f"{self.article_id}#{self.position}"

    def natural_key(self):
        return (*self.article.natural_key(), self.source_key)

    natural_key.dependencies = ["archive.article", "archive.commenter"]

    @property
    def depth(self):
        """0 for a top-level comment, 1 for a reply, and so on."""
        return self.position.count(".")

    @property
    def author_name(self):
        return self.commenter.name if self.commenter_id else "Anonymous"
