"""Reviews, the designed overlap and its quality checks: a moderator's review of a comment
(labels per category, "no violation" included, whatever the comment's status), each site's
plan for blind second reviews, the samples it draws, gold items and adjudication.

A review is not a decision: the comment's status stays as it is. The designed overlap:
when a comment is first judged (approved or removed, or reviewed), the site's plan may draw
it (`drawn`); it then waits in every other moderator's Second review stream until one of
them reviews it blind (the review page shows nothing of anyone else's work). The two
reviews are compared on the categories both had; a disagreement waits for an Admin's
adjudication, recorded beside the reviews. Gold items (reference labels set by an Admin)
come up in the same stream, unannounced, to moderators who never judged them.
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping

from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from archive.models import Comment, Site
from moderation import permissions
from moderation.actions import Action
from moderation.audit import Context
from moderation.models import (
    Adjudication,
    Category,
    CommentReview,
    GoldItem,
    ModeratorMark,
    ReviewRoute,
    Sample,
    SecondReviewPlan,
)
from moderation.services._common import append, clean_note, comment_refs, require, who
from moderation.services.errors import Conflict, Invalid
from moderation.services.locks import lock, retried
from moderation.services.policy import current_policy, sync_posted_policy

# Gold items shown among a page of samples: at most one in GOLD_EVERY rows, none without
# samples (a stream of gold items alone would announce them).
GOLD_EVERY = 5
TOKEN_SALT = "moderation.second-review"
TOKEN_AGE = 7 * 24 * 3600  # a stream link is good for a week


# The plan and the draw


def draw_value(seed: str, comment_id: int) -> float:
    """Where a comment falls in [0, 1) under a seed: HMAC-SHA256(seed, "comment:<id>"), its
    first 16 hex digits read as a fraction of 2**64. A comment is drawn when this is below
    the share (as a fraction)."""
    digest = hmac.new(seed.encode(), f"comment:{comment_id}".encode(), hashlib.sha256)
    return int(digest.hexdigest()[:16], 16) / 2**64


def plan_of(site_id: int) -> SecondReviewPlan | None:
    return SecondReviewPlan.objects.filter(site_id=site_id).first()


def set_plan(
    user, site: Site, *, share: int, seed: str = "", context: Context | None = None
) -> SecondReviewPlan:
    """Set the share (percent) of a site's comments drawn for a blind second review, and
    the draw's seed (a new random one when left empty and none is set yet)."""
    require(user, permissions.EDIT_POLICY)
    if not isinstance(share, int) or not 0 <= share <= 100:
        raise Invalid("The share is a whole percentage from 0 to 100.")
    seed = (seed or "").strip()
    if len(seed) > 64:
        raise Invalid("The seed can be at most 64 characters.")
    with transaction.atomic():
        lock(Site.objects.filter(pk=site.pk)).first()
        plan = SecondReviewPlan.objects.filter(site=site).first()
        before = {"share": plan.share, "seed": plan.seed} if plan else {"share": 0}
        if plan is None:
            plan = SecondReviewPlan(site=site, seed=seed or secrets.token_hex(16))
        elif seed:
            plan.seed = seed
        if before.get("share") == share and before.get("seed") == plan.seed:
            raise Invalid("Nothing changed.")
        plan.share, plan.updated_at, plan.updated_by = share, timezone.now(), user
        plan.save()
        append(
            actor=user,
            action=Action.REVIEW_PLAN,
            target=plan,
            before=before,
            after={"share": plan.share, "seed": plan.seed},
            context=context,
            site=site,
        )
        return plan


def drawn(comment: Comment, first_reviewer) -> Sample | None:
    """Draw a comment at its first judgement for a second review, under its site's plan:
    only while nobody else has tagged, decided or reviewed it (whoever did would be a first
    reviewer who had seen nothing, or one who had); inside the caller's transaction, which
    holds the comment's lock."""
    site_id = comment.article.site_id
    plan = plan_of(site_id)
    if plan is None or plan.share == 0:
        return None
    if draw_value(plan.seed, comment.pk) >= plan.share / 100:
        return None
    if Sample.objects.filter(comment=comment).exists():
        return None
    others = ~Q(moderator=first_reviewer)
    if (
        ModeratorMark.objects.filter(others, comment=comment).exists()
        or CommentReview.objects.filter(others, comment=comment).exists()
    ):
        return None  # not its first judgement
    return Sample.objects.create(
        comment=comment,
        site_id=site_id,
        share=plan.share,
        seed=plan.seed,
        first_reviewer=first_reviewer,
    )


def sampled_on_judgement(comment: Comment, user, status: str) -> dict:
    """What a decision's audit event adds when the decision, a judgement, drew the comment."""
    if status in ("approved", "removed") and drawn(comment, user) is not None:
        return {"sampled": True}
    return {}


# Who has seen a comment's judgements


def _judged_by(user, comment_ref) -> Q:
    """The user tagged, decided or reviewed the comment (any of it: they are not blind).
    A moderator's marks (one per comment they tagged or decided, `services.marks`) are
    probed by (comment, moderator), the reviews along the comment: a few index reads per
    comment, whatever the moderator's history."""
    return Q(Exists(ModeratorMark.objects.filter(comment=comment_ref, moderator=user))) | Q(
        Exists(CommentReview.objects.filter(comment=comment_ref, moderator=user))
    )


def has_judged(user, comment: Comment) -> bool:
    return Comment.objects.filter(pk=comment.pk).filter(_judged_by(user, comment.pk)).exists()


def stream_token(user, comment_id: int) -> str:
    """What a Second review stream link carries: that this user was given this comment
    from their stream, blind (signed: a review opened elsewhere, say from a thread that
    shows the first decision, cannot claim it)."""
    return signing.dumps([user.pk, comment_id], salt=TOKEN_SALT, compress=False)


def from_stream(user, comment_id: int, token: str) -> bool:
    try:
        return signing.loads(token or "", salt=TOKEN_SALT, max_age=TOKEN_AGE) == [
            user.pk,
            comment_id,
        ]
    except signing.BadSignature:
        return False


def may_meet_gold(user) -> bool:
    """Admins (policy editors) read the reference labels: gold items are not for them."""
    return not permissions.can(user, permissions.EDIT_POLICY)


def route_for(user, comment: Comment, *, blind: bool) -> tuple[str, Sample | GoldItem | None]:
    """How a review by `user` of `comment` now counts: a second review of an open sample or
    a gold item's, when it was given to them blind from their stream and they never judged
    the comment; else a direct review. With the sample or gold item."""
    if not blind or has_judged(user, comment):
        return ReviewRoute.DIRECT, None
    sample = Sample.objects.filter(comment=comment, state=Sample.State.OPEN).first()
    if sample is not None and sample.first_reviewer_id != user.pk:
        return ReviewRoute.SECOND, sample
    gold = GoldItem.objects.filter(comment=comment, retired_at__isnull=True).first()
    if gold is not None and gold.created_by_id != user.pk and may_meet_gold(user):
        return ReviewRoute.GOLD, gold
    return ReviewRoute.DIRECT, None


# The stream


def stream(user, *, site=None, limit: int = 25) -> list[tuple[int, object]]:
    """A moderator's Second review stream: (comment id, when it joined) of the open samples
    they may review blind (first judged by someone else, never judged by them), oldest
    first, with the gold items they have not met mixed in at places fixed per moderator
    (at most one in GOLD_EVERY rows, none without samples, none for Admins). Two queries,
    each bounded by `limit`."""
    samples = (
        Sample.objects.filter(state=Sample.State.OPEN)
        .exclude(first_reviewer=user)
        .exclude(_judged_by(user, OuterRef("comment_id")))
    )
    gold = (
        GoldItem.objects.filter(retired_at__isnull=True)
        .exclude(created_by=user)
        .exclude(Exists(Sample.objects.filter(comment=OuterRef("comment_id"), state="open")))
        .exclude(_judged_by(user, OuterRef("comment_id")))
    )
    if site is not None:
        samples, gold = samples.filter(site=site), gold.filter(site=site)
    rows = list(samples.order_by("drawn_at", "id").values_list("comment_id", "drawn_at")[:limit])
    room = len(rows) // (GOLD_EVERY - 1) if may_meet_gold(user) else 0
    golden = list(gold.order_by("created_at", "id").values_list("comment_id", "created_at")[:room])
    for comment_id, at in golden:
        key = hmac.new(b"gold-place", f"{user.pk}:{comment_id}".encode(), "sha256").digest()
        rows.insert(int.from_bytes(key[:4]) % (len(rows) + 1), (comment_id, at))
    return rows[:limit]


# Reviews


def active_categories(site_id: int):
    """A site's active categories, in keyboard order: what a review or a gold item labels."""
    return Category.objects.active().filter(site_id=site_id).order_by("order", "pk")


def _checked_labels(site_id: int, positives: Iterable[Category]) -> tuple[list, list[Category]]:
    active = list(active_categories(site_id))
    positives = list(positives)
    ids = {c.pk for c in active}
    for category in positives:
        if category.pk not in ids:
            raise Invalid(f"{category.name!r} is not an active category of this site.")
    return active, positives


def labels_of(moderator_id: int, comment: Comment) -> dict[int, int]:
    """A moderator's labels of a comment now, {category id: 0 or 1}, by the export's rules."""
    from moderation.export.reviews import review_of

    review = review_of(comment)
    return {cat: vote.label for (mod, cat), vote in review.votes.items() if mod == moderator_id}


@retried
def review(
    user,
    comment: Comment,
    *,
    positives: Iterable[Category] = (),
    note: str = "",
    blind: bool = False,
    context: Context | None = None,
) -> CommentReview:
    """Record a moderator's review: the site's active categories are the ones they had,
    `positives` those the comment breaks (none: no violation). The comment's status does not
    change. `blind`: given from their Second review stream (`from_stream`); then a review
    of an open sample they never judged is its second review, which closes it: the two are
    compared on the categories both had, and a disagreement waits for adjudication."""
    require(user, permissions.MODERATE)
    note = clean_note(note)
    site = comment.article.site
    active, positives = _checked_labels(site.pk, positives)
    if not active:
        raise Invalid(f"{site} has no active category to review against.")
    with transaction.atomic():
        policy = current_policy(site) or sync_posted_policy(site)
        lock(Comment.objects.filter(pk=comment.pk)).get()
        route, item = route_for(user, comment, blind=blind)
        made = CommentReview.objects.create(
            comment=comment,
            moderator=user,
            policy=policy,
            route=route,
            available=[c.pk for c in active],
            note=note,
        )
        made.positives.set(positives)
        after = {
            "route": route,
            "labels": {c.slug: int(c in positives) for c in active},
            "policy_version": policy.version,
        }
        if route == ReviewRoute.SECOND:
            sample = lock(Sample.objects.filter(pk=item.pk)).get()
            _compare(sample, user, {c.pk: int(c in positives) for c in active})
            after["sample"] = sample.state
        elif route == ReviewRoute.DIRECT and drawn(comment, user) is not None:
            after["sampled"] = True
        made.audit_event = append(
            actor=user,
            action=Action.REVIEW,
            target=made,
            after=after,
            note=note,
            context=context,
            **comment_refs(comment),
        )
        return made


def _compare(sample: Sample, second, second_labels: dict[int, int]) -> None:
    first = labels_of(sample.first_reviewer_id, sample.comment)
    both = sorted(first.keys() & second_labels.keys())
    sample.first_labels = {str(c): first[c] for c in both}
    sample.second_labels = {str(c): second_labels[c] for c in both}
    if not both:
        # The first judgement was withdrawn (an undone decision judges nothing): nothing to
        # compare, and no agreement to count.
        sample.state = Sample.State.VOID
    elif all(first[c] == second_labels[c] for c in both):
        sample.state = Sample.State.AGREED
    else:
        sample.state = Sample.State.DISAGREED
    sample.second_reviewer, sample.reviewed_at = second, timezone.now()
    sample.save()


# Gold items


def _reference(site_id: int, labels: Mapping[Category, int]) -> dict[str, int]:
    active = {c.pk: c for c in active_categories(site_id)}
    if not active:
        raise Invalid("This site has no active category: a gold item needs some.")
    reference = {}
    for category, label in labels.items():
        if category.pk not in active:
            raise Invalid(f"{category.name!r} is not an active category of this site.")
        if label not in (0, 1):
            raise Invalid("A reference label is 0 or 1.")
        reference[str(category.pk)] = label
    if set(reference) != {str(pk) for pk in active}:
        raise Invalid("A gold item needs a reference label for every active category.")
    return reference


@retried
def set_gold(
    user,
    comment: Comment,
    *,
    labels: Mapping[Category, int],
    note: str,
    context: Context | None = None,
) -> GoldItem:
    """Make a comment a gold item with reference labels (one per active category) and a
    note saying why; or change an existing gold item's labels."""
    require(user, permissions.EDIT_POLICY)
    note = clean_note(note)
    if not note:
        raise Invalid("A gold item needs a note saying why these are the right labels.")
    site_id = comment.article.site_id
    reference = _reference(site_id, labels)
    with transaction.atomic():
        lock(Comment.objects.filter(pk=comment.pk)).get()
        gold = GoldItem.objects.filter(comment=comment).first()
        before = {"labels": gold.labels, "retired": gold.retired_at is not None} if gold else None
        if gold is None:
            gold = GoldItem(comment=comment, site_id=site_id, created_by=user)
        gold.labels, gold.note, gold.retired_at = reference, note, None
        gold.save()
        append(
            actor=user,
            action=Action.GOLD_SET,
            target=gold,
            before=before,
            after={"labels": reference},
            note=note,
            context=context,
            **comment_refs(comment),
        )
        return gold


def retire_gold(user, gold: GoldItem, *, context: Context | None = None) -> GoldItem:
    """Take a gold item out of the stream; the reviews of it stay, and so does its accuracy."""
    require(user, permissions.EDIT_POLICY)
    with transaction.atomic():
        gold = lock(GoldItem.objects.filter(pk=gold.pk)).get()
        if gold.retired_at is not None:
            raise Conflict("That gold item is already retired.")
        gold.retired_at = timezone.now()
        gold.save(update_fields=["retired_at"])
        comment = Comment.objects.select_related("article").get(pk=gold.comment_id)
        append(
            actor=user,
            action=Action.GOLD_RETIRE,
            target=gold,
            before={"labels": gold.labels},
            context=context,
            **comment_refs(comment),
        )
        return gold


# Adjudication


@retried
def adjudicate(
    user,
    sample: Sample,
    *,
    positives: Iterable[Category] = (),
    note: str = "",
    context: Context | None = None,
) -> Adjudication:
    """Settle a disagreement between a sample's two reviews with final labels on the
    categories they were compared on; both reviews stay as they were."""
    require(user, permissions.EDIT_POLICY)
    note = clean_note(note)
    positives = list(positives)
    compared = {int(c) for c in sample.first_labels or {}}
    if any(c.pk not in compared for c in positives):
        raise Invalid("Only the categories the two reviews were compared on are adjudicated.")
    with transaction.atomic():
        sample = lock(Sample.objects.filter(pk=sample.pk)).get()
        if sample.state == Sample.State.ADJUDICATED:
            raise Conflict(
                f"{who(sample.adjudication.adjudicator)} adjudicated this comment already."
            )
        if sample.state != Sample.State.DISAGREED:
            raise Invalid("Only a sample its two reviewers disagreed on is adjudicated.")
        labels = {str(c): int(c in {p.pk for p in positives}) for c in sorted(compared)}
        made = Adjudication.objects.create(
            sample=sample, comment_id=sample.comment_id, adjudicator=user, labels=labels, note=note
        )
        sample.state = Sample.State.ADJUDICATED
        sample.save(update_fields=["state"])
        comment = Comment.objects.select_related("article").get(pk=sample.comment_id)
        slugs = dict(Category.objects.filter(pk__in=compared).values_list("pk", "slug"))
        append(
            actor=user,
            action=Action.ADJUDICATE,
            target=made,
            before={"first": sample.first_labels, "second": sample.second_labels},
            after={"labels": {slugs[int(c)]: v for c, v in labels.items()}},
            note=note,
            context=context,
            **comment_refs(comment),
        )
        return made
