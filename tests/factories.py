"""Small factories for test data, built in code rather than JSON."""

from itertools import count

from django.contrib.auth import get_user_model

from archive.models import Article, Comment, Commenter, Site, Source
from archive.sanitize import sanitize, text_to_html

_seq = count(1)


def make_user(username, password="correct horse battery staple", **fields):
    return get_user_model().objects.create_user(username=username, password=password, **fields)


def make_site(name="Example News", **fields):
    return Site.objects.get_or_create(name=name, defaults=fields)[0]


def make_article(site=None, title=None, **fields):
    n = next(_seq)
    return Article.objects.create(
        site=site or make_site(),
        title=title or f"Article {n}",
        source=Source.PAGE,
        source_key=fields.pop("source_key", f"article-{n}"),
        **fields,
    )


def make_commenter(site, name):
    return Commenter.objects.get_or_create(site=site, name=name)[0]


def make_comment(article, text="A comment.", *, parent=None, author=None, position=None):
    order = Comment.objects.filter(article=article).count()
    if position is None:
        siblings = Comment.objects.filter(article=article, parent=parent).count()
        position = f"{parent.position}.{siblings + 1}" if parent else str(siblings + 1)
    return Comment.objects.create(
        article=article,
        parent=parent,
        commenter=make_commenter(article.site, author) if author else None,
        position=position,
        thread_order=order,
        body_text=text,
        body_html=sanitize(text_to_html(text)),
        source=article.source,
        source_key=position,
    )


def make_thread(article, top_level, replies_each=0):
    """`top_level` comments, each with `replies_each` replies, in page order."""
    made = []
    for i in range(top_level):
        parent = make_comment(article, f"Comment {i + 1}", author=f"Reader {i % 7}")
        made.append(parent)
        for j in range(replies_each):
            made.append(make_comment(article, f"Reply {j + 1}", parent=parent))
    return made


def make_member(username, *roles):
    """A user in the given role groups (Admin, Moderator, Researcher), made by migration."""
    from django.contrib.auth.models import Group

    user = make_user(username)
    user.groups.add(*Group.objects.filter(name__in=roles))
    return user


def make_moderator(username="mona"):
    return make_member(username, "Moderator")


def make_researcher(username="rhea"):
    return make_member(username, "Researcher")


def make_admin(username="ada"):
    return make_member(username, "Admin")


def make_superuser(username="root"):
    """Django's superuser: for Django's own admin site, never a stand-in for the Admin role."""
    return get_user_model().objects.create_superuser(
        username=username, password="correct horse battery staple"
    )


def category(site, slug):
    from moderation.models import Category

    return Category.objects.get(site=site, slug=slug)


def named(comment) -> str:
    """How the dashboard's messages name a comment (articles here have short titles)."""
    return f"comment {comment.position} on “{comment.article.title}” (#{comment.pk})"


def Named(comment) -> str:  # the same, at the start of a sentence
    return named(comment)[0].upper() + named(comment)[1:]
