"""Each article's queue counts (`models.ArticleQueue`: how many of its comments are pending
and escalated now), kept current where states are made or change status, so the article
list shows and sorts by them without counting the states (a million) per request.

Every write of a state calls one of these, in the same transaction and after the state is
written:

- `decide` (and so undo and bulk actions, which go through it): `moved(article, old, new)`;
- an import's new comments (`records.open_imported`) and a comment saved on its own or from
  a fixture (`records.open_states`): `opened({article: new pending states})`;
- `generate_corpus`, which bulk-loads states past the services: `recount()` at its end.

Each change is an `UPDATE … SET pending = pending + n` (an F() expression): two transactions
changing one article's counts queue on its row, neither overwrites the other. That row's
lock comes after the comment's and its state's (see `locks.ORDER`). An article without a row
(its first comment, or one the migration did not see) gets one counted afresh from its
states (the ones this transaction just wrote included): at most one thread's states, along
the `state_article_queue` index.

`recount()` compares every article's counters with a fresh count of the states (one
grouped query), and with `fix` sets those that differ: `manage.py recount_queues`.
"""

from collections import Counter
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, Q, Value, When
from django.db.models.functions import Greatest

from moderation.models import ArticleQueue, ModerationState, Status
from moderation.services.locks import lock

# The statuses with a counter, each the name of its field.
COUNTED = (Status.PENDING.value, Status.ESCALATED.value)
BATCH = 500


def moved(article_id: int, old: str, new: str) -> None:
    """One of the article's comments went from status `old` to `new`."""
    change = Counter()
    if old in COUNTED:
        change[Status(old).value] -= 1
    if new in COUNTED:
        change[Status(new).value] += 1
    _add(article_id, change)


def opened(new_pending: dict[int, int]) -> None:
    """New pending states: {article id: how many}. A few statements whatever the number of
    articles (an import's chunk may hold hundreds): one UPDATE adding each article's number
    to its row; if some had none, which ones, a count of their states (the new ones
    included) and their rows, in one INSERT.

    A row is missing only for an article whose first counted states these are (most often
    an article this very import made, which no other transaction can see). Should another
    transaction make it at the same moment, this one fails on the primary key and rolls
    back whole (the import can be run again), never counting a comment twice."""
    ids = sorted(article for article, n in new_pending.items() if n)
    if not ids:
        return
    rows = ArticleQueue.objects.filter(pk__in=ids)
    added = Case(*(When(pk=a, then=Value(new_pending[a])) for a in ids), default=Value(0))
    if rows.update(pending=F("pending") + added) == len(ids):
        return
    have = set(rows.values_list("pk", flat=True))
    missing = [a for a in ids if a not in have]
    ArticleQueue.objects.bulk_create(
        ArticleQueue(article_id=a, **c) for a, c in counted(missing).items()
    )


def _add(article_id: int, change: Counter) -> None:
    # Never below zero: a counter that drifted low (a state written past the services, a
    # dump loaded with `loaddata`) must not turn a moderator's decision into an error;
    # `manage.py recount_queues` puts it right.
    changes = {status: Greatest(F(status) + n, 0) for status, n in change.items() if n}
    if not changes:
        return
    rows = ArticleQueue.objects.filter(pk=article_id)
    if rows.update(**changes):
        return
    # No row yet: count the article's states, which already include this change.
    try:
        with transaction.atomic():
            ArticleQueue.objects.create(article_id=article_id, **counted([article_id])[article_id])
    except IntegrityError:
        # Another transaction made it meanwhile (and counted without this one's change,
        # which it could not see): add the change to theirs.
        rows.update(**changes)


def counted(article_ids=None) -> dict[int, dict[str, int]]:
    """A fresh count of pending and escalated states for the articles given (all: None), in
    one grouped query: {article id: {"pending": n, "escalated": n}}, every article asked
    for included (with zeros when it has no state counted)."""
    states = ModerationState.objects.filter(status__in=COUNTED)
    if article_ids is not None:
        states = states.filter(article_id__in=article_ids)
    rows = (
        states.order_by()
        .values_list("article_id")
        .annotate(
            pending=Count("pk", filter=Q(status=Status.PENDING)),
            escalated=Count("pk", filter=Q(status=Status.ESCALATED)),
        )
    )
    found = {article: {"pending": p, "escalated": e} for article, p, e in rows}
    for article_id in article_ids or ():
        found.setdefault(article_id, {"pending": 0, "escalated": 0})
    return found


@dataclass(frozen=True)
class Difference:
    article_id: int
    kept: dict[str, int] | None  # None: no row
    counted: dict[str, int]

    def __str__(self):
        kept = (
            "no counters"
            if self.kept is None
            else f"{self.kept['pending']} pending, {self.kept['escalated']} escalated"
        )
        fresh = f"{self.counted['pending']} pending, {self.counted['escalated']} escalated"
        return f"article {self.article_id}: {kept}, counted {fresh}"


def recount(*, fix: bool) -> list[Difference]:
    """Every article's counters against a fresh count of its states; with `fix`, the ones
    that differ are set to the count (and missing rows made). Run it in a transaction: it
    locks every counter row first, so a decision under way (which holds its state and waits
    for the counter) is not in the count and adds its change after, to the fixed value."""
    kept_rows = lock(ArticleQueue.objects.all()) if fix else ArticleQueue.objects.all()
    kept = {
        article: {"pending": p, "escalated": e}
        for article, p, e in kept_rows.values_list("article_id", "pending", "escalated")
    }
    fresh = counted()
    zero = {"pending": 0, "escalated": 0}
    differences = [
        Difference(article, kept.get(article), fresh.get(article, zero))
        for article in sorted(kept.keys() | fresh.keys())
        if kept.get(article) != fresh.get(article, zero)
    ]
    if fix:
        missing = [d for d in differences if d.kept is None]
        ArticleQueue.objects.bulk_create(
            (ArticleQueue(article_id=d.article_id, **d.counted) for d in missing),
            batch_size=BATCH,
        )
        for d in differences:
            if d.kept is not None:
                ArticleQueue.objects.filter(pk=d.article_id).update(**d.counted)
    return differences
