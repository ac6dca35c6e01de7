"""Reading moderators' work as labels: one comment's tags and decisions become a Review of
per-(moderator, category) Votes, under the rules of the package docstring; the same rule as a
query (`judging_decisions`) for counts and filters; the policy version in force at a moment;
the Summary of a whole export."""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q, QuerySet

from moderation.agreement import Agreement
from moderation.models import Decision, Policy, Status

# A decision that is a judgement of the comment. Escalating ("needs a senior look") and
# sending back to pending (an undo, among others) judge nothing.
JUDGEMENTS = (Status.APPROVED, Status.REMOVED)


def judging_decisions() -> QuerySet[Decision]:
    """Each moderator's own latest decision on a comment, when it is a judgement (approve or
    remove): what makes them a reviewer, with their tags; as `Review` reads it in Python."""
    later = Decision.objects.filter(
        Q(version__gt=OuterRef("version")) | Q(version=OuterRef("version"), pk__gt=OuterRef("pk")),
        comment=OuterRef("comment"),
        moderator=OuterRef("moderator"),
    )
    return Decision.objects.filter(status__in=JUDGEMENTS).exclude(Exists(later))


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
    """What moderators did to one comment, read as labels (the package docstring's rules).

    `decisions` come in the comment's order (version, then pk), one row per decision and
    reason, so a moderator's latest decision is the last one seen."""

    def __init__(self, site_id, categories, tags, decisions, policies):
        self.site_id = site_id
        self.categories: list[CategoryInfo] = categories
        first: dict[int, datetime] = {}
        last = None
        current, retracted, removal = {}, {}, {}
        latest: dict[int, tuple[int, str, datetime, list[int]]] = {}
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
            if mod not in latest or latest[mod][0] != pk:
                latest[mod] = (pk, status, created, [])
            if reason is not None:
                latest[mod][3].append(reason)
        judged = set()
        for mod, (_, status, created, reasons) in latest.items():
            if status in JUDGEMENTS:
                judged.add(mod)
            if status == Status.REMOVED:
                for reason in reasons:
                    removal[mod, reason] = created
        # Reviewers: a tag (retracted or not) or a judgement as their latest decision. A
        # moderator who only escalated, or whose removal went back to pending, judged nothing.
        self.reviewers = sorted(judged.union(mod for mod, _ in (*current, *retracted)))
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
