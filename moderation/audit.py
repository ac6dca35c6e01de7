"""The audit log's integrity: the hash chain, its verification, and the append-only guard.

Each event stores `hash` = SHA-256 over the previous event's hash and the event's canonical
JSON (sorted keys, UTC timestamps, no whitespace). Changing, removing or reordering any event
breaks the chain from that event on, which `verify()` (and `manage.py verify_audit`) finds.
Appends lock the single AuditHead row first, so two transactions never chain onto the same
predecessor. The database itself refuses UPDATE and DELETE on the table (triggers installed
by migration 0002), so even raw SQL cannot rewrite history without first dropping them.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from moderation.actions import Action
from moderation.models import AuditEvent, AuditHead

GENESIS = "0" * 64
TABLE = AuditEvent._meta.db_table
_ADDRESS = AuditEvent._meta.get_field("client_address")


@dataclass(frozen=True)
class Context:
    """Where an action came from: the request's id and the client's address."""

    request_id: str = ""
    client_address: str | None = None

    @classmethod
    def from_request(cls, request):
        if request is None:
            return cls()
        return cls(
            request_id=getattr(request, "request_id", ""),
            client_address=request.META.get("REMOTE_ADDR") or None,
        )


def canonical(event: AuditEvent) -> bytes:
    content = {
        "created_at": event.created_at.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "site_id": event.site_id,
        "article_id": event.article_id,
        "comment_id": event.comment_id,
        "commenter_id": event.commenter_id,
        "before": event.before,
        "after": event.after,
        "note": event.note,
        "request_id": event.request_id,
        "client_address": event.client_address,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(event.prev_hash.encode() + b"\n" + canonical(event)).hexdigest()


def append(
    *,
    actor,
    action: Action,
    target,
    before=None,
    after=None,
    note: str = "",
    context: Context | None = None,
    site=None,
    article=None,
    comment=None,
    commenter=None,
) -> AuditEvent:
    """Write one event at the head of the chain. Must run inside the change's transaction.
    `action` must be a member of the registry (a typo would be hashed into the chain)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.append() must run inside the transaction of its change")
    if action not in Action.values:
        raise ValueError(f"{action!r} is not an audit action: add it to moderation.actions.Action")
    context = context or Context()
    # Lock the head first: on PostgreSQL a row lock, on SQLite the database write lock.
    if not AuditHead.objects.filter(pk=1).update(appended=F("appended") + 1):
        AuditHead.objects.create(pk=1, appended=1)
    previous = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event = AuditEvent(
        created_at=timezone.now(),
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor.get_username() if actor is not None and actor.pk else "",
        action=Action(action).value,
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        site=site,
        article=article,
        comment=comment,
        commenter=commenter,
        before=before,
        after=after,
        note=note,
        request_id=context.request_id,
        # Hash the address as the database will store it ("::FFFF:10.0.0.1" is kept as
        # "::ffff:10.0.0.1"), or the stored event would no longer match its own hash.
        client_address=_ADDRESS.get_prep_value(context.client_address),
        prev_hash=previous or GENESIS,
    )
    event.hash = compute_hash(event)
    event.save()
    return event


@dataclass(frozen=True)
class Break:
    event_id: int
    problem: str


def verify(events=None) -> tuple[int, Break | None]:
    """Walk the chain in order; return how many events hold, and the first break if any."""
    events = AuditEvent.objects.order_by("id") if events is None else events
    previous = GENESIS
    checked = 0
    for event in events.iterator(chunk_size=2000):
        if event.prev_hash != previous:
            return checked, Break(
                event.pk, "its prev_hash does not match the event before it "
                "(an event was removed, inserted or reordered)"
            )  # fmt: skip
        if compute_hash(event) != event.hash:
            return checked, Break(event.pk, "its content does not match its hash (altered)")
        previous = event.hash
        checked += 1
    return checked, None


def head_hash() -> str:
    return AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS


# The append-only guard, in SQL, per database.

# (Migration 0002 installs a frozen copy of these; a test checks that the two agree.)
GUARD = {
    "sqlite": [
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION moderation_audit_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP; END $$",
        f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION moderation_audit_append_only()",
    ],
}
UNGUARD = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
        f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
    ],
    "postgresql": [f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}"],
}


def _run(statements_by_vendor, conn=None):
    conn = conn or connection
    statements = statements_by_vendor.get(conn.vendor)
    if statements is None:
        raise NotImplementedError(f"no append-only guard for {conn.vendor}")
    with conn.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install_guard(conn=None):
    """Make the database refuse UPDATE and DELETE on the audit table."""
    _run(GUARD, conn)


def remove_guard(conn=None):
    """For tests that flush the database (the migration's reverse has its own copy)."""
    _run(UNGUARD, conn)
