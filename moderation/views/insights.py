"""/insights/: how moderation is going, as charts with their tables and CSVs, for a site (or
every site) and a range of days (`moderation.insights` reads the roll-ups).

Who sees what: every figure is team-level except "Per moderator" (Admins: `manage_users`).
Moderators and Admins see the articles and commenters drawing the most removals;
Researchers see the aggregates only (no article, commenter or person named).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from moderation import charts, insights, permissions
from moderation.export.writers import as_text, csv_writer
from moderation.filters import InsightFilter
from moderation.models import InsightDay

# Every chart, in page order, with who may see it: "all" (anyone here), "team" (moderators
# and Admins), "admin".
CHARTS = {
    "daily": "all",
    "waits": "all",
    "categories": "all",
    "articles": "team",
    "commenters": "team",
    "moderators": "admin",
    "screening": "all",
}


def _audience(user) -> set[str]:
    seen = {"all"}
    if permissions.can(user, permissions.MODERATE):
        seen.add("team")
    if permissions.can(user, permissions.MANAGE_USERS):
        seen |= {"team", "admin"}
    return seen


@dataclass(frozen=True)
class Link:
    """A table cell that links somewhere (its CSV cell is the text)."""

    text: str
    url: str

    def __str__(self):
        return self.text


@dataclass
class Panel:
    key: str
    title: str
    intro: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)  # cells: values, or Links
    svg: str = ""
    legend: list[tuple[str, int]] = field(default_factory=list)  # (name, series number)
    empty: str = "Nothing in this range."
    open: bool = False  # the table shown without a click (where it says more than the chart)
    svg2: str = ""  # a second chart of the same table
    legend2: list[tuple[str, int]] = field(default_factory=list)
    footer_title: str = ""  # a second, smaller table below (its own headers)
    footer_headers: list[str] = field(default_factory=list)
    footer: list = field(default_factory=list)

    @property
    def html_rows(self) -> list[str]:
        return [_row_html(row) for row in self.rows]

    @property
    def html_footer(self) -> list[str]:
        return [_row_html(row) for row in self.footer]

    def csv_rows(self):
        yield self.headers
        for row in self.rows:
            yield [str(cell) if isinstance(cell, Link) else cell for cell in row]


def _cell_html(cell) -> str:
    if isinstance(cell, Link):
        return format_html('<a href="{}">{}</a>', cell.url, cell.text)
    return conditional_escape(cell)


def _row_html(row) -> str:
    """A table row, written here rather than by the template: a year's daily table or a
    quarter's categories is thousands of cells, which the template language draws at tens
    of microseconds each (bench/insights.py measured the page's time halved)."""
    first, *rest = row
    return format_html(
        '<th scope="row">{}</th>{}',
        _cell_html(first),
        mark_safe("".join(f"<td>{_cell_html(cell)}</td>" for cell in rest)),  # escaped
    )


def _pct(value) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def _short(day) -> str:
    return day.strftime("%d %b")


def _wait(p) -> str:
    """A percentile known to its bucket: the bucket's middle, for a person."""
    if p is None:
        return "—"
    return charts.duration(p.middle)


def _hours(p):
    return None if p is None else round(p.middle / 3600, 2)


def daily_panel(scope) -> Panel:
    days = insights.daily(scope)
    labels = [_short(d.day) for d in days]
    panel = Panel(
        "daily",
        "Inflow, decisions and backlog per day",
        "Bars: decisions made each day, by the status they set (an undone decision and its "
        "undo are left out). Lines: comments that arrived (were posted) each day, and the "
        "backlog (pending and escalated comments) at the end of the day.",
        [
            "Day",
            "Arrived",
            "Approved",
            "Removed",
            "Escalated",
            "Back to pending",
            "Pending at end",
            "Escalated at end",
            "Backlog at end",
        ],
    )
    panel.svg = charts.bars(
        panel.title + ": decisions by status",
        labels,
        [
            ("Approved", [d.approved for d in days]),
            ("Removed", [d.removed for d in days]),
            ("Escalated", [d.escalated for d in days]),
            ("Back to pending", [d.reopened for d in days]),
        ],
    )
    panel.svg2 = charts.lines(
        "Arrivals and backlog per day",
        labels,
        [("Arrived", [d.arrived for d in days]), ("Backlog at end", [d.backlog for d in days])],
    )
    panel.legend = [("Approved", 1), ("Removed", 2), ("Escalated", 3), ("Back to pending", 4)]
    panel.legend2 = [("Arrived", 1), ("Backlog at end of day", 2)]
    panel.rows = [
        [
            d.day.isoformat(),
            d.arrived,
            d.approved,
            d.removed,
            d.escalated,
            d.reopened,
            d.pending,
            d.escalated_open,
            d.backlog,
        ]
        for d in days
    ]
    if not any(d.arrived or d.decisions or d.backlog for d in days):
        panel.rows = []
    return panel


def waits_panel(scope) -> Panel:
    weekly, per_site = insights.waits(scope)
    panel = Panel(
        "waits",
        "Time from arrival to first decision",
        "The wait from a comment's arrival (its posting) to its first approval or removal "
        "(an escalation does not end the wait; an undone decision does not count), per week "
        "of the decision: the median and the 90th percentile (nearest rank). Waits are kept "
        "to within 4.43 %: each figure is the middle of that bucket.",
        [
            "Week of",
            "Median",
            "90th percentile",
            "Median (hours)",
            "90th percentile (hours)",
            "First decisions",
        ],
        empty="No first decision in this range.",
    )
    panel.svg = charts.lines(
        panel.title + ", in hours",
        [_short(w.week) for w in weekly],
        [
            ("Median", [_hours(w.median) for w in weekly]),
            ("90th percentile", [_hours(w.p90) for w in weekly]),
        ],
        fmt=lambda v: f"{v:g} h",
    )
    panel.legend = [("Median", 1), ("90th percentile", 2)]
    panel.rows = [
        [w.week.isoformat(), _wait(w.median), _wait(w.p90), _hours(w.median), _hours(w.p90), w.n]
        for w in weekly
        if w.n
    ]
    panel.footer_title = "By site, over the weeks shown"
    panel.footer_headers = ["Site", *panel.headers[1:]]
    panel.footer = [
        [s.site.name, _wait(s.median), _wait(s.p90), _hours(s.median), _hours(s.p90), s.n]
        for s in per_site
    ]
    return panel


def categories_panel(scope) -> Panel:
    weeks, rows = insights.categories(scope)
    panel = Panel(
        "categories",
        "Removals and tags per category per week",
        "Removals that stand (a removal later undone or reversed counts nowhere), in the week "
        "of the decision, by the categories given as its reasons; tags not retracted, in the "
        "week they were made.",
        [
            "Category",
            "Site",
            *[f"Removals {w.isoformat()}" for w in weeks],
            "Removals",
            *[f"Tags {w.isoformat()}" for w in weeks],
            "Tags",
        ],
        empty="No removal or tag in this range.",
    )
    shown = rows[:6]
    panel.svg = charts.lines(
        "Removals per week, by category",
        [_short(w) for w in weeks],
        [(r.category.name, r.removals) for r in shown],
    )
    panel.legend = [
        (f"{r.category.name} ({r.category.site.name})", i) for i, r in enumerate(shown, start=1)
    ]
    panel.rows = [
        [
            r.category.name,
            r.category.site.name,
            *r.removals,
            r.total_removals,
            *r.tags,
            r.total_tags,
        ]
        for r in rows
    ]
    return panel


def _top_panel(key: str, title: str, noun: str, top, url_name: str) -> Panel:
    panel = Panel(
        key,
        title,
        f"The {insights.TOP} {noun}s with the most removals that stand, in the weeks shown.",
        [noun.capitalize(), "Site", "Removals"],
        empty="No removal in this range.",
    )
    panel.rows = [
        [Link(str(t.item), reverse(url_name, args=[t.item.pk])), t.item.site.name, t.removals]
        for t in top
    ]
    return panel


def articles_panel(scope) -> Panel:
    top = insights.top_articles(scope)
    return _top_panel(
        "articles", "Articles drawing the most removals", "article", top, "moderation:thread"
    )


def commenters_panel(scope) -> Panel:
    top = insights.repeat_offenders(scope)
    return _top_panel("commenters", "Repeat offenders", "commenter", top, "moderation:commenter")


def moderators_panel(scope) -> Panel:
    rows = insights.per_moderator(scope)
    panel = Panel(
        "moderators",
        "Per moderator",
        "Decisions in the range (an undone one counts only in the undo rate), per day with "
        "any decision; the share of each status; the median wait of the first decisions they "
        "made; the share of their decisions they undid; and how often the two reviews of a "
        "second-review sample they took part in agreed. Median waits cover the whole weeks "
        "that meet the range, as the other weekly figures do.",
        [
            "Name",
            "Decisions",
            "Per active day",
            "Approved",
            "Removed",
            "Escalated",
            "Back to pending",
            "Median wait",
            "Undo rate",
            "Agreement with peers",
            "Samples compared",
        ],
        empty="No decision in this range.",
        open=True,
    )
    panel.rows = [
        [
            f.moderator.get_username(),
            f.decisions,
            "—" if f.per_day is None else f"{f.per_day:.1f}",
            *[_pct(share) for _, share in f.shares],
            _wait(f.median_wait),
            _pct(f.undo_rate),
            _pct(f.agreement),
            f.compared,
        ]
        for f in rows
    ]
    shown = rows[:12]
    panel.svg = charts.bars(
        "Decisions per moderator, by status",
        [f.moderator.get_username()[:10] for f in shown],
        [
            ("Approved", [f.approved for f in shown]),
            ("Removed", [f.removed for f in shown]),
            ("Escalated", [f.escalated for f in shown]),
            ("Back to pending", [f.reopened for f in shown]),
        ],
    )
    panel.legend = [("Approved", 1), ("Removed", 2), ("Escalated", 3), ("Back to pending", 4)]
    return panel


def screening_panel(scope) -> Panel:
    weeks, total = insights.screening(scope)
    panel = Panel(
        "screening",
        "Screening against moderators' decisions",
        "First decisions on comments screening had flagged (a suggestion of at least 0.5 when "
        "decided) and on the others. Precision: of the flagged comments decided, the share "
        "removed. Recall: of the comments removed, the share flagged.",
        [
            "Week of",
            "Flagged, removed",
            "Flagged, approved",
            "Not flagged, removed",
            "Not flagged, approved",
            "Precision",
            "Recall",
        ],
        empty="No first decision in this range.",
    )
    panel.svg = charts.bars(
        panel.title,
        [_short(w.week) for w in weeks],
        [
            ("Flagged, removed", [w.flagged_removed for w in weeks]),
            ("Flagged, approved", [w.flagged_approved for w in weeks]),
            ("Not flagged, removed", [w.unflagged_removed for w in weeks]),
        ],
    )
    panel.legend = [("Flagged, removed", 1), ("Flagged, approved", 2), ("Not flagged, removed", 3)]
    panel.rows = [
        [
            w.week.isoformat(),
            w.flagged_removed,
            w.flagged_approved,
            w.unflagged_removed,
            w.unflagged_approved,
            _pct(w.precision),
            _pct(w.recall),
        ]
        for w in weeks
        if w.flagged or w.removed or w.unflagged_approved
    ]
    if panel.rows:
        panel.footer_title = "All weeks shown"
        panel.footer_headers = ["", *panel.headers[1:]]
        panel.footer = [
            [
                "All weeks",
                total.flagged_removed,
                total.flagged_approved,
                total.unflagged_removed,
                total.unflagged_approved,
                _pct(total.precision),
                _pct(total.recall),
            ]
        ]
    return panel


BUILDERS = {
    "daily": daily_panel,
    "waits": waits_panel,
    "categories": categories_panel,
    "articles": articles_panel,
    "commenters": commenters_panel,
    "moderators": moderators_panel,
    "screening": screening_panel,
}


def _scope(request):
    """The filter and the scope it names (the default twelve weeks for what it lacks or
    refuses)."""
    found = InsightFilter(request.GET or None, queryset=InsightDay.objects.none())
    data = {}
    if found.is_bound:
        found.form.is_valid()  # what it refuses shows beside its field; the rest is kept
        data = found.form.cleaned_data
    site = data.get("site")
    sites = (site.pk,) if site else None
    scope = insights.default_scope(sites, timezone.localdate())
    start, end = data.get("start"), data.get("end")
    if start and end:
        scope = insights.Scope(sites, start, end)
    elif start:
        scope = insights.Scope(
            sites, start, min(start + timedelta(weeks=12) - timedelta(1), timezone.localdate())
        )
        if scope.end < start:
            scope = insights.Scope(sites, start, start)
    elif end:
        scope = insights.Scope(sites, end - timedelta(weeks=12) + timedelta(1), end)
    return found, site, scope


@permissions.require_any(permissions.MODERATE, permissions.EXPORT_DATA)
def insights_page(request):
    found, site, scope = _scope(request)
    seen = _audience(request.user)
    panels = [BUILDERS[key](scope) for key, who in CHARTS.items() if who in seen]
    uncounted, other_zone = insights.recount_needed()
    query = f"?site={site.pk if site else ''}&start={scope.start}&end={scope.end}"
    return render(
        request,
        "moderation/insights.html",
        {
            "filter": found,
            "site": site,
            "scope": scope,
            "panels": panels,
            "query": query,
            "uncounted": uncounted,
            "other_zone": other_zone,
            "researcher_only": "team" not in seen,
            "per_person": "admin" in seen,
            "time_zone": settings.TIME_ZONE,
        },
    )


@permissions.require_any(permissions.MODERATE, permissions.EXPORT_DATA)
def insights_csv(request, chart: str):
    if chart not in CHARTS:
        raise Http404(f"No chart named {chart!r}.")
    if CHARTS[chart] not in _audience(request.user):
        raise PermissionDenied
    found, _, scope = _scope(request)
    if found.is_bound and found.form.errors:
        # A file of another range than the one asked for would mislead: say what is wrong.
        problems = "; ".join(
            f"{name}: {' '.join(errors)}" for name, errors in found.form.errors.items()
        )
        return HttpResponseBadRequest(
            f"Nothing to download: {problems}", content_type="text/plain; charset=utf-8"
        )
    panel = BUILDERS[chart](scope)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="insights-{chart}-{scope.start}-{scope.end}.csv"'
    )
    writer = csv_writer(response)  # every text cell quoted, as the research exports' CSVs
    rows = list(panel.csv_rows())
    if panel.footer:
        rows += [[], [panel.footer_title], panel.footer_headers, *panel.footer]
    for row in rows:
        # A title or a name that would start a formula is not run by a spreadsheet.
        writer.writerow([as_text(cell) for cell in row])
    return response
