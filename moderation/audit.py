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

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from moderation import checkpoints
from moderation.actions import Action
from moderation.clients import client_address
from moderation.models import AuditCheckpoint, AuditEvent, AuditHead

GENESIS = "0" * 64
TABLE = AuditEvent._meta.db_table
HEAD_UPDATE = (
    f'UPDATE "{AuditHead._meta.db_table}" SET "appended" = "appended" + 1 WHERE "id" = 1 '
    'RETURNING "appended"'
)
_ADDRESS = AuditEvent._meta.get_field("client_address")


@dataclass(frozen=True)
class Context:
    """Where an action came from: our id for the request, the client's address, and the id a
    trusted proxy gave the request (see moderation.middleware), if any."""

    request_id: str = ""
    client_address: str | None = None
    forwarded_request_id: str = ""

    @classmethod
    def from_request(cls, request):
        if request is None:
            return cls()
        return cls(
            request_id=getattr(request, "request_id", ""),
            client_address=client_address(request),
            forwarded_request_id=getattr(request, "forwarded_request_id", ""),
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
    # Only when there is one: events from before the field existed keep their hash.
    if forwarded := getattr(event, "forwarded_request_id", None):
        content["forwarded_request_id"] = forwarded
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
    if not settings.DEBUG and not checkpoints.configured():
        # A server started without `migrate`'s system check: refuse, rather than record a
        # history nobody signs.
        raise ImproperlyConfigured(
            "No audit signing key (AUDIT_SIGNING_KEY_FILE): nothing is recorded unsigned. "
            "See `manage.py check`."
        )
    context = context or Context()
    # Lock the head first: on PostgreSQL a row lock, on SQLite the database write lock.
    # The count comes back with the lock (RETURNING: PostgreSQL, SQLite 3.35+): a checkpoint is
    # due every AUDIT_CHECKPOINT_EVERY events.
    with connection.cursor() as cursor:
        cursor.execute(HEAD_UPDATE)
        row = cursor.fetchone()
    if row is None:
        AuditHead.objects.create(pk=1, appended=1)
    appended = row[0] if row else 1
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
        forwarded_request_id=context.forwarded_request_id or None,
        # Hash the address as the database will store it ("::FFFF:10.0.0.1" is kept as
        # "::ffff:10.0.0.1"), or the stored event would no longer match its own hash.
        client_address=_ADDRESS.get_prep_value(context.client_address),
        prev_hash=previous or GENESIS,
    )
    event.hash = compute_hash(event)
    event.signature = checkpoints.sign_event(event.hash)
    event.save()
    if checkpoints.due(appended) and checkpoints.configured():
        checkpoints.write(event.pk, appended, event.hash)
    return event


@dataclass(frozen=True)
class Break:
    event_id: int | None  # the first event found wrong, when there is one to name
    problem: str


def verify(events=None, *, kept=(), keys=None) -> tuple[int, Break | None]:
    """Walk the chain in order; return how many events hold, and the first break if any.

    Beyond the links: the number of events must be the head counter's (newest events
    deleted are found), and every checkpoint, those stored here and those `kept` outside
    (`checkpoints.Signed`), must carry a valid signature by the key it names among `keys`
    (by key id; the configured ones by default; skipped when there are none) and match the
    event it signs, by hash and by position (a history rewritten and re-hashed no longer
    does)."""
    events = AuditEvent.objects.order_by("id") if events is None else events
    signed = [checkpoints.Signed.of(c) for c in AuditCheckpoint.objects.all()] + list(kept)
    keys = checkpoints.verification_keys() if keys is None else keys
    if keys and (forged := next((c for c in signed if not c.verifies(keys)), None)):
        known = "" if forged.key_id in keys else f", and key {forged.key_id} is not one given"
        return 0, Break(
            forged.event_id,
            f"the checkpoint of {forged.created_at} for it has a signature that does not "
            f"verify (forged, or signed with another key{known})",
        )
    walk = _Walk(signed, keys)
    for event in events.iterator(chunk_size=2000):
        if broken := walk.step(event):
            return walk.checked, broken
    return walk.checked, walk.finish()


class _Walk:
    """The chain walked event by event, checked against the checkpoints on the way."""

    def __init__(self, signed, keys):
        self.keys = keys
        self.signing = False  # an event so far carried a signature: all later ones must
        self.by_event: dict[int, list] = {}
        for checkpoint in signed:
            self.by_event.setdefault(checkpoint.event_id, []).append(checkpoint)
        self.previous, self.checked, self.last_id = GENESIS, 0, None
        self.trusted_from = None  # the first event after the last checkpoint that matched

    def step(self, event) -> Break | None:
        if event.prev_hash != self.previous:
            after = f"#{self.last_id}" if self.last_id else "the start"
            return Break(
                event.pk,
                f"its prev_hash does not match the event before it ({after}): an event was "
                "removed, inserted, reordered or replaced there",
            )
        if compute_hash(event) != event.hash:
            return Break(event.pk, "its content does not match its hash (altered)")
        if broken := self._signed(event):
            return broken
        self.trusted_from = self.trusted_from or event.pk
        self.checked += 1
        for checkpoint in self.by_event.pop(event.pk, ()):
            if broken := self._against(event, checkpoint):
                return broken
        self.previous, self.last_id = event.hash, event.pk
        return None

    def _signed(self, event) -> Break | None:
        """Once events are signed (a key was configured), each must carry a signature the
        key it names verifies: an event written without the key (raw SQL, chained onto the
        head) or rewritten and re-hashed has none that holds."""
        signature = getattr(event, "signature", None)
        if not signature:
            if self.signing:
                return Break(
                    event.pk,
                    "it carries no signature although the events before it do: it was "
                    "written without the signing key (inserted or replaced behind the app)",
                )
            return None
        self.signing = True
        if not self.keys:
            return None
        holds = checkpoints.event_signature_holds(signature, event.hash, self.keys)
        if holds is None:
            return Break(event.pk, "it is signed with a key that is not one given")
        if not holds:
            return Break(
                event.pk,
                "its signature does not verify: it was rewritten and re-hashed, or forged, "
                "without the signing key",
            )
        return None

    def _against(self, event, checkpoint) -> Break | None:
        signed = f"the checkpoint of {checkpoint.created_at}"
        if checkpoint.head_hash != event.hash:
            return Break(
                self.trusted_from,
                f"the history from here to #{event.pk} was rewritten and re-hashed: #{event.pk} "
                f"no longer has the hash {signed} signed (the events before this one still "
                "match the last checkpoint before it)",
            )
        if checkpoint.appended != self.checked:
            return Break(
                event.pk,
                f"{signed} signed it as event number {checkpoint.appended:,}; it is number "
                f"{self.checked:,} now: events before it were removed or inserted",
            )
        self.trusted_from = None  # everything so far matches a signature
        return None

    def finish(self) -> Break | None:
        if self.by_event:
            missing = min(self.by_event)
            checkpoint = self.by_event[missing][0]
            return Break(
                missing,
                f"it is missing, although the checkpoint of {checkpoint.created_at} signed it "
                f"(event number {checkpoint.appended:,}): events were deleted",
            )
        head = AuditHead.objects.filter(pk=1).values_list("appended", flat=True).first() or 0
        if head != self.checked:
            after = f"#{self.last_id}" if self.last_id else "the start"
            what = (
                f"the newest events, after {after}, were deleted"
                if head > self.checked
                else "events were added without passing the head"
            )
            return Break(
                None,
                f"the head counter says {head:,} event(s) were appended, and {self.checked:,} "
                f"are here: {what}",
            )
        return None


def head_hash() -> str:
    return AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS


# The append-only guard, in SQL, per database: UPDATE and DELETE refused row by row (both
# tables); PostgreSQL's TRUNCATE refused per statement (it fires no row trigger); SQLite's
# INSERT OR REPLACE refused (its implicit delete fires no delete trigger).

# (Migrations 0002 and 0008 install frozen copies of these; a test checks that they agree.)
CHECKPOINTS = AuditCheckpoint._meta.db_table
_REFUSE = "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
GUARD = {
    "sqlite": [
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
        # 0008:
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_replace BEFORE INSERT ON {TABLE} "
        f"WHEN EXISTS (SELECT 1 FROM {TABLE} WHERE id = NEW.id OR hash = NEW.hash) {_REFUSE}",
        f"CREATE TRIGGER IF NOT EXISTS {CHECKPOINTS}_no_update BEFORE UPDATE ON {CHECKPOINTS} "
        f"{_REFUSE}",
        f"CREATE TRIGGER IF NOT EXISTS {CHECKPOINTS}_no_delete BEFORE DELETE ON {CHECKPOINTS} "
        f"{_REFUSE}",
        f"CREATE TRIGGER IF NOT EXISTS {CHECKPOINTS}_no_replace BEFORE INSERT ON {CHECKPOINTS} "
        f"WHEN EXISTS (SELECT 1 FROM {CHECKPOINTS} WHERE id = NEW.id) {_REFUSE}",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION moderation_audit_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP; END $$",
        f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION moderation_audit_append_only()",
        # 0008:
        f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION moderation_audit_append_only()",
        f"DROP TRIGGER IF EXISTS {CHECKPOINTS}_append_only ON {CHECKPOINTS}",
        f"CREATE TRIGGER {CHECKPOINTS}_append_only BEFORE UPDATE OR DELETE ON {CHECKPOINTS} "
        "FOR EACH ROW EXECUTE FUNCTION moderation_audit_append_only()",
        f"DROP TRIGGER IF EXISTS {CHECKPOINTS}_no_truncate ON {CHECKPOINTS}",
        f"CREATE TRIGGER {CHECKPOINTS}_no_truncate BEFORE TRUNCATE ON {CHECKPOINTS} "
        "FOR EACH STATEMENT EXECUTE FUNCTION moderation_audit_append_only()",
    ],
}
UNGUARD = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
        f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
        # 0008:
        f"DROP TRIGGER IF EXISTS {TABLE}_no_replace",
        f"DROP TRIGGER IF EXISTS {CHECKPOINTS}_no_update",
        f"DROP TRIGGER IF EXISTS {CHECKPOINTS}_no_delete",
        f"DROP TRIGGER IF EXISTS {CHECKPOINTS}_no_replace",
    ],
    "postgresql": [
        f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
        # 0008:
        f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
        f"DROP TRIGGER IF EXISTS {CHECKPOINTS}_append_only ON {CHECKPOINTS}",
        f"DROP TRIGGER IF EXISTS {CHECKPOINTS}_no_truncate ON {CHECKPOINTS}",
    ],
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
