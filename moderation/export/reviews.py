"""Reading moderators' work as labels: one comment's tags and decisions become a Review of
per-(moderator, category) Votes, under the rules of the package docstring; the policy version
in force at a moment; the Summary of a whole export."""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from moderation.agreement import Agreement
from moderation.models import Policy, Status


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
    """What moderators did to one comment, read as labels (the package docstring's rules)."""

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
