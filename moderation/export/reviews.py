"""Reading moderators' work as labels: one comment's tags and decisions become a Review of
per-(moderator, category) Votes, under the rules of the package docstring; the same rule as a
query (`judging_decisions`) for counts and filters; the policy version in force at a moment;
the Summary of a whole export."""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q, QuerySet

from moderation.agreement import Agreement
from moderation.models import Category, CommentReview, Decision, Policy, Status, Tag

# A decision that is a judgement of the comment. Escalating ("needs a senior look") and
# sending back to pending (an undo, among others) judge nothing.
JUDGEMENTS = (Status.APPROVED, Status.REMOVED)
# A comment's own state is decided when it ended approved or removed: its `decided_at` is
# that decision's time. Pending (an undo, say) and escalated are open, whatever came before.
DECIDED = frozenset(status.value for status in JUDGEMENTS)


def judging_decisions() -> QuerySet[Decision]:
    """Each moderator's own latest decision on a comment, when it is a judgement (approve or
    remove): what makes them a reviewer, with their tags; as `Review` reads it in Python."""
    later = Decision.objects.filter(
        Q(version__gt=OuterRef("version")) | Q(version=OuterRef("version"), pk__gt=OuterRef("pk")),
        comment=OuterRef("comment"),
        moderator=OuterRef("moderator"),
    )
    return Decision.objects.filter(status__in=JUDGEMENTS).exclude(Exists(later))


def latest_reviews_by_moderator() -> QuerySet[CommentReview]:
    """Each moderator's latest review of a comment (as `latest_reviews` reads them)."""
    later = CommentReview.objects.filter(
        Q(created_at__gt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk")),
        comment=OuterRef("comment"),
        moderator=OuterRef("moderator"),
    )
    return CommentReview.objects.exclude(Exists(later))


class CategoryInfo(NamedTuple):
    id: int
    site_id: int
    slug: str
    name: str
    order: int
    definition: str
    active: bool


class PolicyHistory:
    """Each site's policy versions in time order, to say which was in force when, and which
    categories each version offered (its snapshot's active slugs). One query; the versions
    are few (one per edit of a policy or a category), so they are all held."""

    def __init__(self):
        self._by_site: dict[int, tuple[list[datetime], list[int]]] = {}
        self._active: dict[tuple[int, int], frozenset[str]] = {}
        for site_id, rows in groupby(
            Policy.objects.order_by("site_id", "created_at", "version").values_list(
                "site_id", "created_at", "version", "categories"
            ),
            key=itemgetter(0),
        ):
            rows = list(rows)
            self._by_site[site_id] = ([r[1] for r in rows], [r[2] for r in rows])
            for _, _, version, categories in rows:
                self._active[site_id, version] = frozenset(
                    c["slug"] for c in categories or () if c.get("active", True)
                )

    def at(self, site_id: int, moment: datetime | None) -> int | None:
        if moment is None or site_id not in self._by_site:
            return None
        times, versions = self._by_site[site_id]
        i = bisect_right(times, moment)
        return versions[i - 1] if i else None

    def active(self, site_id: int, version: int | None) -> frozenset[str] | None:
        """The slugs of the categories active in a version of a site's policy. With no version
        (a judgement older than the site's first recorded version: imported or back-dated
        data) the first version's; None when the site has no policy version at all."""
        if version is None:
            versions = self._by_site.get(site_id, ((), ()))[1]
            if not versions:
                return None
            version = min(versions)
        return self._active.get((site_id, version))


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
# The values read for each review (one row per review and positive category).
REVIEW_FIELDS = (
    "comment_id",
    "moderator_id",
    "created_at",
    "pk",
    "policy__version",
    "available",
    "positives",
)


class Reviewed(NamedTuple):
    """A moderator's latest review of a comment: when, under which policy version, the
    categories they had and those they said it breaks."""

    at: datetime
    pk: int
    policy_version: int | None
    available: frozenset[int]
    positives: frozenset[int]


def latest_reviews(rows) -> dict[int, Reviewed]:
    """Each moderator's latest review, moderator -> Reviewed, from REVIEW_FIELDS rows of one
    comment in any order."""
    reviews: dict[int, tuple] = {}
    positives: dict[int, set[int]] = {}
    for _, mod, created, pk, version, available, positive in rows:
        if positive is not None:
            positives.setdefault(pk, set()).add(positive)
        if mod not in reviews or (created, pk) > reviews[mod][:2]:
            reviews[mod] = (created, pk, version, available)
    return {
        mod: Reviewed(at, pk, version, frozenset(available or ()), frozenset(positives.get(pk, ())))
        for mod, (at, pk, version, available) in reviews.items()
    }


def _latest_decisions(decisions, last):
    """Each moderator's latest decision, moderator -> (pk, status, time, reasons), from rows
    in the comment's order (the last seen is the latest); and `last` moved on to the latest
    time of any decision."""
    latest: dict[int, tuple[int, str, datetime, list[int]]] = {}
    for _, mod, created, pk, status, reason in decisions:
        last = max(last or created, created)
        if mod not in latest or latest[mod][0] != pk:
            latest[mod] = (pk, status, created, [])
        if reason is not None:
            latest[mod][3].append(reason)
    return latest, last


class Review:
    """What moderators did to one comment, read as labels (the package docstring's rules).

    `decisions` come in the comment's order (version, then pk), one row per decision and
    reason, so a moderator's latest decision is the last one seen.

    A reviewer has a label only for the categories they could apply: those active in the
    policy version of their latest judging action (a tag, retracted or not, in its own
    version; their latest decision, if a judgement, in the version in force at its time),
    plus any category they hold a positive vote for. `votes` holds only those labels."""

    def __init__(self, site_id, categories, tags, decisions, policies, reviews=()):
        self.site_id = site_id
        self.categories: list[CategoryInfo] = categories
        # Each reviewer's latest judging action: (time, policy version, the categories they
        # had when it is a review, else None).
        judged: dict[int, tuple[datetime, int | None, frozenset[int] | None]] = {}
        self.span_tags = []
        current, retracted, last = self._read_tags(tags, judged)
        latest, last = _latest_decisions(decisions, last)
        removal = self._read_judgements(latest, judged, policies)
        self.reviews = latest_reviews(reviews)
        for mod, review in self.reviews.items():
            last = max(last or review.at, review.at)
            if mod not in judged or review.at >= judged[mod][0]:
                judged[mod] = (review.at, review.policy_version, review.available)
        # Reviewers: a tag (retracted or not), a judgement as their latest decision, a review.
        self.reviewers = sorted(judged)
        self.last_action = last
        self.policy_version = policies.at(site_id, last)
        self.votes: dict[tuple[int, int], Vote] = {}
        self._fractions = None
        # Set by the reader when the comment is in the designed overlap: why (share, gold),
        # and its designed labels, {moderator: {category id: label}} (`table.Designed`).
        self.sample: str | None = None
        self.designed: dict[int, dict[int, int]] = {}
        for mod in self.reviewers:
            self._cast_votes(mod, judged[mod], current, removal, retracted, policies)

    def _read_tags(self, tags, judged):
        """Record each tagger's latest tag in `judged` and the spans of the tags in force in
        `span_tags`. Returns the tags in force ((moderator, category) -> (time, version) of
        the first), the latest retracted tag of each (moderator, category) -> (time, version,
        retraction time), and the time of the latest tag or retraction (None: no tags)."""
        last = None
        current, retracted = {}, {}
        for _, mod, cat, start, end, quote, created, retracted_at, version in tags:
            last = max(last or created, created, retracted_at or created)
            if mod not in judged or created >= judged[mod][0]:
                judged[mod] = (created, version, None)
            if retracted_at is None:
                current.setdefault((mod, cat), (created, version))
                if start is not None:
                    self.span_tags.append((start, end, cat, quote, mod))
            elif (mod, cat) not in retracted or retracted_at > retracted[mod, cat][2]:
                retracted[mod, cat] = (created, version, retracted_at)
        return current, retracted, last

    def _read_judgements(self, latest, judged, policies) -> dict[tuple[int, int], datetime]:
        """Record in `judged` each moderator's latest decision when it is a judgement (a tag
        strictly later stays their latest action). Returns the categories given as reasons
        for a removal: (moderator, category id) -> the removal's time."""
        removal = {}
        for mod, (_, status, created, reasons) in latest.items():
            # A moderator who only escalated, or whose removal went back to pending, judged
            # nothing: their decisions make them no reviewer.
            if status not in JUDGEMENTS:
                continue
            if mod not in judged or created >= judged[mod][0]:
                judged[mod] = (created, policies.at(self.site_id, created), None)
            if status == Status.REMOVED:
                for reason in reasons:
                    removal[mod, reason] = created
        return removal

    def _cast_votes(self, mod, judged, current, removal, retracted, policies) -> None:
        """A reviewer's vote on each category they could apply: a tag in force, their latest
        review's positive or a removal for it is a positive vote, else a retracted tag or the
        judgement itself a negative one. `judged` is their latest judging action (time,
        policy version, and the categories they had when it is a review)."""
        judged_at, judged_version, had = judged
        active = policies.active(self.site_id, judged_version)
        review = self.reviews.get(mod)
        for category in self.categories:
            key = (mod, category.id)
            if key in current:
                created, version = current[key]
                vote = Vote(1, "tag", created, version)
            elif review is not None and category.id in review.positives:
                vote = Vote(1, "review", review.at, review.policy_version)
            elif key in removal:
                vote = Vote(1, "removal", removal[key], policies.at(self.site_id, removal[key]))
            elif had is not None:
                if category.id not in had:
                    continue  # not a category they had when they reviewed
                vote = Vote(0, "review", judged_at, judged_version)
            elif not (category.slug in active if active is not None else category.active):
                continue  # not a category they could apply when they judged
            elif key in retracted:
                created, version, retracted_at = retracted[key]
                vote = Vote(0, "retracted_tag", created, version, retracted_at)
            else:
                vote = Vote(0, "reviewed", judged_at, judged_version)
            self.votes[key] = vote

    @property
    def reviewed(self) -> bool:
        return bool(self.reviewers)

    def designed_label(self, mod: int, cat: int) -> int | None:
        """A reviewer's designed label for a category (the labels table's designed_label):
        the one compared or given blind, on a category they have a label row for."""
        if (mod, cat) not in self.votes:
            return None
        return self.designed.get(mod, {}).get(cat)

    def designed_labels(self) -> dict[int, dict[int, int]]:
        """labels[category id][moderator] of the designed labels: what designed-overlap
        agreement is computed from (as the labels table carries them)."""
        labels: dict[int, dict[int, int]] = {}
        for mod, by_category in self.designed.items():
            for cat in by_category:
                label = self.designed_label(mod, cat)
                if label is not None:
                    labels.setdefault(cat, {})[mod] = label
        return labels

    def labels(self) -> dict[int, dict[int, int]]:
        """labels[category id][moderator id] for the reviewers who had the category (a
        category nobody had is left out): what agreement is computed from."""
        labels: dict[int, dict[int, int]] = {}
        for (mod, cat), vote in self.votes.items():
            labels.setdefault(cat, {})[mod] = vote.label
        return labels

    def any_violation(self) -> float | None:
        """The share of the reviewers who gave at least one positive label, in any category:
        0.0 for a reviewed negative, None when nobody reviewed the comment."""
        if not self.reviewers:
            return None
        positive = {mod for (mod, _), vote in self.votes.items() if vote.label}
        return len(positive) / len(self.reviewers)

    def fractions(self) -> dict[int, tuple[int, float | None]]:
        """(raters, vote fraction) per category id of the comment's site: raters are the
        reviewers who had the category; the fraction is None when there are none. Made
        once (an export asks twice: for its key and its columns); a Review does not change
        after it is made."""
        if self._fractions is None:
            raters = dict.fromkeys([c.id for c in self.categories], 0)
            positive = raters.copy()
            for (_, cat), vote in self.votes.items():
                raters[cat] += 1
                positive[cat] += vote.label
            self._fractions = {
                cat: (n, positive[cat] / n if n else None) for cat, n in raters.items()
            }
        return self._fractions


@dataclass
class Summary:
    comments: int
    reviewed: int
    reviewed_negatives: int
    labels: int
    first_posted: datetime | None
    last_posted: datetime | None
    agreement: Agreement
    undated: int = 0  # comments without a posting time
    # Agreement on the designed overlap only (comments drawn or gold), and how many
    # reviewed comments each reason put there.
    designed: Agreement = field(default_factory=Agreement)
    sampled: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Figures:
    """A summary and when it was computed: `head` is the newest audit event then, and
    `actions_since` how many events were recorded after it (0 when fresh)."""

    summary: Summary
    as_of: datetime
    head: int
    actions_since: int = 0


def review_of(comment) -> Review:
    """One comment's Review now, read with a query for each kind of action (the export
    reads a chunk of comments at once instead)."""
    site_id = comment.article.site_id
    categories = [
        CategoryInfo(*row)
        for row in Category.objects.filter(site_id=site_id)
        .order_by("order", "pk")
        .values_list("pk", "site_id", "slug", "name", "order", "definition", "active")
    ]
    tags = Tag.objects.filter(comment=comment).order_by("created_at", "pk")
    decisions = Decision.objects.filter(comment=comment).order_by("version", "pk")
    reviews = CommentReview.objects.filter(comment=comment).order_by("created_at", "pk")
    return Review(
        site_id,
        categories,
        tags.values_list(*TAG_FIELDS),
        decisions.values_list(*DECISION_FIELDS),
        PolicyHistory(),
        reviews.values_list(*REVIEW_FIELDS),
    )
