"""The insights' roll-ups (`models.Insight*`), kept current where what they count is written,
in the same transaction, so /insights/ reads a few hundred rows instead of a million
comments:

- a new comment (`records.open_states`, `records.open_imported`): `arrived` (its day's
  arrivals and backlog);
- a decision (`judgements.decide`, and so undo and bulk actions): `decided`;
- a tag and its retraction (`judgements.tag`, `judgements.retract`): `tagged`;
- `generate_corpus`, which bulk-loads rows past the services, and anyone after a restore:
  `recount(fix=True)` (`manage.py recount_insights`).

**What is counted.**
- *Decisions* (per day, per moderator): every decision made, except one that was undone
  and the undo itself; the undone ones count only in their moderator's undo rate.
- *Backlog*: pending and escalated comments at the end of each day: every arrival and
  every change of status, undos included, as it happened.
- *Removals* (per category, article, commenter): the removals that stand, each counted in
  the week of the decision that removed the comment; a removal later reversed (undone, or
  approved by someone else) counts nowhere.
- *Tags* (per category): tags not retracted, in the week they were made.
- *First decisions*: a comment's first approval or removal that is neither undone nor an
  undo, with the wait since the comment arrived (`queued_at`: when it was posted), in the
  week the decision was made. An escalation does not end the wait: the comment still waits.

**How.** Each change is one `INSERT … ON CONFLICT (key) DO UPDATE SET n = n + excluded.n`
per table (rows made when first needed, never overwritten, in key order, so two
transactions wait for each other's row but never deadlock; see `locks.ORDER`, where these
rows come with the article queue's counters, before the audit head). Days are in the
dashboard's time zone (`TIME_ZONE`); a week is named by its Monday.

**Wait buckets.** A wait is kept as its bucket on a log scale: bucket 0 is under a second,
bucket k ≥ 1 holds waits in [2^((k-1)/16), 2^(k/16)) seconds, each 2^(1/16) - 1 = 4.43 %
wide, so a percentile is exact to its bucket (`percentile` gives the bucket's bounds), and
its middle is within 2.2 % of every wait in it.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from archive.importing import bulk
from moderation.models import (
    Decision,
    InsightArticleWeek,
    InsightCategoryWeek,
    InsightCommenterWeek,
    InsightDay,
    InsightModeratorDay,
    InsightModeratorWait,
    InsightScreening,
    InsightWait,
    InsightZone,
    ModerationState,
    Status,
    Tag,
)

STEPS = 16  # buckets per doubling of the wait
DECIDED = (Status.APPROVED.value, Status.REMOVED.value)  # what ends a comment's wait
# The status each decision counts under, as its InsightDay / InsightModeratorDay field.
STATUS_FIELD = {
    Status.APPROVED.value: "approved",
    Status.REMOVED.value: "removed",
    Status.ESCALATED.value: "escalated",
    Status.PENDING.value: "reopened",
}
# The backlog's statuses, with their InsightDay field.
BACKLOG_FIELD = {Status.PENDING.value: "pending_change", Status.ESCALATED.value: "escalated_change"}

# Each roll-up's key fields (its unique constraint), in the order rows are locked.
KEYS = {
    InsightDay: ("site", "day"),
    InsightModeratorDay: ("site", "day", "moderator"),
    InsightCategoryWeek: ("site", "week", "category"),
    InsightArticleWeek: ("article", "week"),
    InsightCommenterWeek: ("commenter", "week", "site"),
    InsightWait: ("site", "week", "bucket"),
    InsightModeratorWait: ("site", "week", "moderator", "bucket"),
    InsightScreening: ("site", "week", "outcome", "flagged"),
}
# Fields copied with the key when a row is made (not part of the key, never added to).
EXTRA = {InsightArticleWeek: ("site",)}
MODELS = tuple(KEYS)


def day_of(moment: datetime) -> date:
    try:
        return timezone.localdate(moment)
    except OverflowError:  # within a day of year 1 or year 9999: its UTC date
        return moment.date()


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def bucket(seconds: float) -> int:
    """The bucket of a wait of `seconds`; a negative wait (a comment dated after its
    decision) counts as under a second, bucket 0."""
    if seconds < 1:
        return 0
    return 1 + math.floor(STEPS * math.log2(seconds))


def bounds(b: int) -> tuple[float, float]:
    """The waits in bucket `b`, in seconds: [low, high)."""
    if b <= 0:
        return (0.0, 1.0)
    return (2 ** ((b - 1) / STEPS), 2 ** (b / STEPS))


@dataclass(frozen=True)
class Percentile:
    """A percentile of waits, known to its bucket: the wait is in [low, high) seconds."""

    low: float
    high: float
    n: int  # how many waits it is taken from

    @property
    def middle(self) -> float:
        """The bucket's geometric middle (its low end for bucket 0): what a chart plots."""
        return math.sqrt(self.low * self.high) if self.low else 0.0


def percentile(counts: dict[int, int], p: float) -> Percentile | None:
    """The nearest-rank `p`-th percentile (0 < p ≤ 100) of the waits counted in `counts`
    ({bucket: how many}): the bucket holding the ceil(p/100 * n)-th shortest wait."""
    n = sum(v for v in counts.values() if v > 0)
    if n == 0:
        return None
    rank = max(1, math.ceil(p / 100 * n))
    seen = 0
    for b in sorted(counts):
        seen += max(counts[b], 0)
        if seen >= rank:
            return Percentile(*bounds(b), n)
    return Percentile(*bounds(max(counts)), n)  # unreachable: the ranks add up to n


# A tally: {model: {key tuple: Counter(field -> change)}}, plus the extra fields of new rows.


class Tally:
    def __init__(self):
        self.rows: dict = defaultdict(lambda: defaultdict(Counter))
        self.extra: dict = {}

    def add(self, model, key: tuple, extra: tuple = (), **changes) -> None:
        row = self.rows[model][key]
        for field, n in changes.items():
            row[field] += n
        if extra:
            self.extra[(model, key)] = extra

    def merge(self, other: "Tally") -> None:
        for model, rows in other.rows.items():
            for key, changes in rows.items():
                self.rows[model][key].update(changes)
        self.extra.update(other.extra)

    def save(self) -> None:
        """Add every change to its row (made when missing): a statement per table and 200
        rows, in key order."""
        for model in MODELS:
            rows = {k: c for k, c in self.rows.get(model, {}).items() if any(c.values())}
            if rows:
                _upsert(model, rows, self.extra)


def _column(model, name: str) -> str:
    return model._meta.get_field(name).column


def _upsert(model, rows: dict[tuple, Counter], extra: dict) -> None:
    keys, more = KEYS[model], EXTRA.get(model, ())
    fields = list(_counters(model))  # every counter: a new row has no other default
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key_columns = [quote(_column(model, k)) for k in keys]
    columns = key_columns + [quote(_column(model, f)) for f in more + tuple(fields)]
    batch = max(1, min(200, bulk.parameters() // len(columns)))  # within the database's limit
    added = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns[len(keys) + len(more) :])
    prep = [model._meta.get_field(f) for f in keys + more]
    ordered = sorted(rows.items(), key=lambda item: tuple(_sortable(v) for v in item[0]))
    for i in range(0, len(ordered), batch):
        chunk = ordered[i : i + batch]
        params = []
        for key, changes in chunk:
            values = key + extra.get((model, key), ())
            params += [
                f.get_db_prep_value(v, connection) for f, v in zip(prep, values, strict=True)
            ]
            params += [changes.get(f, 0) for f in fields]
        row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * len(chunk))} "
            f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET {added}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _sortable(value):
    return (value is None, value)


# What each write changes


def arrived(comments, *, importing=None) -> None:
    """New comments, each (site id, queued_at): their days' arrivals and backlog. During an
    import (`importing`: the site it writes), kept for its end (see `flush`)."""
    days = Counter((site, day_of(at)) for site, at in comments)
    tally = Tally()
    for key, n in days.items():
        tally.add(InsightDay, key, arrived=n, pending_change=n)
    _save(tally, importing)


# An import is one transaction of many chunks. Were each chunk to add to the roll-ups, the
# import would hold a roll-up row (its site's day) from its first chunk to its commit: every
# decision on that site would wait for the whole import, and one that holds an article's
# queue counts a later chunk needs would deadlock with it. So an import's changes are kept
# on the site object it writes with (gone with it if the import fails) and added once, at
# its end, just before its audit event (`records.record_import` calls `flush`).
PENDING = "_insights_pending"


def _save(tally: Tally, importing) -> None:
    if importing is None:
        tally.save()
        return
    kept = importing.__dict__.setdefault(PENDING, Tally())
    kept.merge(tally)


def flush(site) -> None:
    """Add what an import kept for its end (nothing if it kept nothing)."""
    kept = site.__dict__.pop(PENDING, None)
    if kept is not None:
        kept.save()


def tagged(tag: Tag, site_id: int, change: int) -> None:
    """A tag made (+1) or retracted (-1)."""
    tally = Tally()
    key = (site_id, week_of(day_of(tag.created_at)), tag.category_id)
    tally.add(InsightCategoryWeek, key, tags=change)
    tally.save()


def commenter_changed(removed, *, importing=None) -> None:
    """Removed comments whose author changed at a re-import (`records.follow_comments`),
    each (its removal decision's id, site id, old commenter, new commenter): their removals
    move to the new commenter, in the week of the removal."""
    decided_at = dict(
        Decision.objects.filter(pk__in=[d for d, *_ in removed if d]).values_list(
            "pk", "created_at"
        )
    )
    tally = Tally()
    for decision, site, old, new in removed:
        if decision not in decided_at:
            continue
        week = week_of(day_of(decided_at[decision]))
        for commenter, change in ((old, -1), (new, +1)):
            if commenter is not None:
                tally.add(InsightCommenterWeek, (commenter, week, site), removals=change)
    _save(tally, importing)


@dataclass(frozen=True)
class Made:
    """What the roll-ups need of one decision."""

    pk: int
    status: str
    previous: str
    moderator_id: int
    created_at: datetime
    reasons: tuple[int, ...]
    flagged: bool | None  # None: decided before it was kept
    undoes_id: int | None = None


@dataclass(frozen=True)
class Where:
    """What the roll-ups need of the decided comment."""

    site_id: int
    article_id: int
    commenter_id: int | None
    queued_at: datetime


def changes(where: Where, made: Made, *, replaced: Made | None, first: bool, undid_first: bool):
    """The roll-ups' changes for one decision `made` on the comment at `where`:
    `replaced` is the decision that set the status it leaves (needed when it leaves
    removed, and for an undo, which undoes it); `first`: `made` ends the comment's wait
    (its first standing approval or removal); `undid_first`: `made` undoes the decision
    that did. One function for `decided` and `recount`, so both count alike."""
    tally = Tally()
    site, day = where.site_id, day_of(made.created_at)
    backlog = Counter()
    if made.previous in BACKLOG_FIELD:
        backlog[BACKLOG_FIELD[made.previous]] -= 1
    if made.status in BACKLOG_FIELD:
        backlog[BACKLOG_FIELD[made.status]] += 1
    tally.add(InsightDay, (site, day), **backlog)
    if made.undoes_id is None:
        field = STATUS_FIELD[made.status]
        tally.add(InsightDay, (site, day), **{field: 1})
        tally.add(InsightModeratorDay, (site, day, made.moderator_id), **{field: 1})
    elif replaced is not None and replaced.undoes_id is None:
        # The undone decision leaves the counts it was in (an undo that is undone was in
        # none: it neither leaves them nor counts as undone).
        then = day_of(replaced.created_at)
        field = STATUS_FIELD[replaced.status]
        tally.add(InsightDay, (site, then), **{field: -1})
        tally.add(InsightModeratorDay, (site, then, replaced.moderator_id), **{field: -1}, undone=1)
    if made.previous == Status.REMOVED and replaced is not None:
        _removal(tally, where, replaced, -1)
    if made.status == Status.REMOVED:
        _removal(tally, where, made, +1)
    if first:
        _first(tally, where, made, +1)
    if undid_first and replaced is not None:
        _first(tally, where, replaced, -1)
    return tally


def _removal(tally: Tally, where: Where, removal: Made, change: int) -> None:
    week = week_of(day_of(removal.created_at))
    for category in removal.reasons:
        tally.add(InsightCategoryWeek, (where.site_id, week, category), removals=change)
    tally.add(InsightArticleWeek, (where.article_id, week), extra=(where.site_id,), removals=change)
    if where.commenter_id is not None:
        tally.add(InsightCommenterWeek, (where.commenter_id, week, where.site_id), removals=change)


def _first(tally: Tally, where: Where, decision: Made, change: int) -> None:
    site, week = where.site_id, week_of(day_of(decision.created_at))
    b = bucket((decision.created_at - where.queued_at).total_seconds())
    tally.add(InsightWait, (site, week, b), n=change)
    tally.add(InsightModeratorWait, (site, week, decision.moderator_id, b), n=change)
    if decision.flagged is not None:  # unknown for decisions made before it was kept
        tally.add(InsightScreening, (site, week, decision.status, decision.flagged), n=change)


def _standing_decided(comment_id: int, *, before_version: int | None = None):
    """The comment's approvals and removals that are neither undone nor undos."""
    found = Decision.objects.filter(
        comment_id=comment_id, status__in=DECIDED, undoes__isnull=True, undone_by__isnull=True
    )
    if before_version is not None:
        found = found.filter(version__lt=before_version)
    return found


def made_of(decision: Decision, reasons=None) -> Made:
    if reasons is None:
        reasons = decision.reasons.values_list("pk", flat=True)
    return Made(
        pk=decision.pk,
        status=decision.status,
        previous=decision.previous_status,
        moderator_id=decision.moderator_id,
        created_at=decision.created_at,
        reasons=tuple(sorted(reasons)),
        flagged=decision.flagged,
        undoes_id=decision.undoes_id,
    )


def decided(state: ModerationState, decision: Decision, reasons, replaced_id: int | None):
    """A decision was made (`decide`, after the state and the article's queue counts, so
    these rows are locked after those, as an import locks them): `state` is the comment's
    state, `replaced_id` the decision that set the status it left (None: never decided)."""
    made = made_of(decision, [r.pk for r in reasons])
    old = replaced = None
    if replaced_id and (made.undoes_id or made.previous == Status.REMOVED):
        # The decision that set the status it leaves (read only when it matters).
        replaced = Decision.objects.get(pk=replaced_id)
        old = made_of(replaced)
    first = undid_first = False
    if made.undoes_id is None and made.status in DECIDED:
        # Its wait ends here unless an earlier approval or removal stands (this one is new).
        first = not _standing_decided(state.comment_id).exclude(pk=made.pk).exists()
    elif (
        made.undoes_id is not None
        and old is not None
        and old.undoes_id is None
        and (old.status in DECIDED)
    ):
        undid_first = not _standing_decided(
            state.comment_id, before_version=replaced.version
        ).exists()
    where = Where(state.site_id, state.article_id, state.commenter_id, state.queued_at)
    changes(where, made, replaced=old, first=first, undid_first=undid_first).save()


# Recounting from the records


@dataclass(frozen=True)
class Difference:
    table: str
    key: tuple
    kept: dict
    counted: dict

    def __str__(self):
        return f"{self.table} {self.key}: kept {self.kept or 'nothing'}, counted {self.counted}"


def counted(*, batch: int = 2000) -> Tally:
    """Every roll-up counted afresh from the states, decisions and tags, replaying each
    comment's decisions in order through `changes` (as `decided` counted them)."""
    tally = Tally()
    states = ModerationState.objects.order_by().values_list("site_id", "queued_at")
    days = Counter((site, day_of(at)) for site, at in states.iterator(chunk_size=batch))
    for key, n in days.items():
        tally.add(InsightDay, key, arrived=n, pending_change=n)
    tags = Tag.objects.filter(retracted_at__isnull=True).order_by()
    for site, created, category in tags.values_list(
        "category__site_id", "created_at", "category_id"
    ).iterator(chunk_size=batch):
        tally.add(InsightCategoryWeek, (site, week_of(day_of(created)), category), tags=1)
    reasons = defaultdict(list)
    through = Decision.reasons.through.objects.order_by()
    for decision, category in through.values_list("decision_id", "category_id").iterator(
        chunk_size=batch
    ):
        reasons[decision].append(category)
    fields = ("pk", "status", "previous_status", "moderator_id", "created_at", "flagged",
              "undoes_id", "comment_id")  # fmt: skip
    where_of = {
        comment: Where(site, article, commenter, queued)
        for comment, site, article, commenter, queued in ModerationState.objects.order_by()
        .filter(comment__decisions__isnull=False)
        .distinct()
        .values_list("comment_id", "site_id", "article_id", "commenter_id", "queued_at")
        .iterator(chunk_size=batch)
    }
    decisions = Decision.objects.order_by("comment_id", "version").values_list(*fields)
    undone = set(Decision.objects.filter(undoes__isnull=False).values_list("undoes_id", flat=True))
    comment, last, standing = None, None, []
    for pk, status, previous, moderator, at, flagged, undoes, comment_id in decisions.iterator(
        chunk_size=batch
    ):
        if comment_id != comment:
            comment, last, standing = comment_id, None, []
        made = Made(pk, status, previous, moderator, at, tuple(sorted(reasons.get(pk, ()))),
                    flagged, undoes)  # fmt: skip
        first = undid_first = False
        if undoes is None and status in DECIDED:
            first = not standing
            if pk not in undone:
                standing.append(pk)
        elif undoes is not None and last is not None and last.status in DECIDED:
            undid_first = last.undoes_id is None and not standing
        where = where_of.get(comment_id)
        if where is not None:
            tally.merge(changes(where, made, replaced=last, first=first, undid_first=undid_first))
        last = made
    return tally


def recount(*, fix: bool) -> list[Difference]:
    """Every roll-up row against a fresh count; with `fix`, the tables are rewritten from it.
    Run it in a transaction: on PostgreSQL it first locks the roll-up tables against
    writes, so a decision under way either is counted here (committed before the lock) or
    adds its change after, to the rewritten rows."""
    if fix and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in MODELS)
            cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
    fresh = counted()
    differences = []
    for model in MODELS:
        keys = KEYS[model]
        fields = _counters(model)
        kept = {}
        for row in model.objects.values_list(*(f"{k}_id" if _is_fk(model, k) else k for k in keys),
                                             *fields):  # fmt: skip
            counts = {f: v for f, v in zip(fields, row[len(keys) :], strict=True) if v}
            if counts:
                kept[tuple(row[: len(keys)])] = counts
        wanted = {
            key: {f: v for f, v in changes.items() if v}
            for key, changes in fresh.rows.get(model, {}).items()
        }
        wanted = {key: counts for key, counts in wanted.items() if counts}
        found = [
            Difference(model.__name__, key, kept.get(key, {}), wanted.get(key, {}))
            for key in sorted(kept.keys() | wanted.keys(), key=lambda k: tuple(map(_sortable, k)))
            if kept.get(key, {}) != wanted.get(key, {})
        ]
        if fix and found:
            model.objects.all().delete()
            if wanted:
                _upsert(model, {k: Counter(v) for k, v in wanted.items()}, fresh.extra)
        differences += found
    if fix:
        InsightZone.objects.all().delete()
        InsightZone.objects.create(time_zone=settings.TIME_ZONE, counted=True)
    return differences


def _is_fk(model, name: str) -> bool:
    return model._meta.get_field(name).is_relation


def _counters(model) -> tuple[str, ...]:
    skip = set(KEYS[model]) | set(EXTRA.get(model, ())) | {"id"}
    return tuple(f.name for f in model._meta.concrete_fields if f.name not in skip)
