"""Benchmark the designed double-coding pages (`/review/…`, and the export page's figures,
which include the designed overlap's agreement) at a given size, beside Django admin's
nearest changelist.

    .venv/bin/python bench/reviews.py [--comments 100000] [--db sqlite|postgres] [--rounds 5]

bench/pages.py's machinery, imported: its own database (a temporary SQLite file, or a
PostgreSQL database it creates and drops), filled with `manage.py generate_corpus --comments
N --screen`; each page requested with Django's test Client, in this process, interleaved
with its admin equivalent, queries counted; the same table (median and 90th percentile in
ms, queries, the admin equivalent's median and queries, ours / admin).

The corpus has no second reviews, so the designed overlap is then built at scale, directly
in bulk (the services work one comment at a time, each with its audit event: these rows
have none), PostgreSQL's statistics refreshed after it as generate_corpus refreshes its own:

* a plan per site (share SHARE %, a seed derived from `--seed`);
* a sample for each decided comment the real draw picks (`draw_value(seed, id) < share`,
  over comments with an approval or removal), its first reviewer the moderator of the first
  such decision, drawn then;
* about half of them closed, the older more likely: a second reviewer (another moderator),
  the two reviews' labels on the site's active categories (the first from the decision's
  reasons), agreed, disagreed or adjudicated (CLOSED_MIX), with the second reviewer's
  review (route "second", its positives in the through table) and, for adjudicated ones,
  the adjudication;
* GOLD gold items (a few retired) on other decided comments, and gold-route reviews of
  them by most moderators (a few hundred).

The stream and the review page are requested as a moderator who is the first reviewer of
the fewest samples ("moderator"), then as the one who is of the most ("busiest"); the Admin
pages as `corpus-admin`, the export page with `?refresh=1` (its figures computed afresh)
and without (kept in the cache since the first). Django's admin as a superuser.
"""

import hashlib
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pages as bench_pages  # noqa: E402
from bench.pages import Page  # noqa: E402

SHARE = 20  # percent of first judgements drawn, on every site
GOLD = 50
GOLD_REVIEWERS = 6  # moderators who met each gold item (of generate_corpus's eight)
GOLD_RETIRED = 0.1
CLOSED_MIX = [("agreed", 0.70), ("disagreed", 0.12), ("adjudicated", 0.18)]
BATCH = 2_000


# The designed overlap, in bulk


def first_judgements() -> dict[int, tuple]:
    """comment id -> (site id, moderator id, when, status, decision id) of each comment's
    first approval or removal: what draws a comment."""
    from moderation.models import Decision

    first = {}
    rows = (
        Decision.objects.filter(status__in=["approved", "removed"])
        .order_by("comment_id", "version")
        .values_list(
            "comment_id", "comment__article__site_id", "moderator_id", "created_at", "status", "id"
        )
    )
    for comment_id, *rest in rows.iterator(chunk_size=BATCH):
        first.setdefault(comment_id, tuple(rest))
    return first


def build_overlap(args) -> dict:
    """The plans, samples, second reviews, adjudications, gold items and gold reviews; returns
    how many of each were made."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from archive.models import Site
    from moderation.corpus.bulk import Bulk
    from moderation.models import (
        Adjudication,
        Category,
        CommentReview,
        Decision,
        GoldItem,
        Policy,
        ReviewRoute,
        Sample,
        SecondReviewPlan,
    )
    from moderation.services.reviews import draw_value

    rng = random.Random(args.seed)
    User = get_user_model()
    admin = User.objects.get(username="corpus-admin")
    moderators = list(
        User.objects.filter(username__startswith="corpus-moderator-").values_list("pk", flat=True)
    )
    active = defaultdict(list)
    for site_id, pk in (
        Category.objects.filter(active=True)
        .order_by("site", "order", "pk")
        .values_list("site", "pk")
    ):
        active[site_id].append(pk)
    active = dict(active)
    policy = {}
    for site_id, pk in Policy.objects.order_by("site", "version").values_list("site", "pk"):
        policy[site_id] = pk  # the latest
    now = timezone.now()

    with transaction.atomic():
        plans = [
            SecondReviewPlan(
                site=site,
                share=SHARE,
                seed=hashlib.sha256(f"bench-{args.seed}-{site.pk}".encode()).hexdigest()[:32],
                updated_by=admin,
            )
            for site in Site.objects.order_by("pk")
        ]
        SecondReviewPlan.objects.bulk_create(plans)
        seed = {plan.site_id: plan.seed for plan in plans}

        first = first_judgements()
        drawn = sorted(
            (when, comment_id)
            for comment_id, (site_id, _, when, _, _) in first.items()
            if site_id in active and draw_value(seed[site_id], comment_id) < SHARE / 100
        )
        reasons = defaultdict(set)
        removals = {first[c][4] for _, c in drawn if first[c][3] == "removed"}
        through = Decision.reasons.through.objects.filter(decision__status="removed")
        for decision_id, category_id in through.values_list("decision_id", "category_id"):
            if decision_id in removals:
                reasons[decision_id].add(category_id)

        samples, reviews, positives, adjudications = [], [], [], []
        for rank, (when, comment_id) in enumerate(drawn):
            site_id, first_reviewer, _, _, decision_id = first[comment_id]
            sample = Sample(
                comment_id=comment_id,
                site_id=site_id,
                share=SHARE,
                seed=seed[site_id],
                first_reviewer_id=first_reviewer,
                drawn_at=when,
            )
            samples.append(sample)
            # The older a sample, the likelier it was reviewed since: about half are.
            if rng.random() >= 1 - rank / len(drawn):
                continue
            (state,) = rng.choices(*zip(*CLOSED_MIX, strict=True))
            cats = active[site_id]
            first_labels = {str(c): int(c in reasons[decision_id]) for c in cats}
            second_labels = dict(first_labels)
            if state != "agreed":
                flipped = str(rng.choice(cats))
                second_labels[flipped] = 1 - second_labels[flipped]
            sample.state = state
            sample.second_reviewer_id = rng.choice([m for m in moderators if m != first_reviewer])
            sample.reviewed_at = min(now, when + timedelta(hours=rng.uniform(1, 72)))
            sample.first_labels, sample.second_labels = first_labels, second_labels
            reviews.append(
                CommentReview(
                    comment_id=comment_id,
                    moderator_id=sample.second_reviewer_id,
                    policy_id=policy[site_id],
                    route=ReviewRoute.SECOND,
                    available=cats,
                    created_at=sample.reviewed_at,
                )
            )
            positives.append([int(c) for c, v in second_labels.items() if v])
            if state == "adjudicated":
                adjudications.append(
                    Adjudication(
                        sample=sample,
                        comment_id=comment_id,
                        adjudicator=admin,
                        labels=rng.choice([first_labels, second_labels]),
                        created_at=min(now, sample.reviewed_at + timedelta(days=1)),
                    )
                )
        Sample.objects.bulk_create(samples, batch_size=BATCH)
        Adjudication.objects.bulk_create(adjudications, batch_size=BATCH)

        sampled = {c for _, c in drawn}
        candidates = sorted(c for c in first if c not in sampled and first[c][0] in active)
        golds = []
        for comment_id in rng.sample(candidates, min(GOLD, len(candidates))):
            site_id = first[comment_id][0]
            created = now - timedelta(days=rng.uniform(1, 60))
            golds.append(
                GoldItem(
                    comment_id=comment_id,
                    site_id=site_id,
                    labels={str(c): int(rng.random() < 0.25) for c in active[site_id]},
                    note="Bench reference labels.",
                    created_by=admin,
                    created_at=created,
                    retired_at=now if rng.random() < GOLD_RETIRED else None,
                )
            )
        GoldItem.objects.bulk_create(golds)
        gold_reviews = 0
        for gold in golds:
            for moderator in rng.sample(moderators, min(GOLD_REVIEWERS, len(moderators))):
                reference = {int(c): v for c, v in gold.labels.items()}
                reviews.append(
                    CommentReview(
                        comment_id=gold.comment_id,
                        moderator_id=moderator,
                        policy_id=policy[gold.site_id],
                        route=ReviewRoute.GOLD,
                        available=active[gold.site_id],
                        created_at=min(now, gold.created_at + timedelta(days=rng.uniform(0, 30))),
                    )
                )
                # Mostly right: one label in ten the other way.
                positives.append([c for c, v in reference.items() if v != (rng.random() < 0.1)])
                gold_reviews += 1

        CommentReview.objects.bulk_create(reviews, batch_size=BATCH)
        Through = CommentReview.positives.through
        Through.objects.bulk_create(
            [
                Through(commentreview_id=review.pk, category_id=category)
                for review, chosen in zip(reviews, positives, strict=True)
                for category in chosen
            ],
            batch_size=BATCH,
        )
    # As generate_corpus leaves its own tables (and autovacuum would within minutes): without
    # statistics, PostgreSQL takes the new tables for nearly empty and sorts all open
    # samples for the stream instead of walking its index (15 ms instead of 5 at 1M).
    Bulk().analyze([SecondReviewPlan, Sample, Adjudication, GoldItem, CommentReview, Through])
    states = Counter(sample.state for sample in samples)
    return {
        "plans": len(plans),
        "decided comments": len(first),
        "samples": len(samples),
        **{f"  {state}": states[state] for state in ["open", *dict(CLOSED_MIX)]},
        "second reviews": len(reviews) - gold_reviews,
        "adjudications": len(adjudications),
        "gold items": len(golds),
        "  retired": sum(g.retired_at is not None for g in golds),
        "gold reviews": gold_reviews,
        "positive labels": sum(map(len, positives)),
    }


# Who and what is requested


def reviewers() -> dict:
    """The moderator who is the first reviewer of the fewest samples, and of the most (with
    their shares of all samples), and the Admin."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from moderation.models import Sample

    User = get_user_model()
    moderators = User.objects.filter(username__startswith="corpus-moderator-")
    firsts = dict(
        Sample.objects.values("first_reviewer")
        .annotate(n=Count("pk"))
        .values_list("first_reviewer", "n")
    )
    total = sum(firsts.values()) or 1
    ordered = sorted(moderators, key=lambda u: (firsts.get(u.pk, 0), u.pk))
    fewest, most = ordered[0], ordered[-1]
    for label, user in [("moderator", fewest), ("busiest", most)]:
        share = firsts.get(user.pk, 0) / total
        print(f"{label}: {user.get_username()}, first reviewer of {share:.1%} of samples")
    return {
        "moderator": fewest,
        "busiest": most,
        "dashboard-admin": User.objects.get(username="corpus-admin"),
    }


def pages(users: dict) -> list[Page]:
    """Our pages and their admin equivalents."""
    from django.db.models import Count
    from django.urls import reverse

    from moderation.models import Sample
    from moderation.services.reviews import stream

    open_ = Sample.objects.filter(state=Sample.State.OPEN)
    site = (open_.values("site").annotate(n=Count("pk")).order_by("-n", "site").first() or {}).get(
        "site"
    )
    if site is None:
        sys.exit("no open sample: the corpus is too small for the stream")
    comments = "/admin/archive/comment/"
    on_site = f"{comments}?article__site__id__exact={site}"
    state = "/admin/moderation/moderationstate/"
    found = []
    for user, suffix in [("moderator", ""), ("busiest", ", busiest")]:
        # The first comment of their own stream: the one they would open.
        comment = stream(users[user], limit=1)[0][0]
        found += [
            Page(f"stream{suffix}", reverse("moderation:second_review"),
                 f"{state}?status__exact=pending", user=user),
            Page(f"stream: site{suffix}", f"{reverse('moderation:second_review')}?site={site}",
                 on_site, user=user),
            Page(f"review a comment{suffix}", reverse("moderation:review", args=[comment]),
                 f"{comments}{comment}/change/", user=user),
        ]  # fmt: skip
    admin = "dashboard-admin"
    quality, adjudication = (
        reverse("moderation:review_quality"),
        reverse("moderation:adjudication_list"),
    )
    export = reverse("moderation:export")
    return [
        *found,
        Page("quality", quality, "/admin/moderation/decision/", user=admin),
        Page("quality: site", f"{quality}?site={site}", on_site, user=admin),
        Page("adjudication", adjudication, f"{state}?status__exact=escalated", user=admin),
        Page("adjudication: site", f"{adjudication}?site={site}", on_site, user=admin),
        Page("gold items", reverse("moderation:gold_list"), "/admin/moderation/tag/", user=admin),
        Page("plans", reverse("moderation:review_plans"), "/admin/moderation/policy/", user=admin),
        # Refreshed first: the cached page then reads the figures it kept.
        Page("export page (refresh)", f"{export}?refresh=1", None, user=admin),
        Page("export page (cached)", export, None, user=admin),
    ]


def clients(users: dict) -> dict:
    """bench/pages.py's clients ("admin": Django admin's superuser), and one per user here."""
    from django.test import Client

    made = bench_pages.clients()
    for role, user in users.items():
        made[role] = Client()
        made[role].force_login(user)
    return made


def main(argv=None) -> int:
    parser = bench_pages.arguments(__doc__.split("\n\n")[0], "bench_reviews")
    args = parser.parse_args(argv)

    if args.reuse:
        args.keep = True
        args.workdir = Path(urlsplit(args.reuse).path).parent
    url = args.reuse or bench_pages.create_database(args)
    try:
        bench_pages.setup_django(url)
        if not args.reuse:
            bench_pages.build(args)
            started = time.perf_counter()
            made = build_overlap(args)
            print(f"\ndesigned overlap built in {time.perf_counter() - started:.1f} s:")
            for what, n in made.items():
                print(f"  {what:<20} {n:>9,}")
        bench_pages.limit_queries(args.timeout)
        users = reviewers()
        chosen = [p for p in pages(users) if not args.only or any(o in p.name for o in args.only)]
        bench_pages.measure(chosen, clients(users), args)
        print()
        bench_pages.report(chosen, args.timeout)
        ratios = [
            statistics.median(p.times["ours"]) / statistics.median(p.times["admin"])
            for p in chosen
            if p.times["ours"] and p.times["admin"]
        ]
        if ratios:
            print(f"\nmedian of the ratios ours / admin: {statistics.median(ratios):.2f}")
    finally:
        bench_pages.drop_database(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
