"""Screening scores, stored per comment, category and source (`ScreeningScore`; the sources
are moderation.screening.sources), and each comment's strongest combined score copied to
its state (`flag_score`) for the Flagged tab (flagged: at least `FLAG_THRESHOLD`).

Computed in bulk when comments are stored (`moderation.services.records`), and again for a
whole site when its lists or models change (a background task, `rescore_site`; `manage.py
screen_comments`). Suggestions only: nothing here tags or decides.
"""

from collections import defaultdict
from functools import lru_cache

from django.db import transaction
from django.db.models import Case, F, FloatField, Value, When

from archive.models import Comment
from moderation.models import (
    Category,
    ModerationState,
    ScreeningModel,
    ScreeningScore,
    WordList,
)
from moderation.screening import seeds, sources
from moderation.screening.words import BANNED, Matcher, Term

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
        found = _site_scores(site_id, texts, categories)
        for pk, per_category in found.items():
            for category, (by_source, matches) in per_category.items():
                for source, (score, version) in by_source.items():
                    if score < sources.STORE_FLOOR and source != sources.WORDS:
                        continue
                    rows.append(
                        ScreeningScore(
                            comment_id=pk,
                            category_id=category,
                            source=source,
                            version=version,
                            score=round(score, 4),
                            matches=matches if source == sources.WORDS else [],
                        )
                    )
                combined = sources.combine({s: v for s, (v, _) in by_source.items()})
                if combined >= sources.STORE_FLOOR:
                    flags[pk] = max(flags.get(pk, 0.0), round(combined, 4))
    # One transaction for the batch's writes; inside an import's, no savepoint of its own.
    with transaction.atomic(savepoint=False):
        states = ModerationState.objects.filter(comment_id__in=ids)
        if not fresh:
            ScreeningScore.objects.filter(comment_id__in=ids).delete()
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


def _site_scores(site_id: int, texts: list[tuple[int, str]], categories: dict) -> dict:
    """{comment id: {category id: ({source: (score, version)}, word matches)}} for one
    site's comments, every source run once over the whole batch."""
    found: dict[int, dict] = defaultdict(dict)

    def add(pk, category, source, score, source_version, matches=None):
        by_source, kept = found[pk].setdefault(category, ({}, []))
        by_source[source] = (score, source_version)
        if matches:
            kept.extend(matches)

    _word_scores(site_id, texts, categories, add)
    ids, bodies = [pk for pk, _ in texts], [text for _, text in texts]
    models = models_for(site_id)
    profanity = categories.get((site_id, sources.PROFANITY_SLUG))
    if profanity is not None and profanity not in models:
        for pk, score in zip(ids, sources.profanity_scores(bodies), strict=True):
            add(pk, profanity, sources.PROFANITY, score, sources.PROFANITY_VERSION)
    attack = categories.get((site_id, sources.ATTACK_SLUG))
    if attack is not None and attack not in models:
        insults = sources.insults_of(current_list(site_id)[1])
        for pk, score in zip(ids, sources.baseline_attack_scores(bodies, insults), strict=True):
            add(pk, attack, sources.BASELINE, score, sources.BASELINE_VERSION)
    active = set(categories.values())  # a retired category is not suggested
    for category, (model_id, model_version) in models.items():
        if category in active:
            scores = sources.model_scores(model_id, ids, bodies)
            for pk, score in zip(ids, scores, strict=True):
                add(pk, category, sources.MODEL, score, f"v{model_version}")
    return found


def _word_scores(site_id: int, texts, categories: dict, add) -> None:
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
            add(pk, category, sources.WORDS, score, f"v{version}", matches)


def models_for(site_id: int) -> dict[int, tuple[int, int]]:
    """The learned model in force for each category of a site that has one: {category id:
    (model id, version)}, without reading the models themselves."""
    newest: dict[int, tuple[int, int]] = {}
    rows = ScreeningModel.objects.filter(site_id=site_id).order_by("category_id", "-version")
    for model_id, category, version in rows.values_list("pk", "category_id", "version"):
        newest.setdefault(category, (model_id, version))
    return newest
