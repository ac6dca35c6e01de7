"""The registry of audit actions: every string an `AuditEvent.action` may hold, its label (for
lists and the audit filter) and its describer (how its change reads to a person, in a line).

An action is hashed into the audit chain, so it is always a member of `Action`:
`audit.append` refuses any other string, and a test fails when a member has no label or no
describer. Nothing here queries the database: a describer reads only the event's own
`before` and `after`.
"""

import json
from collections.abc import Callable
from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.text import Truncator

QUOTE_CHARS = 80


class Action(models.TextChoices):
    TAG_ADD = "tag.add", "Tag added"
    TAG_RETRACT = "tag.retract", "Tag retracted"
    COMMENT_APPROVED = "comment.approved", "Approved"
    COMMENT_REMOVED = "comment.removed", "Removed"
    COMMENT_ESCALATED = "comment.escalated", "Escalated"
    COMMENT_PENDING = "comment.pending", "Back to pending"
    COMMENTER_BLOCK = "commenter.block", "Commenter blocked"
    COMMENTER_UNBLOCK = "commenter.unblock", "Commenter unblocked"
    COMMENTER_NOTE = "commenter.note", "Note on commenter"
    POLICY_CREATE = "policy.create", "Policy created"
    POLICY_EDIT = "policy.edit", "Policy edited"
    CATEGORY_ADD = "category.add", "Category added"
    CATEGORY_EDIT = "category.edit", "Category edited"
    WORDS_EDIT = "screening.words", "Word lists edited"
    REVIEW = "review.record", "Review recorded"
    REVIEW_PLAN = "review.plan", "Second-review plan set"
    GOLD_SET = "review.gold", "Gold item set"
    GOLD_RETIRE = "review.gold_retire", "Gold item retired"
    ADJUDICATE = "review.adjudicate", "Disagreement adjudicated"
    IMPORT = "import", "Import"
    IMPORT_UPLOAD = "import.upload", "File uploaded for import"
    IMPORT_FAILED = "import.failed", "Import failed"
    IMPORT_RETRY = "import.retry", "Import queued again"
    EXPORT = "export", "Export"
    USER_CREATE = "user.create", "User created"
    USER_ROLES = "user.roles", "Roles changed"
    USER_DEACTIVATE = "user.deactivate", "User deactivated"
    USER_REACTIVATE = "user.reactivate", "User reactivated"
    USER_PASSWORD_LINK = "user.password_link", "Set-password link sent"
    USER_UNLOCK = "user.unlock", "Login lockout lifted"


DECISIONS = frozenset(
    {
        Action.COMMENT_APPROVED,
        Action.COMMENT_REMOVED,
        Action.COMMENT_ESCALATED,
        Action.COMMENT_PENDING,
    }
)
# What a moderator may reverse with `services.undo` (a tag by retracting it, a decision by
# deciding the previous status again).
UNDOABLE = frozenset({Action.TAG_ADD, *DECISIONS})


# Describers: (before, after) -> the change in words. `describe_change` adds "undoing #n".

Describer = Callable[[dict, dict], str]
DESCRIBERS: dict[Action, Describer] = {}


def describes(*actions: Action):
    def register(describer: Describer) -> Describer:
        for action in actions:
            DESCRIBERS[action] = describer
        return describer

    return register


def describe_change(event) -> str:
    """before → after in a line a person reads at a glance; JSON for shapes not known here."""
    before, after = event.before or {}, event.after or {}
    describer = DESCRIBERS.get(event.action)
    if describer is None or not isinstance(before, dict) or not isinstance(after, dict):
        return _json(event)
    text = describer(before, after)
    if after.get("undoes"):
        text += f", undoing #{after['undoes']}"
    return text


@describes(*DECISIONS)
def _decision(before, after):
    text = f"{before.get('status', '?')} → {after.get('status', '?')}"
    if after.get("reasons"):
        text += f" ({', '.join(after['reasons'])})"
    if after.get("assignee_name"):
        text += f", assigned to {after['assignee_name']}"
    if after.get("sampled"):
        text += ", drawn for a second review"
    return text


@describes(Action.TAG_ADD)
def _tag_add(before, after):
    text = str(after.get("category", "?"))
    if after.get("span"):
        text += f" on “{Truncator(after.get('quoted_text', '')).chars(QUOTE_CHARS)}”"
    else:
        text += " (whole comment)"
    if after.get("policy_version"):
        text += f", policy v{after['policy_version']}"
    return text


@describes(Action.TAG_RETRACT)
def _tag_retract(before, after):
    return f"{before.get('category', '?')} retracted"


@describes(Action.COMMENTER_BLOCK)
def _block(before, after):
    until = _moment(after.get("expires_at"))
    return f"blocked until {until}" if until else "blocked, no expiry"


@describes(Action.COMMENTER_UNBLOCK)
def _unblock(before, after):
    return "in force → lifted"


@describes(Action.COMMENTER_NOTE)
def _commenter_note(before, after):
    return "note added"


@describes(Action.POLICY_CREATE)
def _policy_create(before, after):
    text = f"version {after.get('version', '?')}"
    if after.get("categories"):
        text += f" ({', '.join(after['categories'])})"
    return text


@describes(Action.POLICY_EDIT)
def _policy_edit(before, after):
    return f"version {before.get('version', '?')} → {after.get('version', '?')}, text changed"


@describes(Action.CATEGORY_ADD)
def _category_add(before, after):
    text = f"added {after.get('name', '?')}"
    if after.get("policy_version"):
        text += f" (policy v{after['policy_version']})"
    return text


@describes(Action.WORDS_EDIT)
def _words_edit(before, after):
    added, removed = after.get("added", []), after.get("removed", [])
    parts = []
    if added:
        parts.append(f"added {', '.join(added[:8])}{' …' if len(added) > 8 else ''}")
    if removed:
        parts.append(f"removed {', '.join(removed[:8])}{' …' if len(removed) > 8 else ''}")
    text = f"version {before.get('version', 0)} → {after.get('version', '?')}"
    return f"{text}: {'; '.join(parts)}" if parts else text


def _labels(labels: dict) -> str:
    positive = [slug for slug, label in labels.items() if label]
    return ", ".join(positive) if positive else "no violation"


@describes(Action.REVIEW)
def _review(before, after):
    route = {"second": "second review", "gold": "review"}.get(after.get("route"), "review")
    text = f"{route}: {_labels(after.get('labels') or {})}"
    if after.get("sample") in ("agreed", "disagreed"):
        text += f" ({after['sample']})"
    if after.get("sampled"):
        text += ", drawn for a second review"
    return text


@describes(Action.REVIEW_PLAN)
def _review_plan(before, after):
    text = f"second review {before.get('share', 0)}% → {after.get('share', '?')}%"
    if before.get("seed") and before.get("seed") != after.get("seed"):
        text += ", new seed"
    return text


@describes(Action.GOLD_SET)
def _gold_set(before, after):
    verb = "gold labels changed" if before else "made a gold item"
    return f"{verb}: {len(after.get('labels') or {})} reference labels"


@describes(Action.GOLD_RETIRE)
def _gold_retire(before, after):
    return "gold item retired"


@describes(Action.ADJUDICATE)
def _adjudicate(before, after):
    return f"adjudicated: {_labels(after.get('labels') or {})}"


@describes(Action.CATEGORY_EDIT)
def _category_edit(before, after):
    changes = []
    if before.get("name") != after.get("name"):
        changes.append(f"name {before.get('name')} → {after.get('name')}")
    if before.get("definition") != after.get("definition"):
        changes.append("definition changed")
    if before.get("active") != after.get("active"):
        changes.append("retired" if not after.get("active") else "brought back")
    text = f"{after.get('name', '?')}: {', '.join(changes) or 'no visible change'}"
    if after.get("policy_version"):
        text += f" (policy v{after['policy_version']})"
    return text


@describes(Action.IMPORT)
def _import(before, after):
    counts = [
        f"{key.replace('_', ' ')}: {value}"
        for key, value in after.items()
        if isinstance(value, int) and not isinstance(value, bool) and value
    ]
    if warnings := after.get("warnings"):
        counts.append(f"{len(warnings)} warning(s)")
    if after.get("policy_changed"):
        counts.append("policy text changed")
    return f"{after.get('source', '?')} import" + (f" ({', '.join(counts)})" if counts else "")


@describes(Action.IMPORT_UPLOAD)
def _import_upload(before, after):
    size = after.get("size")
    text = f"{after.get('file', '?')} ({after.get('kind', '?')}"
    text += f", {size:,} bytes)" if isinstance(size, int) else ")"
    return text + (", check only" if after.get("dry_run") else "")


@describes(Action.IMPORT_FAILED)
def _import_failed(before, after):
    return f"{after.get('file', '?')}: {Truncator(after.get('error', '?')).chars(QUOTE_CHARS)}"


@describes(Action.IMPORT_RETRY)
def _import_retry(before, after):
    return f"{after.get('file', '?')} ({after.get('kind', '?')}), queued again"


# An export's tables, as its rows are counted ("2 comment rows, 9 label rows").
EXPORT_TABLE_WORDS = {"comments": "comment", "labels": "label"}


def _export_rows(rows) -> str:
    """An export's row counts: {table: rows} per file it covers, or (events recorded before
    each table was counted) one number."""
    if isinstance(rows, int):
        return f"{rows:,} row{'' if rows == 1 else 's'}"
    if isinstance(rows, dict) and rows and all(isinstance(n, int) for n in rows.values()):
        # In the tables' order: PostgreSQL's jsonb keeps keys in an order of its own.
        order = list(EXPORT_TABLE_WORDS)
        tables = sorted(rows, key=lambda t: (order.index(t) if t in order else len(order), t))
        return ", ".join(
            f"{rows[t]:,} {EXPORT_TABLE_WORDS.get(t, t)} row{'' if rows[t] == 1 else 's'}"
            for t in tables
        )
    return "? rows"


@describes(Action.EXPORT)
def _export(before, after):
    count = _export_rows(after.get("rows"))
    names = "real names" if after.get("real_names") else "pseudonyms"
    text = f"{after.get('what', '?')}: {count}, {names}"
    filters = after.get("filters") or {}
    if isinstance(filters, dict) and (chosen := _export_filters(filters)):
        text += f"; {', '.join(chosen)}"
    return text


# An export's filters (`ExportFilter.used()`) in words: a format, or a function of the value
# giving the words or None (nothing to say).
EXPORT_FILTER_WORDS = {
    "status": lambda value: None if value == "all" else f"{value} comments",
    "site": "site {}",
    "article": lambda value: (
        "article " + ", ".join(f"#{v}" for v in (value if isinstance(value, list) else [value]))
    ),
    "category": "category {}",
    "moderator": "moderator #{}",
    "posted_after": "posted from {}",
    "posted_before": "posted before {}",
    "reviewed_only": lambda value: "reviewed comments only" if value else None,
}


def _export_filters(filters: dict) -> list[str]:
    words = []
    for key, value in sorted(filters.items(), key=lambda item: _filter_place(item[0])):
        if value in (None, "", [], False):
            continue
        how = EXPORT_FILTER_WORDS.get(key, key.replace("_", " ") + " {}")
        said = how(value) if callable(how) else how.format(_compact(value))
        if said:
            words.append(said)
    return words


def _filter_place(key: str) -> int:
    order = list(EXPORT_FILTER_WORDS)
    return order.index(key) if key in order else len(order)


@describes(Action.USER_CREATE)
def _user_create(before, after):
    roles = ", ".join(after.get("roles") or []) or "no role"
    return f"{after.get('username', '?')} ({roles})"


@describes(Action.USER_ROLES)
def _user_roles(before, after):
    return (
        f"{', '.join(before.get('roles') or []) or 'no role'} → "
        f"{', '.join(after.get('roles') or []) or 'no role'}"
    )


@describes(Action.USER_DEACTIVATE)
def _user_deactivate(before, after):
    return "active → inactive"


@describes(Action.USER_REACTIVATE)
def _user_reactivate(before, after):
    return "inactive → active"


@describes(Action.USER_PASSWORD_LINK)
def _user_password_link(before, after):
    return f"set-password link sent to {after.get('email', '?')}"


@describes(Action.USER_UNLOCK)
def _user_unlock(before, after):
    addresses = ", ".join(before.get("addresses") or []) or "unknown addresses"
    return f"lockout lifted ({before.get('failures', '?')} failed login(s) from {addresses})"


def _moment(value) -> str:
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")


def _dump(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def _compact(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_compact(item)}" for key, item in sorted(value.items()))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _json(event) -> str:
    if event.before is None:
        return _dump(event.after) if event.after is not None else ""
    return f"{_dump(event.before)} → {_dump(event.after)}"
