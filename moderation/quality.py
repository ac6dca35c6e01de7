"""Per-moderator quality, for Admins: from the designed overlap (second reviews) and gold
items, each figure with the number of items it rests on.

* **Second reviews**: samples a moderator reviewed second; **re-reviewed**: their own first
  judgements that someone reviewed second.
* **Agreement with peers**, per category: Cohen's kappa over every compared sample they took
  part in (as first or second reviewer), each a pair (their label, the other's label), pooled
  over peers; n = those samples.
* **Disagreement rate**: of those samples, the share whose two reviews disagreed on a
  category (adjudicated ones included); n = the samples.
* **Gold accuracy**: of the (gold item, category) pairs a moderator labelled blind in the
  stream, the share equal to the reference label; n = the pairs (and items).

Samples whose first judgement was withdrawn before their second review (`void`) count in
none of these.

Read from the site's latest LATEST compared samples and every gold review (gold items are
few): a page whose cost does not grow with a site's history.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from moderation.agreement import Figure, Kappa
from moderation.models import Category, CommentReview, GoldItem, ReviewRoute, Sample

LATEST = 5_000
MIN_ITEMS = 30  # below this a figure is shown greyed: too few items to rely on


@dataclass
class Quality:
    moderator: object
    second_reviews: int = 0
    re_reviewed: int = 0
    compared: int = 0
    disagreed: int = 0
    kappa: dict = field(default_factory=dict)  # category -> Figure
    gold_pairs: int = 0
    gold_correct: int = 0
    gold_items: int = 0

    @property
    def disagreement_rate(self) -> float | None:
        return self.disagreed / self.compared if self.compared else None

    @property
    def gold_accuracy(self) -> float | None:
        return self.gold_correct / self.gold_pairs if self.gold_pairs else None


def moderator_quality(site=None) -> tuple[list[Quality], list, int]:
    """(one Quality per moderator with any of these figures, by username; the categories the
    kappa columns cover; how many samples were read)."""
    samples = Sample.objects.filter(reviewed_at__isnull=False).exclude(state=Sample.State.VOID)
    golds = GoldItem.objects.all()
    if site is not None:
        samples, golds = samples.filter(site=site), golds.filter(site=site)
    rows = list(
        samples.order_by("-reviewed_at", "-id").values_list(
            "first_reviewer_id", "second_reviewer_id", "state", "first_labels", "second_labels"
        )[:LATEST]
    )
    by: dict[int, Quality] = {}

    def of(user_id):
        return by.setdefault(user_id, Quality(user_id))

    kappas: dict[tuple[int, int], Kappa] = defaultdict(Kappa)
    for first, second, state, first_labels, second_labels in rows:
        of(second).second_reviews += 1
        of(first).re_reviewed += 1
        for me, mine, theirs in ((first, first_labels, second_labels),
                                 (second, second_labels, first_labels)):  # fmt: skip
            quality = of(me)
            quality.compared += 1
            quality.disagreed += state in (Sample.State.DISAGREED, Sample.State.ADJUDICATED)
            for category, label in (mine or {}).items():
                kappas[me, int(category)].add(label, theirs[category])
    _gold(golds, of)
    categories = list(
        Category.objects.filter(pk__in={c for _, c in kappas}).order_by("site", "order", "pk")
    )
    for (me, category), kappa in kappas.items():
        by[me].kappa[category] = kappa.result(interval=False)  # the page shows value and n
    users = get_user_model().objects.in_bulk(list(by))
    for quality in by.values():
        quality.moderator = users.get(quality.moderator)
        quality.kappa_list = [
            (c, quality.kappa.get(c.pk, Figure(None, 0, "no samples"))) for c in categories
        ]
    ordered = sorted(by.values(), key=lambda q: q.moderator.get_username())
    return ordered, categories, len(rows)


def _gold(golds, of) -> None:
    """Each gold review against its item's reference labels (two queries)."""
    reference = dict(golds.values_list("comment_id", "labels"))
    if not reference:
        return
    # Blind reviews of gold items: met as gold, or as a sample that was (or became) gold.
    reviews = CommentReview.objects.filter(
        route__in=[ReviewRoute.GOLD, ReviewRoute.SECOND], comment_id__in=reference
    )
    positives: dict[int, set[int]] = defaultdict(set)
    seen: dict[int, tuple] = {}
    for pk, comment_id, mod, available, positive in reviews.values_list(
        "pk", "comment_id", "moderator_id", "available", "positives"
    ):
        seen[pk] = (comment_id, mod, available)
        if positive is not None:
            positives[pk].add(positive)
    for pk, (comment_id, mod, available) in seen.items():
        quality = of(mod)
        quality.gold_items += 1
        for category, label in reference[comment_id].items():
            if int(category) not in available:
                continue
            quality.gold_pairs += 1
            quality.gold_correct += label == int(int(category) in positives[pk])
