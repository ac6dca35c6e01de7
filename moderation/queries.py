"""Read-side queries for moderation pages, each fetching what its page shows in a fixed
number of queries, whatever the number of rows."""

from dataclasses import dataclass
from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join

from archive.models import Article, Comment, Site, SourceStatus, thread_order
from moderation import permissions
from moderation.models import (
    FLAG_THRESHOLD,
    AuditEvent,
    Category,
    CommenterBlock,
    CommenterNote,
    ModerationState,
    Policy,
    ScreeningScore,
    Status,
    Tag,
)
from moderation.screening import sources as screening_sources

# A thread is shown a stretch at a time: this many top-level comments, with their replies.
TOP_LEVEL_PER_CHUNK = 40


def with_status(queryset):
    """Annotate `status` and `version` (every comment has its state)."""
    return queryset.annotate(status=F("moderation__status"), version=F("moderation__version"))


def with_record(queryset):
    """Annotate what the commenter's record says: `commenter_removals` (their comments
    removed now) and `commenter_blocked` (a block in force now). Joins, no subquery."""
    record = "commenter__record__"
    blocked_now = Q(**{f"{record}blocked": True}) & (
        Q(**{f"{record}blocked_until__isnull": True})
        | Q(**{f"{record}blocked_until__gt": timezone.now()})
    )
    return queryset.annotate(
        commenter_removals=Coalesce(F(f"{record}removals"), 0),
        commenter_blocked=ExpressionWrapper(blocked_now, output_field=BooleanField()),
    )


def for_queue(queryset=None):
    """Comments with everything a queue row or a moderated thread shows: article and site,
    commenter and their prior removals, parent's text, status and version, current tags
    with categories and moderators, and the last decision's reasons."""
    queryset = Comment.objects.all() if queryset is None else queryset
    return with_record(
        with_status(
            queryset.select_related(
                "article__site",
                "commenter",
                "parent",
                "moderation__decision__moderator",
                "moderation__assignee",
            )
        )
    ).prefetch_related(
        Prefetch(
            "tags",
            queryset=Tag.objects.current().select_related("category", "moderator"),
            to_attr="current_tags",
        ),
        "moderation__decision__reasons",
    )


def queue_rows(ids):
    """The queue rows of comments `ids`: `for_queue` by primary key."""
    return for_queue(Comment.objects.filter(pk__in=ids))


def prepare(comments, *, categories: bool = True) -> dict[int, list[Category]]:
    """Give each comment (from `for_queue` or `thread_comments`) what its controls show:
    `status_label`, `decision` (the last one, or None) and, with `categories`,
    `site_categories` (the active categories of its site, in keyboard order) and
    `category_options` (them as the <option>s of a select), and `assignee_options` (who
    may take an escalation, as <option>s); and the addresses its row links and posts to
    (`decide_url`, `tag_url`, `thread_url`, `commenter_url`). Returns those categories by
    site. Two queries, whatever the number of comments."""
    site_ids = {c.article.site_id for c in comments} if categories else set()
    by_site: dict[int, list[Category]] = {}
    if site_ids:
        active = Category.objects.active().filter(site__in=site_ids).select_related("site")
        for category in active.order_by("site__name", "order", "pk"):
            by_site.setdefault(category.site_id, []).append(category)
    # The same <option>s for every comment of a site, twice a row: made once per site here
    # rather than by the template for every row (most of a queue page's rendering time).
    options = {
        site: format_html_join(
            "",
            '<option value="{}" data-order="{}" title="{}">{} · {}</option>',
            ((c.pk, c.order, c.definition, c.order, c.name) for c in categories),
        )
        for site, categories in by_site.items()
    }
    assignees = ""
    if categories and comments:
        people = permissions.holders(permissions.MODERATE).order_by("username")
        assignees = format_html_join(
            "", '<option value="{}">{}</option>', people.values_list("pk", "username")
        )
    decide_url, tag_url = url_maker("moderation:decide"), url_maker("moderation:tag")
    thread_url, commenter_url = url_maker("moderation:thread"), url_maker("moderation:commenter")
    context_url = url_maker("moderation:context")
    review_url, gold_url = url_maker("moderation:review"), url_maker("moderation:gold_edit")
    for comment in comments:
        comment.status_label = Status(comment.status).label
        comment.decision = last_decision(comment)
        comment.site_categories = by_site.get(comment.article.site_id, [])
        comment.category_options = options.get(comment.article.site_id, "")
        comment.assignee_options = assignees
        escalated = comment.status == Status.ESCALATED
        comment.assignee = comment.moderation.assignee if escalated else None
        comment.decide_url, comment.tag_url = decide_url(comment.pk), tag_url(comment.pk)
        comment.thread_url = thread_url(comment.article_id)
        comment.context_url = context_url(comment.pk)
        comment.review_url, comment.gold_url = review_url(comment.pk), gold_url(comment.pk)
        comment.commenter_url = commenter_url(comment.commenter_id) if comment.commenter_id else ""
    return by_site


def url_maker(name: str):
    """`reverse(name, args=[pk])` for the many pks of a page: reversed once (reversing
    costs tens of microseconds, a dozen times a row), the pk written into it as text."""
    marker = "2147483647"
    head, tail = reverse(name, args=[int(marker)]).split(marker)
    return lambda pk: f"{head}{pk}{tail}"


def last_decision(comment):
    try:
        return comment.moderation.decision
    except Comment.moderation.RelatedObjectDoesNotExist:
        return None


@dataclass
class Chunk:
    """A stretch of a thread: whole top-level comments with all their replies, in page
    order. `start` is the thread_order of its first top-level comment; `earlier` and `later`
    are the starts of the chunks before and after it (None at either end)."""

    start: int | None
    earlier: int | None
    later: int | None


def thread_chunk(article: Article, *, start=None, at=None, size=TOP_LEVEL_PER_CHUNK) -> Chunk:
    """Which stretch of the thread to show: the one holding comment `at` (a deep link), the
    one starting at top-level `start`, or the first. Chunks follow the order stored for the
    page, which puts every reply after its parent and before the next top-level comment, so
    a chunk is a range of thread_order found by short index walks, whatever the thread's
    length. The first chunk has no lower bound (`start` None): a reply stored before its
    parent is never lost, and `archive.models.thread_order` still nests it."""
    tops = Comment.objects.filter(article=article, parent__isnull=True).order_by("thread_order")
    orders = tops.values_list("thread_order", flat=True)
    if at is not None:
        target = Comment.objects.filter(pk=at, article=article).values("thread_order")[:1]
        start = orders.filter(thread_order__lte=Subquery(target)).order_by("-thread_order").first()
    earlier = []
    if start is not None:
        earlier = list(orders.filter(thread_order__lt=start).order_by("-thread_order")[:size])
        if not earlier:
            start = None  # nothing before it: this is the first chunk
    bounds = list((orders if start is None else orders.filter(thread_order__gte=start))[: size + 1])
    later = bounds[size] if len(bounds) > size else None
    # The chunk before starts `size` top-level comments back, or is the first (from 0).
    previous = (earlier[-1] if len(earlier) == size else 0) if earlier else None
    return Chunk(start, previous, later)


def thread_comments(article: Article, chunk: Chunk, *, tags: bool) -> list[Comment]:
    """The chunk's comments in reading order with what `for_queue` gives a queue row, except
    that tags (and removal reasons) are fetched only when some comment has any: a thread
    nobody has moderated yet costs what a plain thread costs."""
    span = Q() if chunk.start is None else Q(thread_order__gte=chunk.start)
    if chunk.later is not None:
        span &= Q(thread_order__lt=chunk.later)
    # Their ids first, then the rows by id: PostgreSQL cannot tell how many comments of a
    # long thread a stretch holds (it guessed 591 for 59 in one of 5,000), and planned the
    # joins for that many: every commenter and every tag read, 75 ms at a million comments.
    ids = list(Comment.objects.filter(span, article=article).values_list("pk", flat=True))
    comments = with_record(
        with_status(
            Comment.objects.filter(pk__in=ids)
            .select_related(
                "article__site",
                "commenter",
                "parent",
                "moderation__decision__moderator",
                "moderation__assignee",
            )
            .annotate(tagged=Exists(Tag.objects.current().filter(comment=OuterRef("pk"))))
            .order_by("thread_order")
        )
    )
    comments = list(comments)
    if tags:
        tagged = [c for c in comments if c.tagged]
        current = Tag.objects.current().select_related("category", "moderator")
        prefetch_related_objects(tagged, Prefetch("tags", queryset=current, to_attr="current_tags"))
        for comment in comments:
            if not comment.tagged:
                comment.current_tags = []
    prefetch_related_objects(comments, "moderation__decision__reasons")
    return thread_order(comments)


def public_count(article: Article) -> int:
    """How many of the article's comments its readers see: those still on the page, but the
    ones the source held and nobody approved. Two counts, the second over the held comments
    only: one count joining each comment to its state made PostgreSQL read every state in
    the database (154 ms at a million comments)."""
    on_page = Comment.objects.filter(article=article, missing_from_source=False)
    held = on_page.filter(source_status=SourceStatus.HELD)
    return on_page.count() - held.exclude(moderation__status=Status.APPROVED).count()


NEWEST_POSTED_FIRST = (F("posted_at").desc(nulls_last=True), "-pk")


def articles_with_queue_counts():
    """Articles in the archive's list order, each with `pending` and `escalated`: its
    counters (`ArticleQueue`, one LEFT JOIN; zero for an article that has none yet), never
    a count of the states."""
    return Article.objects.for_list().annotate(
        pending=Coalesce("queue__pending", 0), escalated=Coalesce("queue__escalated", 0)
    )


def commenter_comment_ids(commenter):
    """The ids of the commenter's comments, newest first."""
    return commenter.comments.order_by(*NEWEST_POSTED_FIRST).values_list("pk", flat=True)


def commenter_comments(commenter):
    """The commenter's comments, newest first, with article, status and current tags."""
    return (
        with_status(commenter.comments.select_related("article"))
        .prefetch_related(
            Prefetch(
                "tags",
                queryset=Tag.objects.current().select_related("category"),
                to_attr="current_tags",
            )
        )
        .order_by(*NEWEST_POSTED_FIRST)
    )


def users_with_activity():
    """Users with their roles and how much they did (two queries for any number of users)."""
    events = AuditEvent.objects.filter(actor=OuterRef("pk")).order_by().values("actor")
    return (
        get_user_model()
        .objects.annotate(
            actions=Coalesce(Subquery(events.annotate(n=Count("pk")).values("n")), 0),
            last_action=Subquery(events.annotate(t=Max("created_at")).values("t")),
        )
        .prefetch_related(
            Prefetch("groups", queryset=Group.objects.filter(name__in=permissions.ROLES))
        )
        .order_by("username")
    )


def sites_with_policy():
    """Sites with their current policy's version, text and time, and their categories."""
    latest = Policy.objects.filter(site=OuterRef("pk")).order_by("-version")
    return Site.objects.annotate(
        policy_version=Subquery(latest.values("version")[:1]),
        policy_text_now=Subquery(latest.values("text")[:1]),
        policy_changed_at=Subquery(latest.values("created_at")[:1]),
    ).prefetch_related("categories")


def cursor(params, place_of) -> dict:
    """The page an address asks for, as `pagination.keyset_page` arguments: `after` or
    `before` a row (by id; `place_of(id)` gives its values of the list's keys), or the `last`
    page. An unknown or malformed cursor gives the first page."""
    if params.get("last"):
        return {"last": True}
    for name in ("after", "before"):
        if (value := params.get(name, "")).isdigit():
            place = place_of(int(value))
            return {name: place} if place else {}
    return {}


def lockouts(usernames):
    """The login attempts that lock `usernames` out now (one row per username and address
    that reached the failure limit within the cool-off time)."""
    since = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    return AccessAttempt.objects.filter(
        username__in=list(usernames),
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=since,
    )


def locked_out(usernames) -> set[str]:
    """Which of `usernames` are locked out of logging in now, from any address (one query)."""
    return set(lockouts(usernames).values_list("username", flat=True))


# The queue's tabs: what waits first, then what needs a second look, then what is done.
TABS = [
    (Status.PENDING, "Pending"),
    ("flagged", "Flagged"),  # pending, likely violations first (screening)
    (Status.ESCALATED, "Escalated"),
    (Status.REMOVED, "Removed"),
    (Status.APPROVED, "Approved"),
    ("all", "All"),
    ("assigned", "Assigned to me"),  # escalations assigned to the person looking
]


def queue_tabs(params, current, counts) -> list[dict]:
    """Each tab: its label, capped count and address (the filters kept, the page's place
    dropped: a cursor belongs to the tab it was made in)."""
    tabs = []
    for value, label in TABS:
        if value not in counts:
            continue
        kept = params.copy()
        for place in ("after", "before", "last", "assigned"):
            kept.pop(place, None)
        kept["status"] = value
        if value == "assigned":
            kept["status"], kept["assigned"] = Status.ESCALATED, "me"
        tabs.append(
            {
                "label": label,
                "count": counts[value],
                "url": f"?{kept.urlencode()}",
                "current": value == current,
            }
        )
    return tabs


# The side panel: a comment in its thread, and its commenter's record

CONTEXT_SIBLINGS = 3  # on each side of the comment, among the replies to the same parent
CONTEXT_REPLIES = 3
CONTEXT_NOTES = 3


def comment_context(comment: Comment) -> dict:
    """What the queue's side panel shows of a comment's place in its thread: its parent, up
    to CONTEXT_SIBLINGS comments on each side among those replying to the same parent (or
    among the top-level ones), and its first replies with their number. Each is a short walk
    along the thread's order (index article, thread_order) or the replies' parent index,
    whatever the thread's length: four queries."""
    around = with_status(
        Comment.objects.filter(article_id=comment.article_id, parent_id=comment.parent_id)
    ).select_related("commenter")
    before = list(
        around.filter(thread_order__lt=comment.thread_order).order_by("-thread_order")[
            :CONTEXT_SIBLINGS
        ]
    )
    after = list(
        around.filter(thread_order__gt=comment.thread_order).order_by("thread_order")[
            :CONTEXT_SIBLINGS
        ]
    )
    replies = with_status(comment.replies.all()).select_related("commenter")
    return {
        "parent": comment.parent,
        "before": before[::-1],
        "after": after,
        "replies": list(replies.order_by("thread_order")[:CONTEXT_REPLIES]),
        "reply_count": comment.replies.count(),
    }


def commenter_summary(commenter) -> dict:
    """A commenter's record in brief, for the side panel: comments and removals now (from the
    states' commenter index and the maintained record), removals by category, the block in
    force, and the latest notes with their number. Five queries."""
    states = ModerationState.objects.filter(commenter=commenter)
    removed = states.filter(status=Status.REMOVED)
    by_category = (
        removed.values("decision__reasons__name")
        .exclude(decision__reasons__name=None)
        .annotate(n=Count("pk"))
        .order_by("-n", "decision__reasons__name")
    )
    notes = CommenterNote.objects.filter(commenter=commenter).select_related("author")
    counts = states.aggregate(
        comments=Count("pk"), pending=Count("pk", filter=Q(status=Status.PENDING))
    )
    return {
        **counts,
        "removals": [(row["decision__reasons__name"], row["n"]) for row in by_category],
        "in_force": CommenterBlock.objects.filter(commenter=commenter)
        .in_force()
        .select_related("created_by")
        .first(),
        "notes": list(notes[:CONTEXT_NOTES]),
        "note_count": notes.count(),
    }


PENDING_SHOWN = 10


def pending_of(commenter) -> dict:
    """A commenter's pending comments, for the confirmation of approving them all: their
    number, how many carry tags (left pending), the newest one's id (the confirmation's
    bound), how many can be approved, and the first PENDING_SHOWN of those, oldest first.
    Along the states' commenter index: three queries."""
    pending = ModerationState.objects.filter(commenter=commenter, status=Status.PENDING)
    figures = pending.aggregate(
        count=Count("pk"),
        tagged=Count("pk", filter=Q(_tagged())),
        through=Max("comment_id"),
    )
    figures["approvable"] = figures["count"] - figures["tagged"]
    first = approvable(commenter, figures["through"] or 0).select_related("comment__article")
    first = first.defer("comment__article__body", "comment__article__author_bio")
    return {**figures, "first": [state.comment for state in first[:PENDING_SHOWN]]}


def _tagged():
    return Exists(Tag.objects.current().filter(comment=OuterRef("comment_id")))


def approvable(commenter, through: int):
    """A commenter's pending comments up to comment id `through` without a current tag
    (approving a tagged comment needs its own note), oldest first: along the states'
    commenter index, each probed for a tag by key."""
    return (
        ModerationState.objects.filter(
            commenter=commenter, status=Status.PENDING, comment_id__lte=through
        )
        .filter(~_tagged())
        .order_by("queued_at", "comment_id")
    )


SOURCE_NAMES = {
    "words": "word list",
    "profanity": "profanity model",
    "baseline": "rule",
    "model": "learned model",
}


def suggestions(comments) -> None:
    """Give each of `comments` its screening suggestions, strongest first, as
    `suggestions`: per category, the combined score (its strongest source's), whether it
    flags the comment, which sources found it, and the passages its word lists matched
    ([start, end] in characters of body_text) with the first one's quote. One query,
    whatever the number of comments."""
    by_comment: dict[int, dict[int, list]] = {}
    if comments:
        scores = ScreeningScore.objects.filter(comment__in=[c.pk for c in comments])
        for score in scores.select_related("category"):
            by_comment.setdefault(score.comment_id, {}).setdefault(score.category_id, []).append(
                score
            )
    for comment in comments:
        comment.suggestions = []
        for found in by_comment.get(comment.pk, {}).values():
            combined = screening_sources.combine({score.source: score.score for score in found})
            category = found[0].category
            matches = [m for score in found for m in score.matches]
            start, end = matches[0][:2] if matches else (None, None)
            comment.suggestions.append(
                {
                    "category": category,
                    "score": combined,
                    "percent": round(combined * 100),
                    "flags": combined >= FLAG_THRESHOLD,
                    "sources": [
                        SOURCE_NAMES.get(s.source, s.source)
                        for s in sorted(found, key=lambda score: -score.score)
                    ],
                    "passages": ";".join(f"{m[0]} {m[1]}" for m in matches),
                    "words": sorted({comment.body_text[m[0] : m[1]] for m in matches}),
                    "start": start,
                    "end": end,
                    "quote": comment.body_text[start:end] if start is not None else "",
                }
            )
        comment.suggestions.sort(key=lambda s: (-s["score"], s["category"].order))
