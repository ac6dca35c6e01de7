"""Where a screening score comes from, each a function of a batch of texts:

- `words`: the site's word lists (moderation.screening.words): a banned term scores 1.0 for
  its category, a suspect one 0.35; the matched words are kept, to be highlighted.
- `profanity`: alt-profanity-check's model (a linear SVM over word n-grams, trained on
  250,000 labelled comments, shipped inside the package: no network), for the category
  slugged `profanity`. Its probability, as it gives it.
- `baseline`: a rule that stands in for a learned model of personal attacks until the site's
  moderators have labelled enough (moderation.screening.training.MIN_LABELS): a word of the
  site's personal-attack lists (or of INSULTS) near a second-person word ("you", "your", "u"…)
  within NEAR words scores 0.8; an insult without one 0.4. Other categories have no baseline
  beyond their word lists.
- `model`: the site's learned model of the category, once trained (ScreeningModel).

A category's combined score is the strongest of its sources' (`combine`): each source is
built to be read on the same scale, a probability that the comment breaks the category.
"""

import io
import re
from array import array
from functools import lru_cache

from moderation.screening.words import fold

WORDS, PROFANITY, BASELINE, MODEL = "words", "profanity", "baseline", "model"
SOURCES = (WORDS, PROFANITY, BASELINE, MODEL)
# Below this a score is not kept (most comments, for the models): nothing to suggest.
STORE_FLOOR = 0.2

PROFANITY_SLUG, ATTACK_SLUG = "profanity", "personal-attack"
PROFANITY_VERSION = "alt-profanity-check 1.9.1"
BASELINE_VERSION = "rule 1"

SECOND_PERSON = frozenset({"you", "your", "youre", "yours", "yourself", "u", "ur", "ya", "thou"})
INSULTS = frozenset(
    [
        "idiot",
        "idiots",
        "idiotic",
        "moron",
        "morons",
        "moronic",
        "stupid",
        "dumb",
        "fool",
        "fools",
        "foolish",
        "imbecile",
        "cretin",
        "clown",
        "clowns",
        "loser",
        "losers",
        "liar",
        "liars",
        "coward",
        "cowards",
        "pathetic",
        "ignorant",
        "troll",
        "trolls",
        "jerk",
        "scum",
        "scumbag",
        "hypocrite",
        "hypocrites",
        "traitor",
        "traitors",
        "disgrace",
        "shameless",
        "brainless",
        "clueless",
    ]
)
NEAR = 4  # words between a second-person word and an insult, at most
_TOKEN = re.compile(r"[a-z0-9']+")


@lru_cache(maxsize=1)
def _profanity_model():
    """alt-profanity-check's vectorizer (word TF-IDF, English stop words left out) and
    calibrated classifier, loaded on first use: (token pattern, vocabulary, idf, model)."""
    from profanity_check import profanity_check as package

    vectorizer = package.vectorizer
    return (
        re.compile(vectorizer.token_pattern),
        vectorizer.vocabulary_,
        vectorizer.idf_,
        package.model,
    )


def profanity_scores(texts: list[str]) -> list[float]:
    """alt-profanity-check's probability for each text, as its `predict_prob` gives it,
    with its vectorizer's transform done here: each word looked up in its vocabulary (a
    stop word is not in it), counted, weighted by idf and scaled to unit length, which is
    what `TfidfVectorizer.transform` computes without its per-feature Python loop (a test
    compares the two; bench/screening.py times it)."""
    if not texts:
        return []
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.preprocessing import normalize

    token, vocabulary, idf, model = _profanity_model()
    get = vocabulary.get
    columns, ends = array("i"), array("q", [0])
    for text in texts:
        found = [get(word) for word in token.findall(text.lower())]
        columns.extend([i for i in found if i is not None])
        ends.append(len(columns))
    indices = np.frombuffer(columns, dtype=np.int32) if columns else np.zeros(0, np.int32)
    counts = csr_matrix(
        (np.ones(len(indices)), indices, np.frombuffer(ends, dtype=np.int64)),
        shape=(len(texts), len(vocabulary)),
    )
    counts.sum_duplicates()
    counts.data *= idf[counts.indices]
    return [float(p) for p in model.predict_proba(normalize(counts))[:, 1]]


def baseline_attack_scores(texts: list[str], insults: frozenset[str]) -> list[float]:
    """The personal-attack rule (see the module's docstring) for each text."""
    scores = []
    for text in texts:
        tokens = [t.replace("'", "") for t in _TOKEN.findall(fold(text))]
        found = [i for i, t in enumerate(tokens) if t in insults]
        if not found:
            scores.append(0.0)
            continue
        second = [i for i, t in enumerate(tokens) if t in SECOND_PERSON]
        near = any(abs(i - j) <= NEAR + 1 for i in found for j in second)
        scores.append(0.8 if near else 0.4)
    return scores


def insults_of(terms: list[list[str]]) -> frozenset[str]:
    """INSULTS and the single words of a site's personal-attack lists (endings dropped)."""
    listed = {
        term.rstrip("*")
        for slug, _, term in terms
        if slug == ATTACK_SLUG and " " not in term.strip()
    }
    return INSULTS | frozenset(listed)


@lru_cache(maxsize=32)
def _pipeline(model_id: int):
    """A ScreeningModel's fitted pipeline, read and unpickled once per process (a model is
    never changed: a new one is a new version). The blob is this app's own, written by
    moderation.screening.training."""
    import joblib

    from moderation.models import ScreeningModel

    blob = ScreeningModel.objects.values_list("blob", flat=True).get(pk=model_id)
    return joblib.load(io.BytesIO(bytes(blob)))


@lru_cache(maxsize=32)
def out_of_fold(model_id: int) -> dict[int, float]:
    """A model's scores of its own training comments, from the folds that left each out."""
    from moderation.models import ScreeningModel

    stored = ScreeningModel.objects.values_list("out_of_fold", flat=True).get(pk=model_id)
    return {int(pk): score for pk, score in stored.items()}


def model_scores(model_id: int, ids: list[int], texts: list[str]) -> list[float]:
    """A ScreeningModel's probability for each text; a comment it was trained on gets its
    out-of-fold score instead."""
    if not texts:
        return []
    trained_on = out_of_fold(model_id)
    predicted = _pipeline(model_id).predict_proba(texts)[:, 1]
    return [trained_on.get(pk, float(p)) for pk, p in zip(ids, predicted, strict=True)]


# How much of a source's score counts towards the combined one. The profanity model is
# trained on offensive language in general: on the seed comments it gave criticism of ideas
# ("a stupid idea", 0.997) the same probability as swearing. Scaled to at most 0.45 it marks
# a comment "worth a look" but never flags one alone (FLAG_THRESHOLD 0.5); its own figures
# (evaluate_screening) are reported on its raw probability.
WEIGHTS = {PROFANITY: 0.45}


def combine(scores: dict[str, float]) -> float:
    """A category's combined score from its sources' {source: score}: the strongest, each
    weighted (WEIGHTS; 1 for the others)."""
    return max((score * WEIGHTS.get(source, 1.0) for source, score in scores.items()), default=0.0)
