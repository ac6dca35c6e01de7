"""The only write path for moderation data, one module per capability.

Every function takes the acting user, checks the capability and the state it expects,
writes its change and exactly one AuditEvent in one transaction, and raises a domain error
(`NotAllowed`, `Conflict`, `Invalid`) with a message a person can act on. Views, admin
actions and commands call these; nothing else writes moderation models.

- `errors`: the domain errors;
- `policy`: policy versions and categories;
- `judgements`: tags, retractions, decisions, undo;
- `commenters`: blocks and notes on commenters;
- `users`: dashboard accounts and roles;
- `records`: imports and exports put on the record;
- `reviews`: reviews, each site's plan for blind second reviews, samples, gold items and
  adjudication;
- `imports`: files uploaded to import, queued for a background worker;
- `marks`: which comments each category's and each moderator's queue holds;
- `queue_counts`: each article's pending and escalated counts, for the article list;
- `locks`: the lock order, row locks, and retrying a transaction that lost a lock race.

Locks, in one order in every service (so two transactions may wait, never deadlock):

    site → category → commenter → block → comment → sample → moderation state → tag → queue marks
    → article queue → user → commenter record → audit head, last, taken by the audit append
    that ends every service

each one `locks.lock(queryset)`: FOR NO KEY UPDATE of that one table's row, no join (a test
reads every service's SQL for it). A service whose own transaction loses a lock race anyway
(deadlock, lock timeout, SQLite busy) runs again, a few times (`@retried`); then the view
answers 503 with Retry-After (`moderation.middleware.ContentionMiddleware`).

Everything is importable from here (`services.decide(...)`).
"""

from moderation.services.commenters import add_commenter_note, block, unblock
from moderation.services.errors import Conflict, Invalid, ModerationError, NotAllowed
from moderation.services.judgements import (
    approve_pending,
    decide,
    retract,
    state_of,
    tag,
    undo,
)
from moderation.services.policy import (
    DEFAULT_CATEGORIES,
    add_category,
    current_policy,
    edit_category,
    edit_policy,
    edit_word_lists,
    sync_posted_policy,
)
from moderation.services.records import record_export, record_import
from moderation.services.reviews import adjudicate, retire_gold, review, set_gold
from moderation.services.reviews import set_plan as set_review_plan
from moderation.services.users import (
    create_user,
    lift_lockout,
    lockout_of,
    record_password_link,
    set_active,
    set_roles,
)

__all__ = [
    "DEFAULT_CATEGORIES",
    "Conflict",
    "Invalid",
    "ModerationError",
    "NotAllowed",
    "add_category",
    "add_commenter_note",
    "adjudicate",
    "approve_pending",
    "block",
    "create_user",
    "current_policy",
    "decide",
    "edit_category",
    "edit_policy",
    "edit_word_lists",
    "lift_lockout",
    "lockout_of",
    "record_export",
    "record_import",
    "record_password_link",
    "retire_gold",
    "retract",
    "review",
    "set_active",
    "set_gold",
    "set_review_plan",
    "set_roles",
    "state_of",
    "sync_posted_policy",
    "tag",
    "unblock",
    "undo",
]
