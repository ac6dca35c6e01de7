"""Research exports: the filter, pseudonyms, comment and label rows, their CSV / JSONL / ZIP
writers, and the codebook with its data statement.

Everything streams. Comments are read with `.iterator(chunk_size=CHUNK)` and, for each chunk,
their tags and decisions in two bulk queries, so the number of queries grows with the number
of chunks, never of rows, and memory stays flat whatever the size of the export. The figures
that need every row (counts, agreement) are accumulated one comment at a time from two
ordered queries over the filtered set (`Export.summary`).

What a label is (also written into every codebook, see DEFINITIONS):

* the reviewers of a comment are the distinct moderators who tagged it (tags later retracted
  included: they looked and changed their mind) or made a decision on it;
* a reviewer's label for (comment, category) is 1 when they hold a non-retracted tag of that
  category on it, or made the comment's final decision, a removal citing that category;
  otherwise 0;
* vote fraction = positive labels / reviewers; majority label = 1 when the fraction > 0.5;
* a reviewed comment without a single positive label is a reviewed negative, not missing data;
  a comment nobody reviewed has `reviewed` false and nulls for its labels.

Pseudonyms are HMAC-SHA256 under EXPORT_PSEUDONYM_KEY, an environment variable kept out of the
database: the same key gives the same pseudonyms in every export, another key others.
"""

import csv
import hashlib
import hmac
import io
import json
import os
import zipfile
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from importlib import metadata
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q
from django.utils import timezone

from archive.models import Comment, Site
from moderation import audit, queries
from moderation.agreement import Agreement, Figure
from moderation.filters import QueueFilter
from moderation.models import Category, Decision, Policy, Status, Tag

CHUNK = 1000  # comments per query; also under SQLite's limit on query parameters
ZIP_FLUSH = 256 * 1024  # bytes of compressed output gathered before they are sent

KEY_VARIABLE = "EXPORT_PSEUDONYM_KEY"
MIN_KEY_LENGTH = 32
# Used only when DEBUG is on and no key is set; every codebook made with it says so.
DEVELOPMENT_KEY = "development-only-export-pseudonym-key: never use it for real data"
HOW_TO_SET_KEY = (
    f"Exports are switched off: {KEY_VARIABLE} is not set. Pseudonyms are derived from this "
    "secret, which must stay out of the database. Set it in the server's environment to a "
    "long random value and keep it (the same key gives the same pseudonyms in every export), "
    f"e.g. {KEY_VARIABLE}=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
)

TABLES = ("comments", "labels")
FORMATS = ("csv", "jsonl")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "zip": "application/zip",
}
REVIEW_ROUTES = {
    "queue": "reviewed from the moderation queue or a moderated thread (every review today)",
    "flagged": "reserved: reported by a reader before review (not collected yet)",
    "sampled": "reserved: drawn into a review sample (not collected yet)",
}


class ExportUnavailable(Exception):
    """Exports cannot run as configured (no pseudonym key); str() says how to fix it."""


# Pseudonyms


@dataclass(frozen=True)
class PseudonymKey:
    secret: bytes = field(repr=False)
    development: bool = False


def pseudonym_key() -> PseudonymKey:
    """The key from the environment; in debug without one, a fixed development key."""
    raw = os.environ.get(KEY_VARIABLE, "").strip()
    if raw:
        if len(raw) < MIN_KEY_LENGTH:
            raise ExportUnavailable(
                f"{KEY_VARIABLE} is too short ({len(raw)} characters): commenter names are "
                f"public, so a short key could be guessed from them. Use at least "
                f"{MIN_KEY_LENGTH} random characters, e.g. "
                "$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
            )
        return PseudonymKey(raw.encode())
    if settings.DEBUG:
        return PseudonymKey(DEVELOPMENT_KEY.encode(), development=True)
    raise ExportUnavailable(HOW_TO_SET_KEY)


class Pseudonyms:
    """Commenters as `c-` and moderators as `m-` followed by the first 16 hex digits of
    HMAC-SHA256(key, "commenter:<site name>:<display name>") or (key, "moderator:<user id>").
    With `real_names` (an Admin's explicit, audited choice): the display name and username."""

    def __init__(self, key: PseudonymKey, *, real_names: bool = False):
        self.key = key
        self.real_names = real_names
        self._moderators: dict[int, str] = {}

    def _digest(self, message: str) -> str:
        return hmac.new(self.key.secret, message.encode(), hashlib.sha256).hexdigest()[:16]

    def commenter(self, site_name: str, name: str | None) -> str | None:
        """None for an anonymous comment (it has no commenter)."""
        if name is None:
            return None
        if self.real_names:
            return name
        return "c-" + self._digest(f"commenter:{site_name}:{name}")

    def moderator(self, user_id: int) -> str:
        if user_id not in self._moderators:
            if self.real_names:
                self._moderators.update(
                    get_user_model().objects.values_list("pk", "username").iterator()
                )
            else:
                self._moderators[user_id] = "m-" + self._digest(f"moderator:{user_id}")
        return self._moderators[user_id]


# The filter: the queue's, with every status by default and "reviewed only"


def reviewed_q() -> Q:
    """A comment is reviewed when it has any decision or any tag (retracted ones included)."""
    return Q(Exists(Tag.objects.filter(comment=OuterRef("pk")))) | Q(
        Exists(Decision.objects.filter(comment=OuterRef("pk")))
    )


class ExportFilter(QueueFilter):
    """The queue's FilterSet: site, article, category, status, moderator, posting dates; plus
    reviewed only. Its default status is "all" (the queue's is "pending"); the queue's text
    search, commenter, replies and order filters are left out (rows come in id order)."""

    reviewed = django_filters.BooleanFilter(
        method="filter_reviewed", label="Reviewed only", widget=forms.CheckboxInput
    )
    NOT_FOR_EXPORT = ("q", "commenter", "has_replies", "order")
    LABELS = {"status": "Status", "category": "Category", "site": "Site", "moderator": "Moderator"}

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("status", "all")
        super().__init__(data, *args, **kwargs)
        for name in self.NOT_FOR_EXPORT:
            self.filters.pop(name, None)
        # QueueFilter's method filters have no label (django-filter shows "[invalid name]").
        for name, label in self.LABELS.items():
            self.filters[name].label = label

    def filter_reviewed(self, queryset, name, value):
        return queryset.filter(reviewed_q()) if value else queryset

    def used(self) -> dict:
        """The cleaned filters as plain values (no names of people): what the audit records."""
        data = self.form.cleaned_data
        posted = data.get("posted")
        return {
            "status": data.get("status") or "all",
            "site": data["site"].name if data.get("site") else None,
            "article": int(data["article"]) if data.get("article") is not None else None,
            "category": (
                f"{data['category'].site.name}/{data['category'].slug}"
                if data.get("category")
                else None
            ),
            "moderator": data["moderator"].pk if data.get("moderator") else None,
            "posted_after": _iso(posted.start) if posted else None,
            "posted_before": _iso(posted.stop) if posted else None,
            "reviewed_only": bool(data.get("reviewed")),
        }


class OptionsForm(forms.Form):
    real_names = forms.BooleanField(
        required=False,
        label="Real names instead of pseudonyms (Admins only; recorded in the audit log)",
    )


# Columns: the dictionary every codebook carries (and docs/export.md repeats)


class Column(NamedTuple):
    name: str
    type: str
    description: str


COMMENT_COLUMNS = [
    Column("comment_id", "integer", "The comment's id in the dashboard."),
    Column("site", "string", "The site's name."),
    Column("article_id", "integer", "The article's id in the dashboard."),
    Column("article_title", "string", "The article's title."),
    Column("article_url", "string|null", "The article's address as published, when known."),
    Column("position", "string", "The number shown on the page: 2, or 2.1 for its reply."),
    Column("parent_id", "integer|null", "The comment it replies to; null at the top level."),
    Column("depth", "integer", "0 for a top-level comment, 1 for a reply, and so on."),
    Column(
        "author",
        "string|null",
        "The commenter's pseudonym (c-…, per site and display name); null when anonymous. "
        "The display name itself only in an Admin's real-names export.",
    ),
    Column("posted_at", "datetime|null", "When it was posted, UTC (ISO 8601, Z)."),
    Column("source_status", "string", "published, or held (submitted but never shown to readers)."),
    Column("text", "string", "The text exactly as moderators saw it; span offsets index it."),
    Column("text_sha256", "string", "SHA-256 of `text` in UTF-8, hex."),
    Column("reviewed", "boolean", "Whether anyone reviewed it (any tag or decision)."),
    Column(
        "review_route",
        "string|null",
        "How it reached review: queue; flagged and sampled are reserved. Null if unreviewed.",
    ),
    Column("status", "string", "Final status: pending, approved, removed or escalated."),
    Column("decided_at", "datetime|null", "Time of its last decision, UTC; null if none."),
    Column("reviewers", "integer", "Number of reviewers (see definitions)."),
    Column(
        "fraction_<category>",
        "number|null",
        "One per category slug: positive labels / reviewers. Null when unreviewed, or when "
        "the category is not one of the comment's site.",
    ),
    Column(
        "majority_<category>",
        "integer|null",
        "One per category slug: 1 when fraction_<category> > 0.5, else 0; null as above.",
    ),
    Column(
        "spans",
        "list",
        "Passages tagged with a non-retracted tag: {start, end, category, text, moderator}, "
        "0-based end-exclusive character offsets into `text`; `text` is the passage as "
        "quoted when tagged (compare with text[start:end] to catch drift). JSON in CSV.",
    ),
    Column(
        "policy_version",
        "integer|null",
        "The site's policy version in force at the comment's last review action.",
    ),
]

LABEL_COLUMNS = [
    Column("comment_id", "integer", "The comment (see comments)."),
    Column("site", "string", "The site's name."),
    Column("category", "string", "The category's slug (see categories)."),
    Column("moderator", "string", "The reviewer's pseudonym (m-…); username only if real names."),
    Column("label", "integer", "1 or 0 (see definitions)."),
    Column(
        "basis",
        "string",
        "tag: a non-retracted tag; removal: the comment's final decision, a removal citing the "
        "category; retracted_tag: tagged, then every such tag retracted (label 0); "
        "reviewed: reviewed without tagging it (label 0).",
    ),
    Column(
        "labelled_at",
        "datetime",
        "UTC. tag: when the (earliest current) tag was made; removal: the decision's time; "
        "retracted_tag: when the retracted tag was made; reviewed: the moderator's first "
        "action on the comment.",
    ),
    Column("policy_version", "integer|null", "The policy version in force at labelled_at."),
    Column("retracted", "boolean", "Whether this moderator's tag was later retracted."),
    Column("retracted_at", "datetime|null", "When it was retracted, UTC."),
]

DEFINITIONS = {
    "reviewers": "The distinct moderators who tagged the comment (tags later retracted "
    "included) or made any decision on it.",
    "reviewed": "A comment is reviewed when it has any tag or any decision.",
    "label": "A reviewer's label for (comment, category) is 1 when they hold a non-retracted "
    "tag of that category on the comment, or made the comment's final decision, a removal "
    "citing that category as a reason; otherwise 0. Retracted tags and superseded decisions "
    "are not positive votes. Every category of the comment's site gets a label, retired ones "
    "included.",
    "vote_fraction": "Positive labels / reviewers, per category.",
    "majority_label": "1 when the vote fraction is greater than 0.5 (a tie is 0).",
    "reviewed_negative": "A reviewed comment with no positive label in any category (e.g. "
    "approved without tags): a negative example, not missing data.",
    "unreviewed": "Nobody reviewed the comment: reviewed is false, reviewers 0, fractions, "
    "majorities and review_route null, and it has no label rows.",
    "review_route": REVIEW_ROUTES,
    "agreement": "Per category, Krippendorff's alpha (nominal) over all reviewers' labels, on "
    "the comments with two or more reviewers; Cohen's kappa for each pair of moderators over "
    "the comments both reviewed. `items` is the number of comments a figure rests on; a "
    "figure is null, with a reason, when undefined (no comment with two reviewers, or no "
    "variation).",
    "pseudonyms": "c-/m- followed by the first 16 hex digits of HMAC-SHA256(key, "
    '"commenter:<site>:<display name>") or (key, "moderator:<user id>"). The key is kept '
    "out of the database: the same key gives the same pseudonyms in every export.",
    "times": "UTC, ISO 8601 with a Z suffix.",
}


def comment_columns(slugs: Iterable[str]) -> list[str]:
    names = []
    for column in COMMENT_COLUMNS:
        if column.name == "fraction_<category>":
            names += [f"fraction_{slug}" for slug in slugs]
        elif column.name == "majority_<category>":
            names += [f"majority_{slug}" for slug in slugs]
        else:
            names.append(column.name)
    return names


LABEL_COLUMN_NAMES = [column.name for column in LABEL_COLUMNS]


# Reading moderators' work as labels


class CategoryInfo(NamedTuple):
    id: int
    site_id: int
    slug: str
    name: str
    order: int
    definition: str
    active: bool


class PolicyHistory:
    """Each site's policy versions in time order, to say which was in force when."""

    def __init__(self):
        self._by_site: dict[int, tuple[list[datetime], list[int]]] = {}
        for site_id, rows in groupby(
            Policy.objects.order_by("site_id", "created_at", "version").values_list(
                "site_id", "created_at", "version"
            ),
            key=itemgetter(0),
        ):
            rows = list(rows)
            self._by_site[site_id] = ([r[1] for r in rows], [r[2] for r in rows])

    def at(self, site_id: int, moment: datetime | None) -> int | None:
        if moment is None or site_id not in self._by_site:
            return None
        times, versions = self._by_site[site_id]
        i = bisect_right(times, moment)
        return versions[i - 1] if i else None


class Vote(NamedTuple):
    label: int
    basis: str
    at: datetime
    policy_version: int | None
    retracted_at: datetime | None = None


# The values read for each tag and each decision (one row per decision and reason).
TAG_FIELDS = (
    "comment_id",
    "moderator_id",
    "category_id",
    "span_start",
    "span_end",
    "quoted_text",
    "created_at",
    "retracted_at",
    "policy__version",
)
DECISION_FIELDS = ("comment_id", "moderator_id", "created_at", "pk", "status", "reasons")


class Review:
    """What moderators did to one comment, read as labels (the module docstring's rules)."""

    def __init__(self, site_id, categories, tags, decisions, final_decision_id, policies):
        self.site_id = site_id
        self.categories: list[CategoryInfo] = categories
        first: dict[int, datetime] = {}
        last = None
        current, retracted, removal = {}, {}, {}
        self.span_tags = []
        for _, mod, cat, start, end, quote, created, retracted_at, version in tags:
            first[mod] = min(first.get(mod, created), created)
            last = max(last or created, created, retracted_at or created)
            if retracted_at is None:
                current.setdefault((mod, cat), (created, version))
                if start is not None:
                    self.span_tags.append((start, end, cat, quote, mod))
            elif (mod, cat) not in retracted or retracted_at > retracted[mod, cat][2]:
                retracted[mod, cat] = (created, version, retracted_at)
        for _, mod, created, pk, status, reason in decisions:
            first[mod] = min(first.get(mod, created), created)
            last = max(last or created, created)
            if pk == final_decision_id and status == Status.REMOVED and reason is not None:
                removal[mod, reason] = created
        self.reviewers = sorted(first)
        self.last_action = last
        self.policy_version = policies.at(site_id, last)
        self.votes: dict[tuple[int, int], Vote] = {}
        for mod in self.reviewers:
            for category in categories:
                key = (mod, category.id)
                if key in current:
                    created, version = current[key]
                    vote = Vote(1, "tag", created, version)
                elif key in removal:
                    vote = Vote(1, "removal", removal[key], policies.at(site_id, removal[key]))
                elif key in retracted:
                    created, version, retracted_at = retracted[key]
                    vote = Vote(0, "retracted_tag", created, version, retracted_at)
                else:
                    vote = Vote(0, "reviewed", first[mod], policies.at(site_id, first[mod]))
                self.votes[key] = vote

    @property
    def reviewed(self) -> bool:
        return bool(self.reviewers)

    def fractions(self) -> dict[int, float]:
        """Vote fraction per category id (empty when unreviewed)."""
        n = len(self.reviewers)
        if not n:
            return {}
        return {
            c.id: sum(self.votes[mod, c.id].label for mod in self.reviewers) / n
            for c in self.categories
        }

    def labels(self) -> dict[int, dict[int, int]]:
        """labels[category id][moderator id], what agreement is computed from."""
        return {
            c.id: {mod: self.votes[mod, c.id].label for mod in self.reviewers}
            for c in self.categories
        }


@dataclass
class Summary:
    comments: int
    reviewed: int
    reviewed_negatives: int
    labels: int
    first_posted: datetime | None
    last_posted: datetime | None
    agreement: Agreement


# One export


class Export:
    """One export: the filtered comments, how people are named, and the moment it was made.

    Build it from a bound, valid ExportFilter. Row generators read the database lazily, so a
    streaming response starts sending before the last comment is read."""

    def __init__(
        self,
        filterset: ExportFilter,
        key: PseudonymKey,
        *,
        real_names: bool = False,
        now: datetime | None = None,
    ):
        if not filterset.is_valid():
            raise ValueError("an export needs a valid filter")
        self.filterset = filterset
        self.key = key
        self.real_names = real_names
        self.pseudonyms = Pseudonyms(key, real_names=real_names)
        self.exported_at = now or timezone.now()

    @classmethod
    def from_query(cls, data, *, real_names=False, key=None, now=None) -> "Export":
        """From query-string-like data; raises ExportUnavailable without a key and
        ValueError on filters that do not validate (check ExportFilter first to show why)."""
        filterset = ExportFilter(data, queryset=Comment.objects.all())
        return cls(filterset, key or pseudonym_key(), real_names=real_names, now=now)

    @cached_property
    def comments(self):
        """The filtered comments (a queryset, not evaluated)."""
        return self.filterset.qs.order_by()

    @cached_property
    def categories(self) -> list[CategoryInfo]:
        """The categories of the sites that have comments in the export (one query)."""
        in_export = self.comments.filter(article__site=OuterRef("site"))
        return [
            CategoryInfo(*row)
            for row in Category.objects.filter(Exists(in_export))
            .order_by("site__name", "order", "pk")
            .values_list("pk", "site_id", "slug", "name", "order", "definition", "active")
        ]

    @cached_property
    def _by_site(self) -> dict[int, list[CategoryInfo]]:
        by_site = defaultdict(list)
        for category in self.categories:
            by_site[category.site_id].append(category)
        return by_site

    @cached_property
    def _by_id(self) -> dict[int, CategoryInfo]:
        return {category.id: category for category in self.categories}

    @cached_property
    def slugs(self) -> list[str]:
        """Category slugs for the per-category columns, in keyboard order."""
        order: dict[str, tuple] = {}
        for c in self.categories:
            order[c.slug] = min(order.get(c.slug, (c.order, c.slug)), (c.order, c.slug))
        return sorted(order, key=order.__getitem__)

    @cached_property
    def policies(self) -> PolicyHistory:
        return PolicyHistory()

    def date_stamp(self) -> str:
        return self.exported_at.astimezone(UTC).date().isoformat()

    def filename(self, what: str, fmt: str) -> str:
        """e.g. comments-2026-11-22.csv: the date only, never a person's name."""
        return f"{what}-{self.date_stamp()}.{fmt}"

    # Counting (before streaming, for the audit)

    def count(self, table: str) -> int:
        """Rows a table will hold, in one COUNT query."""
        if table == "comments":
            return self.comments.count()
        if table == "labels":
            # Distinct (comment, reviewer, category of the comment's site) triples.
            ids = self.comments.values("pk")
            tagged = (
                Tag.objects.filter(comment__in=ids)
                .order_by()
                .values_list("comment_id", "moderator_id", "category__site__categories")
            )
            decided = (
                Decision.objects.filter(comment__in=ids)
                .order_by()
                .values_list("comment_id", "moderator_id", "comment__article__site__categories")
            )
            return tagged.union(decided).count()
        raise ValueError(f"no table {table!r}")

    # Reading comments with their reviews, a chunk at a time

    def reviewed_comments(self) -> Iterator[list[tuple[dict, Review]]]:
        """Chunks of (comment values, Review), in comment id order: three queries a chunk."""
        rows = (
            queries.with_status(self.comments)
            .order_by("pk")
            .values(
                "id",
                "article_id",
                "parent_id",
                "position",
                "posted_at",
                "body_text",
                "source_status",
                "status",
                site_id=F("article__site_id"),
                site_name=F("article__site__name"),
                title=F("article__title"),
                url=F("article__source_url"),
                commenter_name=F("commenter__name"),
                decided_at=F("moderation__decision__created_at"),
                decision_id=F("moderation__decision_id"),
            )
        )
        for chunk in _chunks(rows.iterator(chunk_size=CHUNK), CHUNK):
            ids = [row["id"] for row in chunk]
            tags = _group(
                Tag.objects.filter(comment_id__in=ids)
                .order_by("comment_id", "created_at", "pk")
                .values_list(*TAG_FIELDS)
            )
            decisions = _group(
                Decision.objects.filter(comment_id__in=ids)
                .order_by("comment_id", "version", "pk")
                .values_list(*DECISION_FIELDS)
            )
            yield [
                (
                    row,
                    Review(
                        row["site_id"],
                        self._by_site.get(row["site_id"], []),
                        tags.get(row["id"], ()),
                        decisions.get(row["id"], ()),
                        row["decision_id"],
                        self.policies,
                    ),
                )
                for row in chunk
            ]

    def comment_rows(self) -> Iterator[list[dict]]:
        for chunk in self.reviewed_comments():
            yield [self._comment_row(row, review) for row, review in chunk]

    def _comment_row(self, c: dict, review: Review) -> dict:
        text = c["body_text"]
        reviewed = review.reviewed
        fraction = {}  # by slug: only the comment's site's categories, only when reviewed
        if reviewed:
            by_id = review.fractions()
            fraction = {category.slug: by_id[category.id] for category in review.categories}
        fractions_and_majorities = {
            **{f"fraction_{slug}": fraction.get(slug) for slug in self.slugs},
            **{
                f"majority_{slug}": int(fraction[slug] > 0.5) if slug in fraction else None
                for slug in self.slugs
            },
        }
        return {
            "comment_id": c["id"],
            "site": c["site_name"],
            "article_id": c["article_id"],
            "article_title": c["title"],
            "article_url": c["url"] or None,
            "position": c["position"],
            "parent_id": c["parent_id"],
            "depth": c["position"].count("."),
            "author": self.pseudonyms.commenter(c["site_name"], c["commenter_name"]),
            "posted_at": _iso(c["posted_at"]),
            "source_status": c["source_status"],
            "text": text,
            "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "reviewed": reviewed,
            "review_route": "queue" if reviewed else None,
            "status": c["status"],
            "decided_at": _iso(c["decided_at"]),
            "reviewers": len(review.reviewers),
            **fractions_and_majorities,
            "spans": [
                {
                    "start": start,
                    "end": end,
                    "category": self._by_id[cat].slug,
                    "text": quote,
                    "moderator": self.pseudonyms.moderator(mod),
                }
                for start, end, cat, quote, mod in review.span_tags
            ],
            "policy_version": review.policy_version,
        }

    def label_rows(self) -> Iterator[list[dict]]:
        for chunk in self.reviewed_comments():
            rows = []
            for c, review in chunk:
                for mod in review.reviewers:
                    moderator = self.pseudonyms.moderator(mod)
                    for category in review.categories:
                        vote = review.votes[mod, category.id]
                        rows.append(
                            {
                                "comment_id": c["id"],
                                "site": c["site_name"],
                                "category": category.slug,
                                "moderator": moderator,
                                "label": vote.label,
                                "basis": vote.basis,
                                "labelled_at": _iso(vote.at),
                                "policy_version": vote.policy_version,
                                "retracted": vote.retracted_at is not None,
                                "retracted_at": _iso(vote.retracted_at),
                            }
                        )
            yield rows

    # Counts and agreement over the whole filtered set, in a fixed number of queries

    def summary(self) -> Summary:
        """Counts and agreement: one aggregate and two ordered queries, read as streams."""
        totals = self.comments.aggregate(
            n=Count("pk"), first=Min("posted_at"), last=Max("posted_at")
        )
        ids = self.comments.values("pk")
        tags = (
            Tag.objects.filter(comment__in=ids)
            .order_by("comment_id", "created_at", "pk")
            .values_list(*TAG_FIELDS)
            .iterator(chunk_size=CHUNK)
        )
        decisions = (
            Decision.objects.filter(comment__in=ids)
            .order_by("comment_id", "version", "pk")
            .values_list(
                *DECISION_FIELDS, "comment__moderation__decision_id", "comment__article__site_id"
            )
            .iterator(chunk_size=CHUNK)
        )
        agreement = Agreement()
        reviewed = negatives = labels = 0
        for tag_rows, decision_rows in _merge_by_comment(tags, decisions):
            if decision_rows:
                site_id, final = decision_rows[0][-1], decision_rows[0][-2]
            else:
                site_id, final = self._by_id[tag_rows[0][2]].site_id, None
            review = Review(
                site_id,
                self._by_site.get(site_id, []),
                tag_rows,
                [row[: len(DECISION_FIELDS)] for row in decision_rows],
                final,
                self.policies,
            )
            reviewed += 1
            labels += len(review.reviewers) * len(review.categories)
            if not any(vote.label for vote in review.votes.values()):
                negatives += 1
            agreement.add(review.labels())
        return Summary(
            comments=totals["n"],
            reviewed=reviewed,
            reviewed_negatives=negatives,
            labels=labels,
            first_posted=totals["first"],
            last_posted=totals["last"],
            agreement=agreement,
        )

    def agreement_figures(self, agreement: Agreement) -> dict:
        """Alpha for every category, kappa for every pair of moderators who share comments."""
        alphas = agreement.alphas()
        no_reviews = Figure(None, 0, "no comment was reviewed by two or more moderators")
        sites = self._site_names
        categories = [
            {
                "site": sites.get(c.site_id, ""),
                "category": c.slug,
                "name": c.name,
                "alpha": alphas.get(c.id, no_reviews).as_dict(),
            }
            for c in self.categories
        ]
        place = {c.id: i for i, c in enumerate(self.categories)}  # site, then keyboard order
        pairs = []
        for (cat, a, b), figure in agreement.kappas().items():
            category = self._by_id[cat]
            first, second = sorted([self.pseudonyms.moderator(a), self.pseudonyms.moderator(b)])
            pairs.append(
                (
                    (place[cat], first, second),
                    {
                        "site": sites.get(category.site_id, ""),
                        "category": category.slug,
                        "name": category.name,
                        "moderator_a": first,
                        "moderator_b": second,
                        "kappa": figure.as_dict(),
                    },
                )
            )
        return {"alpha": categories, "kappa": [pair for _, pair in sorted(pairs)]}

    @cached_property
    def _site_names(self) -> dict[int, str]:
        site_ids = {c.site_id for c in self.categories}
        return dict(Site.objects.filter(pk__in=site_ids).values_list("pk", "name"))

    # Writing

    def stream(self, what: str, fmt: str, *, event=None) -> Iterator[bytes]:
        """The bytes of one download: comments or labels as csv or jsonl, or the bundle."""
        if what == "bundle" and fmt == "zip":
            return self.bundle(event=event)
        if what not in TABLES or fmt not in FORMATS:
            raise ValueError(f"no export {what}.{fmt}")
        if what == "comments":
            batches, columns = self.comment_rows(), comment_columns(self.slugs)
        else:
            batches, columns = self.label_rows(), LABEL_COLUMN_NAMES
        return write_csv(columns, batches) if fmt == "csv" else write_jsonl(batches)

    def bundle(self, *, event=None) -> Iterator[bytes]:
        """A ZIP of both tables in both formats, the codebook and the data statement. The
        codebook is written last, so the archive starts streaming at once."""
        codebook = {}

        def codebook_json():
            codebook.update(self.codebook(event=event))
            yield codebook_bytes(codebook)

        files: list[tuple[str, Callable[[], Iterable[bytes]]]] = [
            (self.filename("comments", "jsonl"), lambda: self.stream("comments", "jsonl")),
            (self.filename("comments", "csv"), lambda: self.stream("comments", "csv")),
            (self.filename("labels", "jsonl"), lambda: self.stream("labels", "jsonl")),
            (self.filename("labels", "csv"), lambda: self.stream("labels", "csv")),
            (self.filename("codebook", "json"), codebook_json),
            (
                f"data-statement-{self.date_stamp()}.md",
                lambda: [data_statement_markdown(codebook).encode()],
            ),
        ]
        return write_zip(files, self.exported_at)

    def codebook(self, *, event=None, summary: Summary | None = None) -> dict:
        """Everything a reader needs to use the files, and where they came from."""
        summary = summary or self.summary()
        site_ids = {c.site_id for c in self.categories}
        policies = (
            Policy.objects.filter(site__in=site_ids)
            .select_related("site")
            .order_by("site__name", "version")
        )
        filters = self.filterset.used()
        if filters["moderator"] is not None:
            filters["moderator"] = self.pseudonyms.moderator(filters["moderator"])
        pseudonyms = {
            "method": DEFINITIONS["pseudonyms"],
            "real_names": self.real_names,
            "development_key": self.key.development,
        }
        warnings = []
        if self.real_names:
            warnings.append(
                "REAL NAMES: authors are commenters' display names and moderators are "
                "usernames, at an Admin's explicit request (recorded in the audit log). "
                "Handle as personal data."
            )
        if self.key.development:
            warnings.append(
                f"DEVELOPMENT KEY: {KEY_VARIABLE} was not set and the server runs in debug "
                "mode, so pseudonyms use a fixed, publicly known key and can be reversed. "
                "Do not share this export."
            )
        return {
            "title": "Discussion moderation export",
            "exported_at": _iso(self.exported_at),
            "software": {"name": "discussion-moderation", "version": software_version()},
            "audit": {
                "event_id": event.pk if event is not None else None,
                "head_hash": audit.head_hash(),
            },
            "warnings": warnings,
            "pseudonyms": pseudonyms,
            "filters": filters,
            "counts": {
                "comments": summary.comments,
                "reviewed": summary.reviewed,
                "reviewed_negatives": summary.reviewed_negatives,
                "unreviewed": summary.comments - summary.reviewed,
                "labels": summary.labels,
            },
            "posted_between": [_iso(summary.first_posted), _iso(summary.last_posted)],
            "definitions": DEFINITIONS,
            "policies": [
                {
                    "site": policy.site.name,
                    "version": policy.version,
                    "created_at": _iso(policy.created_at),
                    "text": policy.text,
                    "categories": policy.categories,
                }
                for policy in policies
            ],
            "categories": [
                {
                    "site": self._site_names.get(c.site_id, ""),
                    "slug": c.slug,
                    "name": c.name,
                    "definition": c.definition,
                    "active": c.active,
                }
                for c in self.categories
            ],
            "files": {
                "comments": {
                    "columns": [column._asdict() for column in COMMENT_COLUMNS],
                    "category_columns": comment_columns(self.slugs),
                },
                "labels": {"columns": [column._asdict() for column in LABEL_COLUMNS]},
                "formats": "CSV (UTF-8, header row, RFC 4180 quoting; lists as JSON) and JSON "
                "Lines (UTF-8, one object per line).",
            },
            "agreement": self.agreement_figures(summary.agreement),
            "data_statement": data_statement(self, summary),
        }


# Data statement (Bender & Friedman 2018): facts we know, and what the researcher must add


TO_COMPLETE = "[to be completed by the researcher]"


def data_statement(export: Export, summary: Summary) -> dict:
    sites = sorted(set(export._site_names.values()))
    first, last = _iso(summary.first_posted), _iso(summary.last_posted)
    return {
        "curation_rationale": (
            f"Reader comments from {', '.join(sites) or 'no site'}, selected with the filters "
            f"listed under `filters` ({summary.comments} comments, {summary.reviewed} reviewed "
            "by the sites' moderators against each site's posted discussion policy). "
            f"Purpose of this export: {TO_COMPLETE}"
        ),
        "language_variety": f"{TO_COMPLETE} (e.g. en-US; the archive does not record language)",
        "speakers": (
            "Readers who commented on the sites' articles, identified only by pseudonyms of "
            f"their display names; no demographic information is collected. {TO_COMPLETE}"
        ),
        "annotators": (
            "The sites' moderators, identified by pseudonyms, applying the policy versions and "
            f"category definitions in this codebook. Training and demographics: {TO_COMPLETE}"
        ),
        "speech_situation": (
            f"Public, asynchronous comment threads under news articles, posted between {first} "
            f"and {last}; replies are threaded (position, parent_id). Moderators saw the text "
            "exactly as exported in `text`."
        ),
        "text_characteristics": f"{TO_COMPLETE}",
        "provenance": (
            "Imported from page captures and WordPress exports of the sites (see each "
            "article's URL); labels from the moderation dashboard's tags and decisions, every "
            "one recorded in its hash-chained audit log (see `audit.head_hash`)."
        ),
    }


def data_statement_markdown(codebook: dict) -> str:
    statement = codebook.get("data_statement", {})
    lines = [
        "# Data statement",
        "",
        f"Export of {codebook.get('exported_at')}, discussion-moderation "
        f"{codebook.get('software', {}).get('version')}. Columns, definitions and agreement "
        "figures: see the codebook.",
        "",
    ]
    lines += [f"> {warning}\n" for warning in codebook.get("warnings", [])]
    for key, text in statement.items():
        lines += [f"## {key.replace('_', ' ').capitalize()}", "", text, ""]
    return "\n".join(lines)


def software_version() -> str:
    try:
        return metadata.version("discussion-moderation")
    except metadata.PackageNotFoundError:
        pass
    try:
        import tomllib

        pyproject = Path(settings.BASE_DIR) / "pyproject.toml"
        return tomllib.loads(pyproject.read_text())["project"]["version"]
    except (OSError, KeyError, ValueError):
        return "unknown"


# Writers


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_csv(columns: list[str], batches: Iterable[list[dict]]) -> Iterator[bytes]:
    """A header row, then one block of lines per batch of rows (the csv module quotes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    yield buffer.getvalue().encode()
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_cell(row[name]) for name in columns] for row in batch)
        yield buffer.getvalue().encode()


def write_jsonl(batches: Iterable[list[dict]]) -> Iterator[bytes]:
    """One JSON object per line, UTF-8, not ASCII-escaped; one block per batch."""
    for batch in batches:
        if batch:
            yield "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in batch).encode()


def codebook_bytes(codebook: dict) -> bytes:
    return (json.dumps(codebook, ensure_ascii=False, indent=2) + "\n").encode()


class _Pipe:
    """A write-only file for ZipFile that hands what was written to a generator."""

    def __init__(self):
        self.buffer = bytearray()

    def write(self, data) -> int:
        self.buffer += data
        return len(data)

    def flush(self):
        pass

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def write_zip(
    files: Iterable[tuple[str, Callable[[], Iterable[bytes]]]], moment: datetime
) -> Iterator[bytes]:
    """A ZIP written as it is sent: ZipFile on an unseekable pipe writes each member's sizes
    after its data, so nothing is held back but the compressor's window."""
    pipe = _Pipe()
    stamp = moment.astimezone(UTC).timetuple()[:6]
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as member:
                for chunk in content():
                    member.write(chunk)
                    if len(pipe.buffer) >= ZIP_FLUSH:
                        yield pipe.take()
            yield pipe.take()
    yield pipe.take()


# Helpers


def _iso(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return moment.isoformat()


def _chunks(iterable: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _group(rows: Iterable[tuple]) -> dict[int, list[tuple]]:
    grouped = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    return grouped


def _merge_by_comment(
    first: Iterator[tuple], second: Iterator[tuple]
) -> Iterator[tuple[list[tuple], list[tuple]]]:
    """Two row streams ordered by comment id (their first value) → (rows of the first, rows of
    the second) per comment id present in either."""
    groups_a = ((key, list(rows)) for key, rows in groupby(first, key=itemgetter(0)))
    groups_b = ((key, list(rows)) for key, rows in groupby(second, key=itemgetter(0)))
    a, b = next(groups_a, None), next(groups_b, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            yield a[1], []
            a = next(groups_a, None)
        elif a is None or b[0] < a[0]:
            yield [], b[1]
            b = next(groups_b, None)
        else:
            yield a[1], b[1]
            a, b = next(groups_a, None), next(groups_b, None)
