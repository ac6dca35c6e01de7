"""Benchmark /insights/ and each of its figures at a given size, beside the same figures
computed by plain aggregate queries over the base tables.

    .venv/bin/python bench/insights.py [--comments 100000] [--db sqlite|postgres] [--rounds 5]

bench/pages.py's machinery, imported: its options, its own database (a temporary SQLite
file, or a PostgreSQL database it creates and drops; `--keep` and `--reuse` as there),
filled with `manage.py generate_corpus --comments N` (without --screen: no figure reads
the screening scores; generated decisions are not flagged, as none ran when they were
made), which ends by counting the insights' roll-ups (`services.insights.recount(fix=True)`).

Three ranges are measured, each as the page names it: the default (twelve weeks to the
latest activity, every site), the same for the busiest site, and 52 weeks to the same day
(every site). For each, in this process, interleaved round by round (`pages.interleave`,
fewer rounds for a row whose first calls exceed `--page-budget`), queries counted:

* `GET /insights/` as an Admin (`corpus-admin`: every panel, per moderator included),
  Django's test Client (server time: no network, no browser);
* "every figure": the page's figure functions in turn, without the page, beside the
  baseline's (the plain cost of the page's numbers);
* each figure function of `moderation.insights` alone ("range": `default_scope`, which
  finds the latest day), beside the baseline's function for it.

The baseline ("plain") computes the same figures as a competent engineer would without
roll-ups: GROUP BY queries over ModerationState (arrivals; the backlog: arrivals and every
change of status; standing removals by article and commenter: a removed comment's state and
its decision), Decision joined to its comment's article's site (decisions per day by status,
per moderator), Decision.reasons (removals per category) and Tag (tags), with the day or
week truncated in the database (TruncDate, TruncWeek: on SQLite, Django's Python function
per row). First decisions (waits, screening, a moderator's median wait): NOT EXISTS an
earlier standing one on PostgreSQL; ROW_NUMBER on SQLite, whose planner, without
statistics, runs that NOT EXISTS along the unique index of `undoes_id IS NULL` (minutes at
1M). The waits' percentiles need the distribution: each first decision's wait is computed
in the database and read, and the percentile taken here on the roll-ups' log buckets, so
both sides give equal figures; "same" says whether they did.

Then `manage.py recount_insights --dry-run` once: what rebuilding the roll-ups costs.
"""

import io
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from functools import partial
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pages as bench_pages  # noqa: E402

LONG_WEEKS = 52
TARGET = 0.300  # seconds: the budget for the page
FIGURES = [
    "range", "daily", "waits", "categories", "top_articles", "repeat_offenders", "screening",
    "per_moderator",
]  # fmt: skip


@dataclass
class Row:
    """One thing measured in one range, as `pages.interleave` takes it (by `name`)."""

    label: str  # what is measured: the page, or a figure
    scope: str  # the range's name
    times: dict = field(default_factory=lambda: {"ours": [], "plain": []})
    queries: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)  # by side, the last call's
    timed_out: set = field(default_factory=set)
    rounds: int = 0

    @property
    def name(self) -> str:
        return f"{self.scope}: {self.label}"

    @property
    def page(self) -> bool:
        return self.label.startswith("GET")


# The baseline: the same figures from the base tables


def _midnight(day: date) -> datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, clock()))


def _days(scope) -> tuple[datetime, datetime]:
    return _midnight(scope.start), _midnight(scope.end + timedelta(days=1))


def _weeks(scope) -> tuple[datetime, datetime]:
    first, last = scope.weeks
    return _midnight(first), _midnight(last + timedelta(weeks=1))


def _on_sites(queryset, scope, path: str):
    if scope.sites is None:
        return queryset.order_by()
    return queryset.filter(**{f"{path}__in": scope.sites}).order_by()


def _day(moment: datetime | date) -> date:
    """A truncated value as a date (TruncWeek and TruncDate give datetimes or dates)."""
    from django.utils import timezone

    if isinstance(moment, datetime):
        return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
    return moment


def plain_range(sites, today: date):
    """`default_scope`: twelve weeks to the latest arrival or decision."""
    from django.db.models import Max

    from moderation.insights import WEEKS, Scope
    from moderation.models import Decision, ModerationState
    from moderation.services.insights import day_of, week_of

    states, decisions = ModerationState.objects.all(), Decision.objects.all()
    if sites is not None:
        states = states.filter(site_id__in=sites)
        decisions = decisions.filter(comment__article__site_id__in=sites)
    last = [
        states.order_by().aggregate(m=Max("queued_at"))["m"],
        decisions.order_by().aggregate(m=Max("created_at"))["m"],
    ]
    last = max((day_of(m) for m in last if m), default=None)
    end = min(last or today, today)
    return Scope(sites, week_of(end) - timedelta(weeks=WEEKS - 1), end)


def plain_daily(scope):
    """Arrivals per day (ModerationState.queued_at); decisions per day by status, an undone
    one and its undo left out; the backlog at each day's end: arrivals and every change of
    status up to then."""
    from django.db.models import Count, Q
    from django.db.models.functions import TruncDate

    from moderation.insights import STATUSES, Day
    from moderation.models import Decision, ModerationState
    from moderation.services.insights import BACKLOG_FIELD, STATUS_FIELD

    start, stop = _days(scope)
    states = _on_sites(ModerationState.objects, scope, "site_id")
    arrived = {
        _day(day): n
        for day, n in states.filter(queued_at__gte=start, queued_at__lt=stop)
        .annotate(day=TruncDate("queued_at"))
        .values_list("day")
        .annotate(n=Count("pk"))
    }
    backlog = Counter(pending_change=states.filter(queued_at__lt=start).count())
    decisions = _on_sites(Decision.objects, scope, "comment__article__site_id")

    def move(into: Counter, status: str, previous: str, n: int) -> None:
        if previous in BACKLOG_FIELD:
            into[BACKLOG_FIELD[previous]] -= n
        if status in BACKLOG_FIELD:
            into[BACKLOG_FIELD[status]] += n

    for status, previous, n in (
        decisions.filter(created_at__lt=start)
        .values_list("status", "previous_status")
        .annotate(n=Count("pk"))
    ):
        move(backlog, status, previous, n)
    counted = Q(undoes__isnull=True, undone_by__isnull=True)
    by_day = defaultdict(Counter)
    for day, status, previous, n, kept in (
        decisions.filter(created_at__gte=start, created_at__lt=stop)
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "status", "previous_status")
        .annotate(n=Count("pk"), kept=Count("pk", filter=counted))
    ):
        row = by_day[_day(day)]
        move(row, status, previous, n)
        row[STATUS_FIELD[status]] += kept
    pending, escalated = backlog["pending_change"], backlog["escalated_change"]
    days, day = [], scope.start
    while day <= scope.end:
        row, came = by_day.get(day, Counter()), arrived.get(day, 0)
        pending += came + row["pending_change"]
        escalated += row["escalated_change"]
        days.append(Day(day, came, *(row[f] for f in STATUSES), pending, escalated))
        day += timedelta(days=1)
    return days


def _first_decisions(scope):
    """Each comment's first approval or removal that is neither undone nor an undo, made in
    the scope's weeks, on its sites (the site read from the comment's state, which the
    waits join for the arrival anyway). On PostgreSQL: those with no earlier standing one
    (NOT EXISTS, an anti-join). SQLite, without statistics, runs that subquery along the
    unique index of `undoes_id IS NULL` (every row) instead of the comment's: minutes at 1M;
    there, the first by version of the standing ones of the comments with a decision in
    those weeks (ROW_NUMBER)."""
    from django.db import connection
    from django.db.models import Exists, F, OuterRef, Window
    from django.db.models.functions import FirstValue, RowNumber

    from moderation.models import Decision
    from moderation.services.insights import DECIDED

    start, stop = _weeks(scope)
    standing = _on_sites(
        Decision.objects.filter(status__in=DECIDED, undoes__isnull=True, undone_by__isnull=True),
        scope,
        "comment__moderation__site_id",
    )
    if connection.vendor == "postgresql":
        earlier = Decision.objects.filter(
            status__in=DECIDED,
            undoes__isnull=True,
            undone_by__isnull=True,
            comment_id=OuterRef("comment_id"),
            version__lt=OuterRef("version"),
        )
        return standing.filter(created_at__gte=start, created_at__lt=stop).filter(~Exists(earlier))
    decided = Decision.objects.filter(created_at__gte=start, created_at__lt=stop)
    order = {"partition_by": F("comment_id"), "order_by": F("version").asc()}
    firsts = (
        standing.filter(comment_id__in=decided.values("comment_id"))
        .annotate(rank=Window(RowNumber(), **order), at=Window(FirstValue("created_at"), **order))
        .filter(rank=1, at__gte=start, at__lt=stop)
    )
    return Decision.objects.filter(pk__in=firsts.values("pk")).order_by()


def _waits(scope, *by: str) -> dict[tuple, Counter]:
    """{values of `by`: {bucket: first decisions}}: each first decision's wait since its
    comment arrived (the difference taken in the database, the week too when `by` names
    it), put in its bucket here."""
    from django.db.models import DurationField, ExpressionWrapper, F
    from django.db.models.functions import TruncWeek

    from moderation.services.insights import bucket

    waited = F("created_at") - F("comment__moderation__queued_at")
    rows = _first_decisions(scope).annotate(
        waited=ExpressionWrapper(waited, output_field=DurationField())
    )
    if "week" in by:
        rows = rows.annotate(week=TruncWeek("created_at"))
    counts = defaultdict(Counter)
    for *key, wait in rows.values_list(*by, "waited"):
        counts[tuple(key)][bucket(wait.total_seconds())] += 1
    return counts


def plain_waits(scope):
    """Median and 90th percentile of the waits before first decisions, per week and per
    site: each wait read (the percentile needs them), bucketed as the roll-ups do."""
    from archive.models import Site
    from moderation.insights import Wait
    from moderation.services.insights import percentile

    by_week, by_site = defaultdict(Counter), defaultdict(Counter)
    for (site, week), counts in _waits(scope, "comment__moderation__site_id", "week").items():
        by_week[_day(week)].update(counts)
        by_site[site].update(counts)

    def wait(counts, **where):
        n = sum(counts.values())
        return Wait(**where, median=percentile(counts, 50), p90=percentile(counts, 90), n=n)

    first, last = scope.weeks
    weekly, week = [], first
    while week <= last:
        weekly.append(wait(by_week.get(week, {}), week=week, site=None))
        week += timedelta(weeks=1)
    sites = Site.objects.in_bulk(list(by_site))
    per_site = [
        wait(counts, week=None, site=sites[pk])
        for pk, counts in sorted(by_site.items(), key=lambda item: sites[item[0]].name)
    ]
    return weekly, per_site


def plain_categories(scope):
    """Removals that stand (the comment is removed, by this decision) per reason and week of
    the decision, and tags not retracted per category and week made."""
    from django.db.models import Count
    from django.db.models.functions import TruncWeek

    from moderation.insights import CategoryWeeks
    from moderation.models import Category, ModerationState, Status, Tag

    first, last = scope.weeks
    weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    index = {week: i for i, week in enumerate(weeks)}
    start, stop = _weeks(scope)
    removals = (
        _on_sites(ModerationState.objects, scope, "site_id")
        .filter(
            status=Status.REMOVED,
            decision__created_at__gte=start,
            decision__created_at__lt=stop,
            decision__reasons__isnull=False,
        )
        .annotate(week=TruncWeek("decision__created_at"))
        .values_list("decision__reasons", "week")
        .annotate(n=Count("pk"))
    )
    tags = (
        _on_sites(Tag.objects, scope, "category__site_id")
        .filter(retracted_at__isnull=True, created_at__gte=start, created_at__lt=stop)
        .annotate(week=TruncWeek("created_at"))
        .values_list("category_id", "week")
        .annotate(n=Count("pk"))
    )
    found: dict[int, CategoryWeeks] = {}
    for which, rows in (("removals", removals), ("tags", tags)):
        for category, week, n in rows:
            if category not in found:
                found[category] = CategoryWeeks(None, [0] * len(weeks), [0] * len(weeks))
            getattr(found[category], which)[index[_day(week)]] += n
    named = Category.objects.select_related("site").in_bulk(list(found))
    for pk, row in found.items():
        row.category = named[pk]
    kept = list(found.values())
    kept.sort(key=lambda r: (-r.total_removals, -r.total_tags, r.category.name, r.category.pk))
    return weeks, kept


def _standing_removals(scope, by: str, n: int):
    from django.db.models import Count

    from moderation.models import ModerationState, Status

    start, stop = _weeks(scope)
    return list(
        _on_sites(ModerationState.objects, scope, "site_id")
        .filter(
            status=Status.REMOVED,
            decision__created_at__gte=start,
            decision__created_at__lt=stop,
            **{f"{by}__isnull": False},
        )
        .values_list(by)
        .annotate(total=Count("pk"))
        .order_by("-total", by)[:n]
    )


def plain_top_articles(scope, n=None):
    from archive.models import Article
    from moderation.insights import TOP, Top

    rows = _standing_removals(scope, "article_id", n or TOP)
    articles = (
        Article.objects.select_related("site")
        .only("title", "site__name")
        .in_bulk([pk for pk, _ in rows])
    )
    return [Top(articles[pk], total) for pk, total in rows]


def plain_repeat_offenders(scope, n=None):
    from archive.models import Commenter
    from moderation.insights import TOP, Top

    rows = _standing_removals(scope, "commenter_id", n or TOP)
    commenters = Commenter.objects.select_related("site").in_bulk([pk for pk, _ in rows])
    return [Top(commenters[pk], total) for pk, total in rows]


def plain_screening(scope):
    """First decisions per week, flagged or not, by outcome."""
    from django.db.models import Count
    from django.db.models.functions import TruncWeek

    from moderation.insights import ScreeningWeek

    rows = (
        _first_decisions(scope)
        .filter(flagged__isnull=False)  # unknown for decisions made before it was kept
        .annotate(week=TruncWeek("created_at"))
        .values_list("week", "flagged", "status")
        .annotate(n=Count("pk"))
    )
    first, last = scope.weeks
    weeks, week = {}, first
    while week <= last:
        weeks[week] = ScreeningWeek(week)
        week += timedelta(weeks=1)
    total = ScreeningWeek(None)
    for week, flagged, outcome, n in rows:
        name = f"{'flagged' if flagged else 'unflagged'}_{outcome}"
        for row in (weeks[_day(week)], total):
            setattr(row, name, getattr(row, name) + n)
    return list(weeks.values()), total


def plain_per_moderator(scope):
    """Each moderator's decisions in the days (by status, an undone one and its undo left
    out; days with any that counts; undone), the waits before the first decisions they made in the
    weeks, and their second-review samples compared and agreed."""
    from django.db.models import Count, Q
    from django.db.models.functions import TruncDate

    from moderation.insights import STATUSES, ModeratorFigures, count_agreement, named
    from moderation.models import Decision, Sample
    from moderation.services.insights import STATUS_FIELD

    found: dict[int, ModeratorFigures] = {}

    def of(pk):
        return found.setdefault(pk, ModeratorFigures(None))

    start, stop = _days(scope)
    counted = Q(undoes__isnull=True, undone_by__isnull=True)
    by_status = {STATUS_FIELD[s]: Count("pk", filter=counted & Q(status=s)) for s in STATUS_FIELD}
    for row in (
        _on_sites(Decision.objects, scope, "comment__article__site_id")
        .filter(created_at__gte=start, created_at__lt=stop)
        .values("moderator_id")
        .annotate(
            **by_status,
            undone=Count("pk", filter=Q(undone_by__isnull=False)),
            days=Count(TruncDate("created_at"), distinct=True, filter=counted),
        )
    ):
        figures = of(row["moderator_id"])
        for f in (*STATUSES, "undone", "days"):
            setattr(figures, f, row[f])
    for (moderator,), counts in _waits(scope, "moderator_id").items():
        of(moderator).wait = dict(counts)
    samples = Sample.objects.filter(
        reviewed_at__gte=start,
        reviewed_at__lt=stop,
        state__in=[Sample.State.AGREED, Sample.State.DISAGREED, Sample.State.ADJUDICATED],
    )
    # The samples have no roll-up: both sides read them alike.
    count_agreement(_on_sites(samples, scope, "site_id"), of)
    return named(found)


PLAIN = {
    "daily": plain_daily,
    "waits": plain_waits,
    "categories": plain_categories,
    "top_articles": plain_top_articles,
    "repeat_offenders": plain_repeat_offenders,
    "screening": plain_screening,
    "per_moderator": plain_per_moderator,
}


def everything(sites, scope, today):
    """Every figure of the page, as the page gets them (the range found, the figures for
    `scope`), without the page."""
    from moderation import insights

    insights.default_scope(sites, today)
    return [getattr(insights, figure)(scope) for figure in PLAIN]


def plain_everything(sites, scope, today):
    """Every figure of the page from the base tables (the range found as the page finds it,
    the figures for `scope`)."""
    plain_range(sites, today)
    return [figure(scope) for figure in PLAIN.values()]


# The corpus


def corpus() -> None:
    """What the corpus holds, and the roll-ups counted from it."""
    from django.db.models import Count, Max, Min

    from archive.models import Comment, Site
    from moderation.models import Decision, ModerationState, Tag
    from moderation.services.insights import MODELS

    comments = Comment.objects.count()
    decisions = Decision.objects.order_by().aggregate(
        n=Count("pk"), comments=Count("comment", distinct=True), last=Max("created_at")
    )
    states = ModerationState.objects.order_by()
    now = dict(states.values_list("status").annotate(n=Count("pk")))
    first = states.aggregate(first=Min("queued_at"))["first"]
    print(
        f"corpus: {comments:,} comments on {Site.objects.count()} sites, "
        f"{decisions['n']:,} decisions on {decisions['comments']:,} comments, "
        f"{Tag.objects.count():,} tags"
    )
    print("  now " + ", ".join(f"{status} {n:,}" for status, n in sorted(now.items())))
    if first and decisions["last"]:
        print(f"  first arrival {first:%Y-%m-%d}, last decision {decisions['last']:%Y-%m-%d}")
    print(
        "  roll-up rows: "
        + ", ".join(f"{model.__name__} {model.objects.count():,}" for model in MODELS)
    )


# What is measured


def ranges() -> list[tuple[str, str, object]]:
    """(name, the page's address, the scope its figures cover) of each range measured."""
    from django.db.models import Count
    from django.urls import reverse
    from django.utils import timezone

    from moderation import insights
    from moderation.models import ModerationState

    today = timezone.localdate()
    page = reverse("moderation:insights")
    default = insights.default_scope(None, today)
    site = (
        ModerationState.objects.order_by()
        .values_list("site_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "site_id")
        .first()
    )[0]
    start = default.end - timedelta(weeks=LONG_WEEKS) + timedelta(days=1)
    long = insights.Scope(None, start, default.end)
    return [
        ("default", page, default),
        (f"site {site}", f"{page}?site={site}", insights.default_scope((site,), today)),
        (
            f"{LONG_WEEKS} weeks",
            f"{page}?{urlencode({'start': start, 'end': default.end})}",
            long,
        ),
    ]


def timing(row: Row, side: str, call, *args):
    """`call(*args)` as `pages.interleave` calls a side: timed, queries counted, what it
    returned kept in `row.results` (for the figures' comparison)."""

    def timed(timeout):
        seconds, queries, row.results[side] = bench_pages.timed(partial(call, *args), timeout)
        return seconds, queries

    return timed


def rows_and_calls(client) -> tuple[list[Row], dict, dict]:
    """The rows measured, their calls ({row name: {side: call(timeout)}}) and each range's
    (address, scope) by name."""
    from django.utils import timezone

    from moderation import insights

    today = timezone.localdate()
    rows, calls, scopes = [], {}, {}
    for name, url, scope in ranges():
        scopes[name] = (url, scope)
        page, every = Row("GET /insights/ (Admin)", name), Row("every figure", name)
        rows += [page, every]
        calls[page.name] = {"ours": partial(bench_pages.request, client, url)}
        calls[every.name] = {
            "ours": timing(every, "ours", everything, scope.sites, scope, today),
            "plain": timing(every, "plain", plain_everything, scope.sites, scope, today),
        }
        for figure in FIGURES:
            row = Row(figure, name)
            rows.append(row)
            if figure == "range":
                ours = timing(row, "ours", insights.default_scope, scope.sites, today)
                plain = timing(row, "plain", plain_range, scope.sites, today)
            else:
                ours = timing(row, "ours", getattr(insights, figure), scope)
                plain = timing(row, "plain", PLAIN[figure], scope)
            calls[row.name] = {"ours": ours, "plain": plain}
    return rows, calls, scopes


def same(row: Row) -> str:
    if row.page:
        return ""
    if "ours" not in row.results or "plain" not in row.results:
        return "?"
    return "yes" if row.results["ours"] == row.results["plain"] else "NO"


# The report


def report(rows: list[Row], scopes: dict, timeout: float) -> None:
    """A table per range: each row's median, 90th percentile and queries, the baseline's
    median and queries, ours / plain (below 1: ours is faster) and whether both gave the
    same figures; then the page against the issue's budget."""
    ms = bench_pages.ms
    header = (
        f"{'figure':<24} {'n':>2} {'median ms':>10} {'p90 ms':>9} {'queries':>7} │ "
        f"{'plain ms':>10} {'queries':>7} │ {'ours/plain':>10} {'same':>5}"
    )
    over = f"> {ms(timeout)}"
    for name, (url, scope) in scopes.items():
        weeks = (scope.weeks[1] - scope.weeks[0]).days // 7 + 1
        where = "every site" if scope.sites is None else f"site {scope.sites[0]}"
        print(f"\n{name}: {where}, {scope.start} to {scope.end} ({weeks} weeks), {url}")
        print(header)
        print("─" * len(header))
        for row in (r for r in rows if r.scope == name):
            ours, plain = row.times["ours"], row.times["plain"]
            mine = statistics.median(ours) if ours else timeout
            line = f"{row.label:<24} {len(ours):>2} "
            if ours:
                line += f"{ms(mine):>10} {ms(bench_pages.p90(ours)):>9} {row.queries['ours']:>7} │ "
            else:
                line += f"{over:>10} {'':>9} {'?':>7} │ "
            if plain:
                ratio = f"{mine / statistics.median(plain):.3f}"
                ratio = ratio if ours else f"> {ratio}"
                theirs = statistics.median(plain)
                line += f"{ms(theirs):>10} {row.queries['plain']:>7} │ {ratio:>10}"
            elif "plain" in row.timed_out:
                line += f"{over:>10} {'?':>7} │ {'?':>10}"
            else:
                line += f"{'n/a':>10} {'':>7} │ {'n/a':>10}"
            print(f"{line} {same(row):>5}")
    print(f"\nthe page within {TARGET * 1000:.0f} ms (median), beside the plain figures alone:")
    for row in (r for r in rows if r.page):
        median = statistics.median(row.times["ours"]) if row.times["ours"] else None
        verdict = "?" if median is None else ("yes" if median <= TARGET else "NO")
        every = next((r for r in rows if r.scope == row.scope and r.label == "every figure"), None)
        plain = every.times["plain"] if every else []
        beside = f", plain figures {ms(statistics.median(plain))} ms" if plain else ""
        print(f"  {row.scope}: {verdict} ({ms(median) if median else over} ms{beside})")


def recount() -> None:
    """`manage.py recount_insights --dry-run`, timed once."""
    from django.core.management import call_command

    out = io.StringIO()
    started = time.perf_counter()
    call_command("recount_insights", dry_run=True, stdout=out, no_color=True)
    seconds = time.perf_counter() - started
    said = out.getvalue().strip().splitlines()
    print(f"\nrecount_insights --dry-run: {seconds:.1f} s: {said[-1] if said else ''}")


def main(argv=None) -> int:
    parser = bench_pages.arguments(__doc__.split("\n\n")[0], "bench_insights")
    args = parser.parse_args(argv)

    if args.reuse:
        args.keep = True
        args.workdir = Path(urlsplit(args.reuse).path).parent
    url = args.reuse or bench_pages.create_database(args)
    try:
        bench_pages.setup_django(url)
        if not args.reuse:
            bench_pages.build(args, screen=False)
        print(f"\n{bench_pages.database()}")
        corpus()
        bench_pages.limit_queries(args.timeout)
        from django.contrib.auth import get_user_model
        from django.test import Client

        client = Client()
        client.force_login(get_user_model().objects.get(username="corpus-admin"))
        rows, calls, scopes = rows_and_calls(client)
        if args.only:
            rows = [r for r in rows if any(o in r.name for o in args.only)]
        bench_pages.interleave(rows, calls, args)
        measured = {n: s for n, s in scopes.items() if any(r.scope == n for r in rows)}
        report(rows, measured, args.timeout)
        recount()
    finally:
        bench_pages.drop_database(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
