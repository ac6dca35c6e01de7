"""Scores from the word lists, stored per comment and category (`ScreeningScore`, source
"words"), and each comment's strongest one copied to its state (`flag_score`) for the
Flagged tab.

A banned term scores 1.0 for its category (flagged: at least `FLAG_THRESHOLD`), a suspect
one 0.35 (highlighted, not flagged). Computed in bulk when comments are stored
(`moderation.services.records`) and again for a whole site when its lists change (a
background task, `rescore_site`). Suggestions only: nothing here tags or decides.
"""

from collections import defaultdict
from functools import lru_cache

from django.db import transaction
from django.db.models import Case, F, FloatField, Value, When

from archive.models import Comment
from moderation.models import Category, ModerationState, ScreeningScore, WordList
from moderation.screening import seeds
from moderation.screening.words import BANNED, Matcher, Term

SOURCE = "words"
SCORES = {BANNED: 1.0, "suspect": 0.35}
BATCH = 2000


def current_list(site_id: int) -> tuple[int, list[list[str]]]:
    """(version, terms) of the site's word lists in force: its newest version, or the seed
    lists (version 0) until an Admin first edits them."""
    newest = WordList.objects.filter(site_id=site_id).order_by("-version").first()
    if newest is None:
        return 0, seeds.default_terms()
    return newest.version, newest.terms


@lru_cache(maxsize=64)
def _compiled(site_id: int, version: int, terms: tuple) -> Matcher:
    return Matcher([Term(*term) for term in terms])


def matcher_for(site_id: int) -> tuple[int, Matcher]:
    version, terms = current_list(site_id)
    return version, _compiled(site_id, version, tuple(tuple(t) for t in terms))


def score_comments(comment_ids) -> int:
    """Score the comments `comment_ids` against their sites' lists in force, replacing their
    word-list scores, and set their states' `flag_score`. In the caller's transaction, a
    fixed number of statements per BATCH comments. Returns how many have a score."""
    ids = list(comment_ids)
    scored = 0
    for i in range(0, len(ids), BATCH):
        rows = Comment.objects.filter(pk__in=ids[i : i + BATCH]).values_list(
            "pk", "article__site_id", "body_text"
        )
        scored += score_texts(list(rows))
    return scored


def score_texts(rows: list[tuple[int, int, str]], *, fresh: bool = False) -> int:
    """`score_comments` for comments whose (id, site id, body_text) the caller has at hand
    (an import's comments): nothing read but the sites' lists and categories. `fresh`:
    comments just stored, with no score yet (nothing to replace)."""
    scored = 0
    for i in range(0, len(rows), BATCH):
        scored += _score_batch(rows[i : i + BATCH], fresh=fresh)
    return scored


def _score_batch(comments: list[tuple[int, int, str]], *, fresh: bool = False) -> int:
    ids = [pk for pk, _, _ in comments]
    by_site: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, site_id, text in comments:
        by_site[site_id].append((pk, text))
    categories = {
        (site, slug): pk
        for pk, site, slug in Category.objects.filter(site__in=by_site, active=True).values_list(
            "pk", "site_id", "slug"
        )
    }
    rows, flags = [], {}
    for site_id, texts in by_site.items():
        version, matcher = matcher_for(site_id)
        for pk, text in texts:
            per_category: dict[int, list] = defaultdict(list)
            for match in matcher.find(text):
                category = categories.get((site_id, match.term.category))
                if category is not None:
                    per_category[category].append(
                        [match.start, match.end, match.term.kind, match.term.text]
                    )
            for category, matches in per_category.items():
                score = max(SCORES[kind] for _, _, kind, _ in matches)
                rows.append(
                    ScreeningScore(
                        comment_id=pk,
                        category_id=category,
                        source=SOURCE,
                        version=version,
                        score=score,
                        matches=matches,
                    )
                )
                flags[pk] = max(flags.get(pk, 0.0), score)
    # One transaction for the batch's writes; inside an import's, no savepoint of its own.
    with transaction.atomic(savepoint=False):
        states = ModerationState.objects.filter(comment_id__in=ids)
        if not fresh:
            ScreeningScore.objects.filter(comment_id__in=ids, source=SOURCE).delete()
            states.exclude(flag_score=None).exclude(comment_id__in=list(flags)).update(
                flag_score=None
            )
        if rows:
            ScreeningScore.objects.bulk_create(rows, batch_size=500)
        if flags:
            whens = [When(comment_id=pk, then=Value(score)) for pk, score in flags.items()]
            states.filter(comment_id__in=list(flags)).update(
                flag_score=Case(*whens, default=F("flag_score"), output_field=FloatField())
            )
    return len(flags)


def rescore_site(site_id: int) -> int:
    """Score every comment of a site again (its lists changed), BATCH at a time in id order,
    each batch its own transaction. Returns how many comments have a score."""
    scored, after = 0, 0
    while True:
        batch = list(
            Comment.objects.filter(article__site_id=site_id, pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not batch:
            return scored
        scored += score_comments(batch)
        after = batch[-1]
