"""The figures of /insights/, read from the roll-ups `services.insights` keeps (a few
hundred rows for a quarter, whatever the number of comments): each function takes a
`Scope` (the sites and the days) and returns plain rows a chart, its table and its CSV show.

Weekly figures (waits, categories, articles, commenters, screening) cover every week that
meets the days asked for, named by its Monday.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from archive.models import Article, Commenter, Site
from moderation.models import (
    Category,
    InsightArticleWeek,
    InsightCategoryWeek,
    InsightCommenterWeek,
    InsightDay,
    InsightModeratorDay,
    InsightModeratorWait,
    InsightScreening,
    InsightWait,
    InsightZone,
    Sample,
)
from moderation.services.insights import Percentile, percentile, week_of

WEEKS = 12  # the default range: the twelve weeks to the latest day with activity
TOP = 10  # articles and commenters listed
STATUSES = ("approved", "removed", "escalated", "reopened")


@dataclass(frozen=True)
class Scope:
    sites: tuple[int, ...] | None  # None: every site
    start: date
    end: date  # inclusive

    @property
    def weeks(self) -> tuple[date, date]:
        return week_of(self.start), week_of(self.end)

    def of(self, queryset, *, weekly: bool = False):
        if weekly:
            first, last = self.weeks
            queryset = queryset.filter(week__gte=first, week__lte=last)
        else:
            queryset = queryset.filter(day__gte=self.start, day__lte=self.end)
        if self.sites is not None:
            queryset = queryset.filter(site_id__in=self.sites)
        return queryset.order_by()


def latest_day(sites: tuple[int, ...] | None) -> date | None:
    """The last day with an arrival or a decision (one walk down an index)."""
    days = InsightDay.objects.all()
    if sites is not None:
        days = days.filter(site_id__in=sites)
    return days.aggregate(last=Max("day"))["last"]


def default_scope(sites, today: date) -> Scope:
    """Twelve whole weeks to the latest activity (today when there is none, or later)."""
    end = min(latest_day(sites) or today, today)
    return Scope(sites, week_of(end) - timedelta(weeks=WEEKS - 1), end)


# Inflow, decisions and backlog per day


@dataclass
class Day:
    day: date
    arrived: int = 0
    approved: int = 0
    removed: int = 0
    escalated: int = 0
    reopened: int = 0
    pending: int = 0  # pending at the end of the day
    escalated_open: int = 0  # escalated at the end of the day

    @property
    def decisions(self) -> int:
        return self.approved + self.removed + self.escalated + self.reopened

    @property
    def backlog(self) -> int:
        return self.pending + self.escalated_open


def daily(scope: Scope) -> list[Day]:
    """Each day of the scope: arrivals, decisions by status, and the backlog (pending and
    escalated) at its end: the backlog before the first day plus each day's change."""
    sums = {f: Sum(f) for f in ("arrived", *STATUSES, "pending_change", "escalated_change")}
    rows = scope.of(InsightDay.objects).values("day").annotate(**sums)
    by_day = {row["day"]: row for row in rows}
    before = InsightDay.objects.filter(day__lt=scope.start)
    if scope.sites is not None:
        before = before.filter(site_id__in=scope.sites)
    base = before.order_by().aggregate(p=Sum("pending_change"), e=Sum("escalated_change"))
    pending, escalated = base["p"] or 0, base["e"] or 0
    days = []
    day = scope.start
    while day <= scope.end:
        row = by_day.get(day, {})
        pending += row.get("pending_change") or 0
        escalated += row.get("escalated_change") or 0
        days.append(
            Day(day, *(row.get(f) or 0 for f in ("arrived", *STATUSES)), pending, escalated)
        )
        day += timedelta(days=1)
    return days


# Time from arrival to first decision


@dataclass
class Wait:
    week: date | None
    site: Site | None
    median: Percentile | None
    p90: Percentile | None
    n: int


def _waits(counts: dict[int, int], week=None, site=None) -> Wait:
    return Wait(week, site, percentile(counts, 50), percentile(counts, 90), sum(counts.values()))


def waits(scope: Scope) -> tuple[list[Wait], list[Wait]]:
    """Median and 90th percentile of the wait before a first decision: per week (the
    scope's sites together) and per site (the scope's weeks together)."""
    rows = (
        scope.of(InsightWait.objects, weekly=True)
        .values_list("site_id", "week", "bucket")
        .annotate(n=Sum("n"))
    )
    by_week, by_site = defaultdict(lambda: defaultdict(int)), defaultdict(lambda: defaultdict(int))
    for site, week, b, n in rows:
        if n > 0:  # a row whose first decisions were all undone counts none
            by_week[week][b] += n
            by_site[site][b] += n
    first, last = scope.weeks
    weekly, week = [], first
    while week <= last:
        weekly.append(_waits(by_week.get(week, {}), week=week))
        week += timedelta(weeks=1)
    sites = Site.objects.in_bulk(list(by_site))
    per_site = [
        _waits(counts, site=sites[pk])
        for pk, counts in sorted(by_site.items(), key=lambda item: sites[item[0]].name)
    ]
    return weekly, per_site


# Categories


@dataclass
class CategoryWeeks:
    category: Category
    removals: list[int]  # one per week
    tags: list[int]

    @property
    def total_removals(self) -> int:
        return sum(self.removals)

    @property
    def total_tags(self) -> int:
        return sum(self.tags)


def categories(scope: Scope) -> tuple[list[date], list[CategoryWeeks]]:
    """Removals that stand and tags, per category and week: the weeks, and a row per
    category with any (most removals first)."""
    first, last = scope.weeks
    weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    index = {week: i for i, week in enumerate(weeks)}
    rows = (
        scope.of(InsightCategoryWeek.objects, weekly=True)
        .values_list("category_id", "week")
        .annotate(removals=Sum("removals"), tags=Sum("tags"))
    )
    found: dict[int, CategoryWeeks] = {}
    for category, week, removals, tags in rows:
        if category not in found:
            found[category] = CategoryWeeks(None, [0] * len(weeks), [0] * len(weeks))
        found[category].removals[index[week]] += removals or 0
        found[category].tags[index[week]] += tags or 0
    named = Category.objects.select_related("site").in_bulk(list(found))
    for pk, row in found.items():
        row.category = named[pk]
    kept = [r for r in found.values() if r.total_removals or r.total_tags]
    kept.sort(key=lambda r: (-r.total_removals, -r.total_tags, r.category.name, r.category.pk))
    return weeks, kept


# Where violations come from


@dataclass
class Top:
    item: object  # an Article or a Commenter
    removals: int


def _ranked(model, key: str, scope: Scope, n: int) -> list[tuple[int, int]]:
    """The `n` ids of `key` with the most removals that stand in the scope's weeks."""
    return list(
        scope.of(model.objects, weekly=True)
        .values_list(key)
        .annotate(total=Sum("removals"))
        .filter(total__gt=0)
        .order_by("-total", key)[:n]
    )


def top_articles(scope: Scope, n: int = TOP) -> list[Top]:
    rows = _ranked(InsightArticleWeek, "article_id", scope, n)
    articles = (
        Article.objects.select_related("site")
        .only("title", "site__name")
        .in_bulk([pk for pk, _ in rows])
    )
    return [Top(articles[pk], total) for pk, total in rows if pk in articles]


def repeat_offenders(scope: Scope, n: int = TOP) -> list[Top]:
    rows = _ranked(InsightCommenterWeek, "commenter_id", scope, n)
    commenters = Commenter.objects.select_related("site").in_bulk([pk for pk, _ in rows])
    return [Top(commenters[pk], total) for pk, total in rows if pk in commenters]


# Screening


@dataclass
class ScreeningWeek:
    week: date
    flagged_removed: int = 0
    flagged_approved: int = 0
    unflagged_removed: int = 0
    unflagged_approved: int = 0

    @property
    def flagged(self) -> int:
        return self.flagged_removed + self.flagged_approved

    @property
    def removed(self) -> int:
        return self.flagged_removed + self.unflagged_removed

    @property
    def precision(self) -> float | None:
        """Of the flagged comments decided, the share moderators removed."""
        return self.flagged_removed / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        """Of the comments moderators removed, the share screening had flagged."""
        return self.flagged_removed / self.removed if self.removed else None


def screening(scope: Scope) -> tuple[list[ScreeningWeek], ScreeningWeek]:
    """First decisions on flagged and unflagged comments, per week and in all."""
    rows = (
        scope.of(InsightScreening.objects, weekly=True)
        .values_list("week", "flagged", "outcome")
        .annotate(n=Sum("n"))
    )
    first, last = scope.weeks
    weeks = {}
    week = first
    while week <= last:
        weeks[week] = ScreeningWeek(week)
        week += timedelta(weeks=1)
    total = ScreeningWeek(None)
    for week, flagged, outcome, n in rows:
        name = f"{'flagged' if flagged else 'unflagged'}_{outcome}"
        for row in (weeks[week], total):
            setattr(row, name, getattr(row, name) + n)
    return list(weeks.values()), total


# Per moderator (Admins only)


@dataclass
class ModeratorFigures:
    moderator: object
    approved: int = 0
    removed: int = 0
    escalated: int = 0
    reopened: int = 0
    undone: int = 0
    days: int = 0  # days with a decision
    wait: dict = field(default_factory=dict)  # bucket -> first decisions
    compared: int = 0  # second-review samples they took part in, compared
    agreed: int = 0

    @property
    def decisions(self) -> int:
        return self.approved + self.removed + self.escalated + self.reopened

    @property
    def per_day(self) -> float | None:
        return self.decisions / self.days if self.days else None

    def share(self, status: str) -> float | None:
        return getattr(self, status) / self.decisions if self.decisions else None

    @property
    def shares(self) -> list[tuple[str, float | None]]:
        return [(s, self.share(s)) for s in STATUSES]

    @property
    def undo_rate(self) -> float | None:
        """Of the decisions they made, the share they undid."""
        made = self.decisions + self.undone
        return self.undone / made if made else None

    @property
    def median_wait(self) -> Percentile | None:
        return percentile(self.wait, 50)

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.compared if self.compared else None


def per_moderator(scope: Scope) -> list[ModeratorFigures]:
    """Each moderator's decisions in the scope (by status, per day with any, undone), the
    median wait of the first decisions they made, and how often their second-review samples
    (first or second reviewer) agreed."""
    found: dict[int, ModeratorFigures] = {}

    def of(pk):
        return found.setdefault(pk, ModeratorFigures(None))

    sums = {f: Sum(f) for f in (*STATUSES, "undone")}
    # A day counts when a decision of theirs made that day still counts (a row can be left
    # with only an undone one, or nothing: rows are never deleted).
    active = Q(approved__gt=0) | Q(removed__gt=0) | Q(escalated__gt=0) | Q(reopened__gt=0)
    for row in (
        scope.of(InsightModeratorDay.objects)
        .values("moderator_id")
        .annotate(days=Count("day", distinct=True, filter=active), **sums)
    ):
        figures = of(row["moderator_id"])
        for f in (*STATUSES, "undone", "days"):
            setattr(figures, f, row[f] or 0)
    for moderator, b, n in (
        scope.of(InsightModeratorWait.objects, weekly=True)
        .values_list("moderator_id", "bucket")
        .annotate(n=Sum("n"))
    ):
        if n > 0:  # a row whose first decisions were all undone counts none
            of(moderator).wait[b] = n
    samples = Sample.objects.filter(
        reviewed_at__gte=_midnight(scope.start),
        reviewed_at__lt=_midnight(scope.end + timedelta(days=1)),
        state__in=[Sample.State.AGREED, Sample.State.DISAGREED, Sample.State.ADJUDICATED],
    )
    if scope.sites is not None:
        samples = samples.filter(site_id__in=scope.sites)
    count_agreement(samples, of)
    return named(found)


def count_agreement(samples, of) -> None:
    """Add to each moderator's figures (`of(pk)`) the compared `samples` they took part in,
    first or second reviewer, and how many of them agreed."""
    agreed = Q(state=Sample.State.AGREED)
    for role in ("first_reviewer_id", "second_reviewer_id"):
        for moderator, compared, agreed_n in (
            samples.order_by()
            .values_list(role)
            .annotate(compared=Count("pk"), agreed=Count("pk", filter=agreed))
        ):
            if moderator is not None:
                figures = of(moderator)
                figures.compared += compared
                figures.agreed += agreed_n


def named(found: dict[int, ModeratorFigures]) -> list[ModeratorFigures]:
    """The figures with their moderators (one query), most decisions first."""
    users = get_user_model().objects.in_bulk(list(found))
    for pk, figures in found.items():
        figures.moderator = users.get(pk)
    rows = [f for f in found.values() if f.moderator is not None]
    rows.sort(key=lambda f: (-f.decisions, f.moderator.get_username()))
    return rows


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()))


def recount_needed() -> tuple[bool, str | None]:
    """Whether the roll-ups lack the records made before them (an upgraded database not yet
    recounted), and the time zone their days were counted in when it is not today's
    `TIME_ZONE`: both mean `manage.py recount_insights`. One row: (False, None) without it."""
    kept = InsightZone.objects.values_list("counted", "time_zone").first()
    if kept is None:
        return False, None
    counted, zone = kept
    return not counted, zone if zone != settings.TIME_ZONE else None
