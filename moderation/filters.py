"""The django-filter FilterSets of the moderation pages; the queue's is reused by the export."""

import datetime

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import CharField, Exists, F, FilteredRelation, Func, OuterRef, Q
from django.forms import ModelChoiceField
from django.utils.functional import cached_property

from archive import search
from archive.filters import ArticleFilter
from archive.models import Article, Comment, Commenter, Site
from moderation import pagination, permissions
from moderation.actions import Action
from moderation.forms import ROLE_CHOICES
from moderation.models import (
    FLAG_THRESHOLD,
    AuditEvent,
    Category,
    InsightDay,
    ModeratorMark,
    Status,
)
from moderation.widgets import QuickSelect

# SQLite: below how many matches the words searched lead a count or a page (`_matches_lead`).
MATCHES_LEAD_COUNT = 50_000
MATCHES_LEAD_PAGE = 5_000

# "Flagged": pending comments screening suggests break a category, strongest first.
FLAGGED = "flagged"
STATUS_CHOICES = [
    *Status.choices,
    (FLAGGED, "Flagged (likely violations first)"),
    ("all", "Any status"),
]
ORDER_CHOICES = [
    ("oldest", "Oldest first"),
    ("newest", "Newest first"),
    ("best", "Best match (with words)"),
]


class CategoryChoiceField(ModelChoiceField):
    """Categories are per site: name the site so two sites' "Profanity" can be told apart."""

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.site.name})"


class CategoryFilter(django_filters.ModelChoiceFilter):
    field_class = CategoryChoiceField


# How many people or articles a name may stand for in a filter; more, and the moderator is
# asked to type more of it (a name that is a letter would filter by thousands).
NAME_MATCHES_MAX = 20


class NameOrIdField(forms.CharField):
    """A name (any part of it, any case) or ids, cleaned to the ids of the rows it names:
    at most NAME_MATCHES_MAX, else an error that says so; none, an error naming the text."""

    def __init__(self, *args, model, lookup, kind, help, **kwargs):
        self.model, self.lookup, self.kind = model, lookup, kind
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": help}))
        super().__init__(*args, **kwargs)

    def clean(self, value):
        text = super().clean(value).strip()
        if not text:
            return None
        parts = [part.strip() for part in text.split(",")]
        if all(part.isdigit() for part in parts):  # an id, or ids ("12, 40")
            return [int(part) for part in parts]
        ids = list(
            self.model.objects.filter(**{self.lookup: text})
            .order_by("pk")
            .values_list("pk", flat=True)[: NAME_MATCHES_MAX + 1]
        )
        if not ids:
            raise forms.ValidationError(f"No {self.kind} is called “{text}”.")
        if len(ids) > NAME_MATCHES_MAX:
            raise forms.ValidationError(
                f"“{text}” names more than {NAME_MATCHES_MAX} {self.kind}s: type more of it, "
                "or the id."
            )
        return ids


class NameOrIdFilter(django_filters.Filter):
    field_class = NameOrIdField

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


class QueueFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        widget=QuickSelect,
        choices=STATUS_CHOICES,
        method="filter_status",
        empty_label=None,
        label="Status",
    )
    category = CategoryFilter(
        widget=QuickSelect,
        queryset=Category.objects.select_related("site").order_by("site__name", "order"),
        method="filter_category",
        empty_label="Any category",
        label="Category",
    )
    site = django_filters.ModelChoiceFilter(
        widget=QuickSelect,
        field_name="moderation__site",  # the state's copy, which leads an index
        queryset=Site.objects.all(),
        empty_label="All sites",
        label="Site",
    )
    # By name or id; then on the state's copies, which lead an index each
    # (models.ModerationState).
    article = NameOrIdFilter(
        field_name="moderation__article",
        label="Article",
        model=Article,
        lookup="title__icontains",
        kind="article",
        help="title words or id",
    )
    commenter = NameOrIdFilter(
        field_name="moderation__commenter",
        label="Commenter",
        model=Commenter,
        lookup="name__icontains",
        kind="commenter",
        help="name or id",
    )
    moderator = django_filters.ModelChoiceFilter(
        widget=QuickSelect,
        # Only people who moderate (not researchers): a lazy queryset, read per form.
        queryset=permissions.holders(permissions.MODERATE).order_by("username"),
        method="filter_moderator",
        empty_label="Any moderator",
        label="Moderator",
    )
    posted = django_filters.DateFromToRangeFilter(
        field_name="posted_at",
        label="Posted between",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    has_replies = django_filters.ChoiceFilter(
        widget=QuickSelect,
        choices=[("yes", "With replies"), ("no", "Without replies")],
        method="filter_has_replies",
        empty_label="Any",
        label="Replies",
    )
    # The "Assigned to me" tab: the escalations assigned to the person looking (its tab
    # carries it; the form keeps it while other filters change).
    assigned = django_filters.ChoiceFilter(
        choices=[("me", "Assigned to me")],
        method="filter_assigned",
        widget=forms.HiddenInput,
        label="Assigned",
    )
    q = django_filters.CharFilter(method="filter_text", label="Words")
    order = django_filters.ChoiceFilter(
        widget=QuickSelect,
        choices=ORDER_CHOICES,
        method="filter_order",
        empty_label=None,
        label="Order",
    )

    class Meta:
        model = Comment
        fields = []

    def __init__(self, data=None, *args, rank=True, **kwargs):
        # `rank`: order the best matches by score; a count (rank=False) needs no order.
        self.rank = rank
        # A moderator's default view: what still waits for a decision, oldest first.
        data = data.copy() if data is not None else {}
        data.setdefault("status", Status.PENDING)
        data.setdefault("order", "oldest")
        if data.get("status") != Status.ESCALATED:
            data.pop("assigned", None)  # only escalations are assigned: the tab is theirs
        super().__init__(data, *args, **kwargs)

    @property
    def keys(self) -> list[tuple[str, bool]]:
        """The queue's order as keyset keys: when each comment joined the queue, then its id,
        read from the table that leads the walk (see `filter_queryset`); or, for the best
        matches of the words searched, the match score, then the id. An invalid `order` is
        oldest first."""
        if self._best_match():
            return [("search_rank", True), ("pk", False)]
        newest = self._cleaned("order") == "newest"
        if self._cleaned("status") == FLAGGED:
            return [("lead_score", True), ("lead_at", newest), ("lead_id", newest)]
        return [("lead_at", newest), ("lead_id", newest)]

    def place_of(self, comment_id: int) -> tuple | None:
        """The values of `keys` at a comment (a page's cursor), whatever its status now: a
        page does not move when the row it starts after was decided meanwhile. Every lead
        copies the state's queue time, so the state says where the comment stands."""
        row = Comment.objects.filter(pk=comment_id)
        if self._best_match():
            return (
                search.best_first(row, self._cleaned("q")).values_list("search_rank", "pk").first()
            )
        if self._cleaned("status") == FLAGGED:
            return row.values_list(
                "moderation__flag_score", "moderation__queued_at", "moderation__comment_id"
            ).first()
        return row.values_list("moderation__queued_at", "moderation__comment_id").first()

    def filter_queryset(self, queryset):
        """Name the table whose index the queue walks, as `lead_at`, `lead_id` and
        `lead_status`: a category's marks when a category is chosen, else a moderator's
        marks when a moderator is, else the comments' states. Every one copies status and
        queue time and has an index on (key, status, queue time, comment), so any tab of
        any of these queues is one index walk, whatever the database's planner guesses.
        (Aliases, because a relation of many rows named again in a later `filter()` would
        be joined again; an alias is joined once.)"""
        queryset = queryset.alias(**self._lead())
        if self._names_nothing():
            return queryset.none()
        return super().filter_queryset(queryset)

    def _names_nothing(self) -> bool:
        """Whether a name typed in a name-or-id filter names nothing it can filter by (nobody,
        or too many): then no comment matches. (Another filter in error is left out, as
        django-filter does, and the form says why; a name left out would show everyone's
        comments under a name that matched none.)"""
        self.is_valid()
        return any(
            name in self.form.errors
            for name, filter_ in self.filters.items()
            if isinstance(filter_, NameOrIdFilter)
        )

    def _lead(self) -> dict:
        return {"lead_score": F("moderation__flag_score"), **self._lead_table()}

    def _lead_table(self) -> dict:
        category, moderator = self._cleaned("category"), self._cleaned("moderator")
        if category is not None:
            relation, condition = "category_marks", Q(category_marks__category=category)
        elif moderator is not None:
            relation, condition = "moderator_marks", Q(moderator_marks__moderator=moderator)
        else:
            return {
                "lead_at": F("moderation__queued_at"),
                "lead_id": F("moderation__comment_id"),
                "lead_status": F("moderation__status"),
            }
        return {
            "lead": FilteredRelation(relation, condition=condition),
            "lead_at": F("lead__queued_at"),
            "lead_id": F("lead__comment_id"),
            "lead_status": F("lead__status"),
        }

    def _cleaned(self, name):
        self.is_valid()  # validates once; cleaned_data holds the valid fields even if not all
        return getattr(self.form, "cleaned_data", {}).get(name)

    def _best_match(self) -> bool:
        return self._cleaned("order") == "best" and bool(search.words(self._cleaned("q")))

    def status_counts(self) -> dict:
        """How many of this filter's comments are in each status (the queue's tabs) and in
        all, capped (`pagination.capped_counts`), in one query; with words searched, the
        shown status only (the others None). Counted as a count is (`rank=False`), whatever
        this filter's own `rank`."""
        if self._names_nothing():
            return dict.fromkeys(
                [*Status, FLAGGED, "all", "assigned"], pagination.CappedCount.of(0)
            )
        data = self.data.copy()
        data["status"] = "all"
        data.pop("assigned", None)  # the status tabs are everyone's; "assigned" is added below
        for name, filter_ in self.filters.items():
            if isinstance(filter_, NameOrIdFilter) and self._cleaned(name):
                # The ids a name was found to stand for: not looked up a second time.
                data[name] = ",".join(str(pk) for pk in self._cleaned(name))
        every = QueueFilter(data, queryset=self.queryset, rank=False, request=self.request)
        base = every.qs
        querysets = {value: every.filter_status(base, "status", value) for value in Status}
        querysets[FLAGGED] = every.filter_status(base, "status", FLAGGED)
        querysets["all"] = base
        if self.request is not None:
            querysets["assigned"] = self.filter_assigned(querysets[Status.ESCALATED], "", "me")
        if search.words(self._cleaned("q")):
            # Each count of a word search reads the matches (17,604 for "idiot" at a million:
            # 7 ms on SQLite, 35-55 on PostgreSQL): only the tab shown is counted (None: not
            # counted).
            shown = self.tab
            counted = pagination.capped_counts({shown: querysets[shown]})
            return {key: counted.get(key) for key in querysets}
        return pagination.capped_counts(querysets)

    @property
    def tab(self) -> str:
        """The tab shown: "assigned" (to me), else the status asked for."""
        if self._cleaned("assigned") and self.request is not None:
            return "assigned"
        return self._cleaned("status") or Status.PENDING

    def filter_assigned(self, queryset, name, value):
        """Escalated comments assigned to the person looking (nobody's without a request)."""
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return queryset.none()
        return queryset.filter(moderation__assignee=user, moderation__status=Status.ESCALATED)

    def filter_status(self, queryset, name, value):
        if value == FLAGGED:
            # Pending ones screening suggests break a category (state_flagged_queue).
            flagged = queryset.filter(moderation__flag_score__gte=FLAG_THRESHOLD)
            return self.filter_status(flagged, name, Status.PENDING)
        if value == "all":
            # An inner join to the lead (every comment has its state), so its index leads.
            return queryset.filter(lead_id__isnull=False)
        if self._matches_lead():
            # A unary plus keeps `status = ?` off the index (see `_matches_lead`).
            return queryset.alias(
                lead_status_unindexed=Func(
                    F("lead_status"), template="+%(expressions)s", output_field=CharField()
                )
            ).filter(lead_status_unindexed=value)
        return queryset.filter(lead_status=value)

    @cached_property
    def _matches_lead_sqlite(self) -> bool:
        if self._best_match() and self.rank:
            return True  # every match is scored and sorted, whatever leads
        limit = MATCHES_LEAD_PAGE if self.rank else MATCHES_LEAD_COUNT
        return search.fewer_matches_than(self._cleaned("q"), limit)

    def _matches_lead(self) -> bool:
        """Whether the comments matching the words searched should lead the query rather
        than the status index. SQLite keeps no statistics and guesses that `status = ?`
        names a handful of rows, so it walked the status index through the pending
        comments, checking each against the matches, whatever their number. That suits a
        common word on a page in queue order (a match every few rows: a short walk), not
        the rest: "Best match" scores and sorts every match anyway (570 ms for "idiot" at a
        million, 75 ms led by its 17,604 matches), and a capped count of a rarer word walks
        a thousand matches' worth of the index (275 ms for "moron", 8,703 matches). So
        the matches lead "Best match", a count when they are fewer than
        MATCHES_LEAD_COUNT and a page when fewer than MATCHES_LEAD_PAGE (a page in queue
        order walks about 50 / share of matches rows of the index, led by the matches it
        looks up every one). PostgreSQL keeps statistics and chooses by itself."""
        if connection.vendor != "sqlite" or not search.words(self._cleaned("q")):
            return False
        return self._matches_lead_sqlite

    def filter_category(self, queryset, name, value):
        # The category's marks lead (see `filter_queryset`): only comments with one.
        return queryset.filter(lead_id__isnull=False)

    def filter_moderator(self, queryset, name, value):
        if self._cleaned("category") is None:
            return queryset.filter(lead_id__isnull=False)  # the moderator's marks lead
        # Along the category's marks, each comment looked up in the moderator's by key.
        return queryset.filter(
            Exists(ModeratorMark.objects.filter(comment=OuterRef("pk"), moderator=value))
        )

    def filter_has_replies(self, queryset, name, value):
        replies = Comment.objects.filter(parent=OuterRef("pk"))
        if value == "yes":
            return queryset.filter(Exists(replies))
        return queryset.exclude(Exists(replies))

    def filter_text(self, queryset, name, value):
        # The database's full-text index: every word, as a word or the start of one. A count
        # (rank False) needs no order, so it does not rank what it counts.
        if self._best_match() and self.rank:
            return search.best_first(queryset, value)
        return search.matching(queryset, value)

    def filter_order(self, queryset, name, value):
        return queryset  # the order is the page's (see `keys`), not the filter's


class AuditFilter(django_filters.FilterSet):
    actor = django_filters.ModelChoiceFilter(
        widget=QuickSelect,
        queryset=get_user_model().objects.order_by("username"),
        empty_label="Anyone",
    )
    action = django_filters.ChoiceFilter(
        choices=Action.choices, empty_label="Any action", widget=QuickSelect
    )
    created = django_filters.DateFromToRangeFilter(field_name="created_at", label="Between")
    site = django_filters.ModelChoiceFilter(
        queryset=Site.objects.all(), empty_label="All sites", widget=QuickSelect
    )
    article = django_filters.NumberFilter(field_name="article", label="Article id")
    comment = django_filters.NumberFilter(field_name="comment", label="Comment id")
    commenter = django_filters.NumberFilter(field_name="commenter", label="Commenter id")

    class Meta:
        model = AuditEvent
        fields = []


class UserFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(
        widget=QuickSelect,
        choices=ROLE_CHOICES,
        field_name="groups__name",
        empty_label="Any role",
        label="Role",
    )
    is_active = django_filters.ChoiceFilter(
        widget=QuickSelect,
        choices=[("yes", "Active"), ("no", "Deactivated")],
        method="filter_active",
        empty_label="Any",
        label="Status",
    )
    q = django_filters.CharFilter(method="search", label="Name or email")

    class Meta:
        model = get_user_model()
        fields = []

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "yes")

    def search(self, queryset, name, value):
        return queryset.filter(Q(username__icontains=value) | Q(email__icontains=value))


# The article list's orders: the archive's own (newest published) and the queue counts'.
ARTICLE_ORDERS = [
    ("published", "Newest published"),
    ("pending", "Most pending"),
    ("escalated", "Most escalated"),
]


class ArticleQueueFilter(ArticleFilter):
    """The archive's article filters (site, words), with an order by the articles' queue
    counts, for a queryset from `queries.articles_with_queue_counts` (which annotates
    `pending` and `escalated` from the kept counters: never a count of states)."""

    order = django_filters.ChoiceFilter(
        widget=QuickSelect,
        choices=ARTICLE_ORDERS,
        method="filter_order",
        empty_label=None,
        label="Order",
    )

    class Meta(ArticleFilter.Meta):
        fields = [*ArticleFilter.Meta.fields, "order"]

    def filter_order(self, queryset, name, value):
        """Most pending (or escalated) first, the article id breaking ties (the order of the
        counters' indexes); newest published: the queryset's own order."""
        if value in ("pending", "escalated"):
            return queryset.order_by(F(value).desc(), "pk")
        return queryset


# The insights' range: a site (or every site) and the days, at most MAX_INSIGHT_DAYS.
MAX_INSIGHT_DAYS = 366
INSIGHT_DAYS = (datetime.date(1900, 1, 1), datetime.date(2999, 12, 31))  # the days one may ask


class InsightFilter(django_filters.FilterSet):
    """/insights/: the site and the days the figures cover (`insights.Scope`). The roll-ups
    are read by the figures' own queries; this checks and names what was asked for."""

    site = django_filters.ModelChoiceFilter(
        queryset=Site.objects.order_by("name"), empty_label="Every site", method="keep"
    )
    start = django_filters.DateFilter(
        label="From", method="keep", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = django_filters.DateFilter(
        label="To", method="keep", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = InsightDay
        fields = []

    def keep(self, queryset, name, value):
        return queryset

    @property
    def form(self):
        form = super().form
        if not getattr(form, "_range_checked", False):
            form._range_checked = True
            original = form.clean

            def clean():
                data = original()
                start, end = data.get("start"), data.get("end")
                for name, day in (("start", start), ("end", end)):
                    if day and not INSIGHT_DAYS[0] <= day <= INSIGHT_DAYS[1]:
                        form.add_error(
                            name, f"Choose a day from {INSIGHT_DAYS[0]} to {INSIGHT_DAYS[1]}; "
                            f"{day} is outside."
                        )  # fmt: skip
                        start = end = None
                if start and end and start > end:
                    form.add_error("end", f"“To” ({end}) is before “From” ({start}).")
                elif start and end and (end - start).days + 1 > MAX_INSIGHT_DAYS:
                    form.add_error(
                        "end", f"Choose at most {MAX_INSIGHT_DAYS} days; this is "
                        f"{(end - start).days + 1}."
                    )  # fmt: skip
                return data

            form.clean = clean
        return form
