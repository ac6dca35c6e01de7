"""Row locks in one order, and retrying a service whose transaction lost a lock race.

**The lock order.** A service that locks several rows locks them in this order, and takes
the audit head last (`audit.append`, the last statement of every service):

    site → category → commenter → block → comment → moderation state → tag → queue marks
    → article queue → insight roll-ups → user → commenter record → audit head

(A commenter's record, whose counters `decide`, `block` and `unblock` keep, is updated in
place, `UPDATE … SET removals = removals + 1`: that row lock comes just before the head.
So is an article's queue counts (`queue_counts`), after the comment and its state whose
status changed: `decide` locks the comment, then the state, then updates the counters;
an import inserts its states, then updates its articles' counters in article id order.
The insights' roll-ups (`services.insights`) come next, each table's rows in key order:
`decide` and an import add to them after the article's counters, a tag after its marks.)

Two transactions that take their locks in one order can wait for each other but never
deadlock. Each lock is `lock(queryset)`: `SELECT … FOR NO KEY UPDATE OF <the table>`, with no
join and no ordering. No join, because PostgreSQL's `FOR UPDATE` locks a row of *every* table
in the query: `Comment.objects.select_for_update().first()` ordered by the model's default
`["article", "thread_order"]` joined the article and the site and locked them too, out of
order (a load test found `deadlock detected` with 30 moderators on a few comments).
`NO KEY UPDATE`, because no service changes a primary key: inserting a row that refers to a
locked row (a tag to its comment, an audit event to its site, article and comment) takes a
`KEY SHARE` lock on it, which `FOR UPDATE` would block and `FOR NO KEY UPDATE` does not.
SQLite has no row locks: with `transaction_mode` IMMEDIATE every transaction takes the
database's write lock when it begins (see `moderation/settings.py`).

**Retries.** A deadlock or a lock timeout that still happens (PostgreSQL `deadlock detected`,
`lock_timeout`, a serialization failure; SQLite `database is locked`) rolls the whole
transaction back, so the whole service call can run again: `@retried` does that a bounded
number of times, with a short random pause, when the service's transaction is the outermost
one. Inside someone else's transaction it does not retry (the outer transaction owns the
locks and must start over itself). What is still contended after the last attempt reaches
the view as `OperationalError`, which `moderation.middleware` answers with 503 and
Retry-After, never 500.
"""

import functools
import logging
import random
import time

from django.db import OperationalError, transaction

log = logging.getLogger(__name__)

ORDER = (
    "site",
    "category",
    "commenter",
    "block",
    "comment",
    "moderation state",
    "tag",
    "queue marks",
    "article queue",
    "insight roll-ups",
    "user",
    "commenter record",
    "audit head",
)

# PostgreSQL's SQLSTATEs for losing a lock race: deadlock_detected, lock_not_available
# (lock_timeout, NOWAIT) and serialization_failure. Each rolls the transaction back.
CONTENDED_SQLSTATES = frozenset({"40P01", "55P03", "40001"})
# SQLite's wording for SQLITE_BUSY (a file database) and SQLITE_LOCKED (shared cache).
CONTENDED_SQLITE = ("database is locked", "database table is locked")

ATTEMPTS = 4
PAUSE = 0.02  # seconds: doubled after each attempt, times a random 0.5-1.5


def lock(queryset):
    """`queryset` as a row lock: FOR NO KEY UPDATE of its own table only, without the model's
    default ordering (which may join other tables). Take locks in the order of `ORDER`."""
    return queryset.select_for_update(no_key=True, of=("self",)).order_by()


def is_contention(error: BaseException) -> bool:
    """Whether `error` is a lost lock race (deadlock, lock timeout, busy database), after
    which the transaction is rolled back and may simply run again."""
    if not isinstance(error, OperationalError):
        return False
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in CONTENDED_SQLSTATES
    return str(error).startswith(CONTENDED_SQLITE)


def retried(service):
    """Run `service` again (up to ATTEMPTS times in all) when its transaction loses a lock
    race. Only for a service whose own `transaction.atomic()` holds everything it does:
    a retry must replay the whole transaction, so inside an outer one it runs once."""

    @functools.wraps(service)
    def run(*args, **kwargs):
        if transaction.get_connection().in_atomic_block:
            return service(*args, **kwargs)
        for attempt in range(1, ATTEMPTS):
            try:
                return service(*args, **kwargs)
            except OperationalError as error:
                if not is_contention(error):
                    raise
                log.info("%s lost a lock race (attempt %d): %s", service.__name__, attempt, error)
            pause(attempt)
        return service(*args, **kwargs)  # the last attempt: what it raises, the caller gets

    return run


def pause(attempt: int) -> None:
    """Wait a little before attempt `attempt + 1`: longer each time, and random, so the
    transactions that collided do not collide again in step."""
    time.sleep(PAUSE * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
