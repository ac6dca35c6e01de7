"""Learned models per site and category, from that site's own moderators' labels, and the
figures that say how good each screening source is against those labels.

Labels (`labelled`): a comment is a *positive* for a category when it carries a current tag
of it, or is removed now with it among the reasons; a *negative* when a moderator reviewed it
(approved it, removed it, or tagged it) and it is not a positive. Pending comments nobody
tagged are not labels.

A model: TF-IDF of word 1-2-grams and of character 2-5-grams (within words, so `f*ck` and
`fuuuck` share most of theirs with `fuck`), folded like the word lists, then a logistic
regression with balanced class weights. Trained once a category has MIN_LABELS of each
class; its figures come from stratified 5-fold cross-validation, and the scores it keeps for
its training comments are their out-of-fold predictions: it never scores a comment it was
trained on.
"""

import io
from array import array
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from moderation.models import (
    FLAG_THRESHOLD,
    Category,
    ModerationState,
    ScreeningModel,
    Status,
    Tag,
)
from moderation.screening import sources
from moderation.screening.words import fold

MIN_LABELS = 20  # of each class, positives and negatives, before a category is learned
FOLDS = 5
SEED = 0


@dataclass
class Labelled:
    ids: list[int]
    texts: list[str]
    y: list[int]

    @property
    def positives(self) -> int:
        return sum(self.y)

    @property
    def negatives(self) -> int:
        return len(self.y) - self.positives

    @property
    def enough(self) -> bool:
        return min(self.positives, self.negatives) >= MIN_LABELS


def labelled(category: Category, *, latest: int | None = None) -> Labelled:
    """The site's moderators' labels for `category` (see the module's docstring), by id;
    with `latest`, only that many, the most recent comments' (a page's figures)."""
    site = category.site_id
    tagged = Tag.objects.current().filter(comment__article__site=site)
    positives = set(tagged.filter(category=category).values_list("comment_id", flat=True))
    positives |= set(
        ModerationState.objects.filter(
            site=site, status=Status.REMOVED, decision__reasons=category
        ).values_list("comment_id", flat=True)
    )
    reviewed = set(
        ModerationState.objects.filter(
            site=site, status__in=[Status.APPROVED, Status.REMOVED]
        ).values_list("comment_id", flat=True)
    )
    reviewed |= set(tagged.values_list("comment_id", flat=True))
    ids = sorted(reviewed | positives)
    if latest is not None:
        ids = ids[-latest:]
    from archive.models import Comment

    texts = dict(Comment.objects.filter(pk__in=ids).values_list("pk", "body_text"))
    ids = [pk for pk in ids if pk in texts]
    return Labelled(ids, [texts[pk] for pk in ids], [int(pk in positives) for pk in ids])


class CharTfidf:
    """TF-IDF of character n-grams within words (scikit-learn's `char_wb`: each word padded
    with a space, its n-grams from `low` to `high`), sublinear term frequency, smoothed idf,
    rows scaled to unit length, the `max_features` most frequent n-grams kept: what
    `TfidfVectorizer(analyzer="char_wb", sublinear_tf=True)` computes, made fast for
    scoring. Words repeat, so each word's n-grams are turned into feature numbers once and
    kept: scoring a comment is a few dictionary lookups, not a few hundred n-gram lookups
    (bench/screening.py: 4,171 comments a second with scikit-learn's, 17,196 with this).
    A scikit-learn transformer (fit / transform / get_params), picklable without what it
    keeps."""

    KEPT = 200_000  # words whose feature numbers are kept, at most

    def __init__(self, low: int = 2, high: int = 5, max_features: int = 100_000):
        self.low, self.high, self.max_features = low, high, max_features
        self._kept: dict[str, list[int]] = {}

    def get_params(self, deep=True):
        return {"low": self.low, "high": self.high, "max_features": self.max_features}

    def set_params(self, **params):
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_kept"], state["_idf_array"] = {}, None
        return state

    def _grams(self, word: str) -> list[str]:
        padded = f" {word} "
        grams = []
        for n in range(self.low, self.high + 1):
            if n > len(padded):
                break
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
        return grams

    def fit(self, texts, y=None):
        import math
        from collections import Counter

        frequency, documents = Counter(), Counter()
        for text in texts:
            grams = [g for word in fold(text).split() for g in self._grams(word)]
            frequency.update(grams)
            documents.update(set(grams))
        chosen = sorted(frequency, key=lambda g: (-frequency[g], g))[: self.max_features]
        self.vocabulary_ = {gram: i for i, gram in enumerate(sorted(chosen))}
        n = len(texts)
        self.idf_ = [0.0] * len(self.vocabulary_)
        for gram, i in self.vocabulary_.items():
            self.idf_[i] = math.log((1 + n) / (1 + documents[gram])) + 1
        self._kept = {}
        return self

    @property
    def _idf(self):
        import numpy as np

        if getattr(self, "_idf_array", None) is None:
            self._idf_array = np.asarray(self.idf_)
        return self._idf_array

    def _features(self, word: str) -> array:
        kept = self._kept.get(word)
        if kept is None:
            vocabulary = self.vocabulary_
            kept = array("i", [vocabulary[g] for g in self._grams(word) if g in vocabulary])
            if len(self._kept) < self.KEPT:
                self._kept[word] = kept
        return kept

    def transform(self, texts):
        import numpy as np
        from scipy.sparse import csr_matrix
        from sklearn.preprocessing import normalize

        columns, ends = array("i"), array("q", [0])
        features = self._features
        for text in texts:
            for word in fold(text).split():
                columns.extend(features(word))
            ends.append(len(columns))
        indices = np.frombuffer(columns, dtype=np.int32) if columns else np.zeros(0, np.int32)
        counts = csr_matrix(
            (np.ones(len(indices)), indices, np.frombuffer(ends, dtype=np.int64)),
            shape=(len(texts), len(self.vocabulary_)),
        )
        counts.sum_duplicates()  # each n-gram once a row, with its count
        counts.data = (1 + np.log(counts.data)) * self._idf[counts.indices]
        return normalize(counts)

    def fit_transform(self, texts, y=None):
        return self.fit(texts).transform(texts)


def pipeline():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    words = TfidfVectorizer(
        preprocessor=fold, ngram_range=(1, 2), sublinear_tf=True, max_features=50_000
    )
    chars = CharTfidf(2, 5, max_features=100_000)
    classifier = LogisticRegression(class_weight="balanced", max_iter=2000, C=4.0)
    return make_pipeline(make_union(words, chars), classifier)


def out_of_fold(data: Labelled) -> list[float]:
    """Each labelled comment's score from a model trained on the other folds."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    predicted = cross_val_predict(pipeline(), data.texts, data.y, cv=folds, method="predict_proba")
    return [float(p) for p in predicted[:, 1]]


def figures(y: list[int], scores: list[float], threshold: float = FLAG_THRESHOLD) -> dict:
    """Precision, recall and F1 of "score >= threshold", and average precision (the area
    under the precision-recall curve: threshold-free), with the counts behind them."""
    from sklearn.metrics import average_precision_score

    flagged = [s >= threshold for s in scores]
    true_pos = sum(1 for f, label in zip(flagged, y, strict=True) if f and label)
    precision = true_pos / sum(flagged) if any(flagged) else 0.0
    recall = true_pos / sum(y) if any(y) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    ap = float(average_precision_score(y, scores)) if 0 < sum(y) < len(y) else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "average_precision": round(ap, 4),
        "labels": len(y),
        "positives": sum(y),
        "threshold": threshold,
    }


def source_scores(
    category: Category, data: Labelled, *, cross_validate: bool = True
) -> dict[str, list[float]]:
    """Each source's score of the labelled comments for `category` (the learned model's
    out of fold, when there are enough labels to learn and `cross_validate`), and the
    combined score."""
    from moderation.screening import scoring

    _, matcher = scoring.matcher_for(category.site_id)
    words = []
    for text in data.texts:
        kinds = [m.term.kind for m in matcher.find(text) if m.term.category == category.slug]
        words.append(max((scoring.SCORES[k] for k in kinds), default=0.0))
    found = {sources.WORDS: words}
    if category.slug == sources.PROFANITY_SLUG:
        found[sources.PROFANITY] = sources.profanity_scores(data.texts)
    if category.slug == sources.ATTACK_SLUG:
        insults = sources.insults_of(scoring.current_list(category.site_id)[1])
        found[sources.BASELINE] = sources.baseline_attack_scores(data.texts, insults)
    if data.enough and cross_validate:
        found[sources.MODEL] = out_of_fold(data)
    found["combined"] = [
        sources.combine({name: found[name][i] for name in found}) for i in range(len(data.y))
    ]
    return found


def evaluate(category: Category, *, cross_validate: bool = True, latest: int | None = None) -> dict:
    """Every source's figures for `category` against its moderators' labels (with `latest`,
    the most recent that many). Without `cross_validate` (a page), the learned model is not
    refitted: its figures are the ones of its last training (`model`, with when), and
    "combined" leaves it out."""
    data = labelled(category, latest=latest)
    result = {
        "positives": data.positives,
        "negatives": data.negatives,
        "sources": {},
        "latest": latest if latest is not None and len(data.y) >= latest else None,
    }
    if not data.y:
        return result
    for name, scores in source_scores(category, data, cross_validate=cross_validate).items():
        result["sources"][name] = figures(data.y, scores)
    if not cross_validate:
        result["model"] = (
            ScreeningModel.objects.filter(category=category)
            .defer("blob", "out_of_fold")
            .order_by("-version")
            .first()
        )
    return result


def train(category: Category) -> ScreeningModel | None:
    """Learn `category` from its site's labels, if there are enough (else None): the model
    fitted on all of them, with its cross-validated figures and out-of-fold scores, saved
    as the category's next version."""
    import joblib

    data = labelled(category)
    if not data.enough:
        return None
    oof = out_of_fold(data)
    fitted = pipeline().fit(data.texts, data.y)
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer, compress=3)
    with transaction.atomic():
        newest = ScreeningModel.objects.filter(category=category).aggregate(v=Max("version"))
        return ScreeningModel.objects.create(
            site_id=category.site_id,
            category=category,
            version=(newest["v"] or 0) + 1,
            positives=data.positives,
            negatives=data.negatives,
            figures=figures(data.y, oof),
            out_of_fold={str(pk): round(score, 4) for pk, score in zip(data.ids, oof, strict=True)},
            blob=buffer.getvalue(),
        )


def train_site(site_id: int) -> list[tuple[Category, ScreeningModel | None]]:
    """Train every active category of a site that has enough labels."""
    categories = Category.objects.filter(site_id=site_id, active=True).order_by("order")
    return [(category, train(category)) for category in categories]
