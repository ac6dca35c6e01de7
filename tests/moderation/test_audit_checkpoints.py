"""Signed checkpoints: a history rewritten by someone who can write to the database (triggers
dropped, every hash recomputed), cut short, truncated or replaced row by row no longer
verifies, and `verify_audit` names the first event that disagrees; an untouched history with
several checkpoints verifies, also against the copy kept outside the database."""

import base64
import json
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from moderation import audit, checkpoints, services
from moderation.models import AuditCheckpoint, AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db
TABLE = AuditEvent._meta.db_table
OTHER_KEY = base64.b64encode(b"another-key-of-thirty-two-bytes!").decode()


@pytest.fixture
def every(settings):
    """Sign a checkpoint every `n` events."""

    def set_interval(n):
        settings.AUDIT_CHECKPOINT_EVERY = n

    return set_interval


def make_history(site, article, moderator, n=10):
    """`n` real events (tags on comments), oldest first."""
    category = factories.category(site, "profanity")
    for i in range(n):
        services.tag(moderator, factories.make_comment(article, f"Comment {i}"), category)
    return list(AuditEvent.objects.order_by("id"))


def verify_audit(*args):
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def refused(*args):
    with pytest.raises(CommandError) as caught:
        verify_audit(*args)
    return str(caught.value)


def behind_the_triggers(*statements):
    """Run SQL as a database writer would after dropping the guard, then put it back."""
    audit.remove_guard()
    try:
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
    finally:
        audit.install_guard()


def raw(sql, params=()):
    """One statement in its own savepoint, so a refusal leaves the test's transaction usable."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def rewrite_and_rehash(history, index, note):
    """Change event `index` and recompute its hash and every later one: the chain links."""
    previous = history[index - 1].hash if index else audit.GENESIS
    statements = []
    for position, event in enumerate(history[index:], index):
        if position == index:
            event.note = note
        event.prev_hash = previous
        event.hash = audit.compute_hash(event)
        previous = event.hash
        statements.append(
            (
                f"UPDATE {TABLE} SET note = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [event.note, event.prev_hash, event.hash, event.pk],
            )
        )
    behind_the_triggers(*statements)


def test_checkpoints_are_signed_every_n_events_and_an_untouched_history_verifies(
    every, site, article, moderator
):
    every(3)
    history = make_history(site, article, moderator, n=10)
    signed = list(AuditCheckpoint.objects.order_by("appended"))
    total = len(history)
    assert [c.appended for c in signed] == list(range(3, total + 1, 3))
    by_id = {e.pk: e for e in history}
    assert all(by_id[c.event_id].hash == c.head_hash for c in signed)
    output = verify_audit()
    assert f"audit chain holds: {total} event(s)" in output
    key = checkpoints.verification_key()
    assert f"{len(signed)} checkpoint(s) verified with key {checkpoints.key_id(key)}" in output


def test_a_rewritten_and_rehashed_event_is_named_when_every_event_is_signed(
    every, site, article, moderator
):
    every(1)
    history = make_history(site, article, moderator, n=6)
    rewrite_and_rehash(history, 3, "nothing to see here")
    assert audit.verify(keys={})[1] is not None  # positions and hashes alone find it
    message = refused()
    assert f"audit chain broken at event #{history[3].pk}: " in message
    assert "rewritten and re-hashed" in message


def test_a_rewrite_between_checkpoints_names_the_first_event_after_the_last_good_one(
    every, site, article, moderator
):
    every(4)
    history = make_history(site, article, moderator, n=10)
    # Checkpoints at events 4 and 8 (1-based); rewrite the 6th and re-hash the rest.
    rewrite_and_rehash(history, 5, "rewritten")
    # Each event is signed: the rewritten one is named.
    message = refused()
    assert f"broken at event #{history[5].pk}: its signature does not verify" in message
    # Without the keys (signatures unchecked), the checkpoints still place it: events 5-8.
    broken = audit.verify(keys={})[1]
    assert broken.event_id == history[4].pk
    assert f"the history from here to #{history[7].pk} was rewritten" in broken.problem


def test_deleted_newest_events_are_found_by_the_head_counter(every, site, article, moderator):
    every(0)  # no checkpoints: the counter alone
    history = make_history(site, article, moderator, n=5)
    behind_the_triggers((f"DELETE FROM {TABLE} WHERE id >= %s", [history[-2].pk]))
    message = refused()
    assert "head counter says" in message
    assert f"the newest events, after #{history[-3].pk}, were deleted" in message


def test_deleted_newest_events_with_the_counter_put_back_are_found_by_a_checkpoint(
    every, site, article, moderator
):
    every(2)
    history = make_history(site, article, moderator, n=6)
    behind_the_triggers(
        (f"DELETE FROM {TABLE} WHERE id >= %s", [history[-3].pk]),
        ("UPDATE moderation_audithead SET appended = %s", [len(history) - 3]),
    )
    gone = history[-3].pk
    first_signed_gone = min(c.event_id for c in AuditCheckpoint.objects.filter(event_id__gte=gone))
    message = refused()
    assert f"broken at event #{first_signed_gone}: it is missing" in message


@pytest.mark.django_db(transaction=True)  # committed rows: PostgreSQL truncates no others
def test_the_copy_kept_outside_catches_a_history_emptied_with_its_checkpoints(
    every, site, article, moderator, settings, tmp_path, django_capture_on_commit_callbacks
):
    every(2)
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "kept.jsonl")
    with django_capture_on_commit_callbacks(execute=True):
        history = make_history(site, article, moderator, n=4)
    kept = (tmp_path / "kept.jsonl").read_text().splitlines()
    assert [json.loads(line)["appended"] for line in kept] == [2, 4]
    assert "2 checkpoint(s) verified" in verify_audit()
    assert "4 checkpoint(s) verified" in verify_audit("--checkpoints", str(tmp_path / "kept.jsonl"))
    wipe = "TRUNCATE {}" if connection.vendor == "postgresql" else "DELETE FROM {}"
    behind_the_triggers(
        (wipe.format(TABLE), []),
        (wipe.format(AuditCheckpoint._meta.db_table), []),
        ("UPDATE moderation_audithead SET appended = 0", []),
    )
    assert verify_audit().startswith("audit chain holds: 0 event(s)")  # nothing left to doubt
    message = refused("--checkpoints", str(tmp_path / "kept.jsonl"))
    assert f"broken at event #{history[1].pk}: it is missing" in message


def test_a_checkpoint_signed_with_another_key_is_refused(every, site, article, moderator):
    every(0)
    history = make_history(site, article, moderator, n=3)
    other = checkpoints._read_private(OTHER_KEY, "test")
    with transaction.atomic():
        checkpoints.write(history[-1].pk, len(history), history[-1].hash, key=other)
    message = refused()
    assert f"broken at event #{history[-1].pk}" in message
    assert "forged, or signed with another key" in message
    # Whoever trusts that other key too sees it verify.
    ours = checkpoints.public_text(checkpoints.verification_key())
    public = checkpoints.public_text(other.public_key())
    assert "1 checkpoint(s) verified" in verify_audit("--public-key", ours, "--public-key", public)


def test_an_auditor_verifies_with_the_public_key_alone(every, site, article, moderator, settings):
    every(2)
    make_history(site, article, moderator, n=4)
    out = StringIO()
    call_command("audit_checkpoint", "--public-key", stdout=out)
    public = out.getvalue().split()[0]
    settings.AUDIT_SIGNING_KEY = ""
    assert "signatures not checked" in verify_audit()
    assert "2 checkpoint(s) verified" in verify_audit("--public-key", public)
    with pytest.raises(CommandError, match="--public-key is not an Ed25519 public key"):
        verify_audit("--public-key", "not-a-key")


def test_audit_checkpoint_signs_the_head_now_and_lists_them_all(every, site, article, moderator):
    every(0)
    history = make_history(site, article, moderator, n=3)
    out = StringIO()
    call_command("audit_checkpoint", stdout=out)
    line = json.loads(out.getvalue())
    assert line["event_id"] == history[-1].pk
    assert line["appended"] == len(history)
    assert line["head_hash"] == history[-1].hash
    listed = StringIO()
    call_command("audit_checkpoint", "--list", stdout=listed)
    assert [json.loads(x) for x in listed.getvalue().splitlines()] == [line]


def test_without_a_key_no_checkpoint_is_written_and_the_command_says_why(
    every, settings, site, article, moderator
):
    every(1)
    settings.DEBUG = True  # a developer's machine: no key needed
    settings.AUDIT_SIGNING_KEY = ""
    make_history(site, article, moderator, n=2)
    assert not AuditCheckpoint.objects.exists()
    with pytest.raises(CommandError, match="No audit signing key is configured"):
        call_command("audit_checkpoint", stdout=StringIO())


def test_a_bad_line_in_a_kept_file_is_named(tmp_path, db):
    kept = tmp_path / "kept.jsonl"
    kept.write_text('{"event_id": 1}\n')
    with pytest.raises(CommandError, match=r"kept\.jsonl, line 1: not a checkpoint"):
        verify_audit("--checkpoints", str(kept))


# The raw-SQL gaps, closed


def test_checkpoints_cannot_be_changed_or_deleted(every, site, article, moderator):
    every(1)
    make_history(site, article, moderator, n=1)
    checkpoint = AuditCheckpoint.objects.get()
    for sql in (
        f"UPDATE {AuditCheckpoint._meta.db_table} SET head_hash = 'x' WHERE id = %s",
        f"DELETE FROM {AuditCheckpoint._meta.db_table} WHERE id = %s",
    ):
        with pytest.raises(DatabaseError):
            raw(sql, [checkpoint.pk])


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.parametrize("table", [TABLE, AuditCheckpoint._meta.db_table])
@pytest.mark.django_db(transaction=True)  # committed rows: PostgreSQL truncates no others
def test_postgresql_refuses_truncate(table, site, article, moderator, every):
    every(1)
    make_history(site, article, moderator, n=2)
    with pytest.raises(DatabaseError, match="TRUNCATE refused"):
        raw(f"TRUNCATE {table} CASCADE")


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_refuses_insert_or_replace_over_an_event(site, article, moderator):
    history = make_history(site, article, moderator, n=2)
    event = history[0]
    columns = "id, created_at, actor_name, action, target_type, target_id, note, request_id, "
    columns += "prev_hash, hash"
    values = "%s, %s, '', %s, '', '', 'x', '', %s, %s"
    for verb in ("INSERT OR REPLACE", "REPLACE"):
        with pytest.raises(DatabaseError, match="append-only"):
            raw(
                f"{verb} INTO {TABLE} ({columns}) VALUES ({values})",
                [event.pk, event.created_at, event.action, event.prev_hash, "f" * 64],
            )
    assert AuditEvent.objects.get(pk=event.pk).note == event.note


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_refuses_an_upsert_over_an_event(site, article, moderator):
    event = make_history(site, article, moderator, n=1)[0]
    with pytest.raises(DatabaseError, match="UPDATE refused"):
        raw(
            f"INSERT INTO {TABLE} (id, created_at, actor_name, action, target_type, "
            "target_id, note, request_id, prev_hash, hash) "
            "VALUES (%s, now(), '', 'x', '', '', 'x', '', '', %s) "
            "ON CONFLICT (id) DO UPDATE SET note = 'x'",
            [event.pk, "f" * 64],
        )


def replace_statement(event):
    """The event written again over its own id, as REPLACE (SQLite) or an upsert (PostgreSQL)
    does it: every column given."""
    columns = [f.column for f in AuditEvent._meta.concrete_fields]
    values = []
    for field in AuditEvent._meta.concrete_fields:
        value = getattr(event, field.attname)
        values.append(
            json.dumps(value) if field.name in ("before", "after") and value is not None else value
        )
    marks = ", ".join(["%s"] * len(columns))
    if connection.vendor == "sqlite":
        return f"REPLACE INTO {TABLE} ({', '.join(columns)}) VALUES ({marks})", values
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != "id")
    return (
        f"INSERT INTO {TABLE} ({', '.join(columns)}) VALUES ({marks}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}",
        values,
    )


def test_a_replaced_event_is_named_by_verify_audit(every, site, article, moderator):
    """REPLACE (SQLite) or an upsert (PostgreSQL) behind the triggers: the event is swapped
    for one with a consistent hash of its own, and the next one re-linked; its signed
    checkpoint no longer matches."""
    every(1)
    history = make_history(site, article, moderator, n=4)
    replaced, after = history[-3], history[-2]
    replaced.note = "replaced"
    replaced.hash = audit.compute_hash(replaced)
    after.prev_hash = replaced.hash
    after.hash = audit.compute_hash(after)
    behind_the_triggers(replace_statement(replaced), replace_statement(after))
    assert AuditEvent.objects.get(pk=replaced.pk).note == "replaced"
    message = refused()
    assert f"broken at event #{replaced.pk}: its signature does not verify" in message


def test_the_audit_page_shows_the_last_signed_checkpoint(every, site, article, moderator):
    every(0)
    page = Client()
    page.force_login(moderator)
    assert "No signed checkpoint yet" in page.get("/audit/").content.decode()
    make_history(site, article, moderator, n=2)
    call_command("audit_checkpoint", stdout=StringIO())
    signed = AuditCheckpoint.objects.get()
    html = " ".join(page.get("/audit/").content.decode().split())
    assert f"Last signed checkpoint: the head at event #{signed.event_id}, after" in html
    assert f"with key <code>{signed.key_id}</code>" in html


def test_a_checkpoint_written_behind_the_triggers_is_never_shown_or_exported(
    every, site, article, moderator
):
    every(2)
    make_history(site, article, moderator, n=4)
    genuine = AuditCheckpoint.objects.order_by("-appended").first()
    raw(
        f"INSERT INTO {AuditCheckpoint._meta.db_table} "
        "(event_id, appended, head_hash, created_at, key_id, signature) "
        "VALUES (999999, 999999, %s, %s, 'forged', 'AAAA')",
        ["f" * 64, genuine.created_at],
    )
    assert checkpoints.latest() == genuine
    page = Client()
    page.force_login(moderator)
    html = page.get("/audit/").content.decode()
    assert "#999999" not in html
    assert f"event #{genuine.event_id}" in html


def test_a_failed_copy_outside_does_not_undo_the_action(
    every, site, article, moderator, settings, tmp_path, django_capture_on_commit_callbacks
):
    every(1)
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path)  # a folder: appending to it fails
    with django_capture_on_commit_callbacks(execute=True):
        history = make_history(site, article, moderator, n=1)
    assert AuditCheckpoint.objects.filter(event_id=history[-1].pk).exists()
    assert AuditEvent.objects.filter(pk=history[-1].pk).exists()


def test_a_server_without_a_key_records_nothing_unsigned(settings, site, article, moderator):
    settings.DEBUG = False
    settings.AUDIT_SIGNING_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="No audit signing key"):
        make_history(site, article, moderator, n=1)


def test_verify_audit_warns_when_a_long_history_has_no_checkpoint(every, site, article, moderator):
    every(2)
    make_history(site, article, moderator, n=3)
    behind_the_triggers((f"DELETE FROM {AuditCheckpoint._meta.db_table}", []))
    err = StringIO()
    call_command("verify_audit", stdout=StringIO(), stderr=err)
    assert "no signed checkpoint" in err.getvalue()


def test_a_replaced_key_verifies_the_checkpoints_it_signed(
    every, site, article, moderator, settings
):
    """Replacing the signing key: the old public key, kept in AUDIT_VERIFY_KEY, still
    verifies what it signed; without it, the first checkpoint it signed is named."""
    every(2)
    old_public = checkpoints.public_text(checkpoints.verification_key())
    make_history(site, article, moderator, n=2)
    first_old = AuditCheckpoint.objects.order_by("appended").first()
    settings.AUDIT_SIGNING_KEY = OTHER_KEY
    make_history(site, article, moderator, n=2)
    assert AuditCheckpoint.objects.values("key_id").distinct().count() == 2
    message = refused()
    assert f"broken at event #{first_old.event_id}" in message
    assert "is not one given" in message
    settings.AUDIT_VERIFY_KEY = old_public
    assert "checkpoint(s) verified with key" in verify_audit()


def test_an_event_forged_at_the_head_is_named_though_a_checkpoint_signed_it(
    every, site, article, moderator
):
    """The attack review's forgery: a raw INSERT chained onto the head, the counter raised,
    then real appends (whose checkpoint signs it). It has no signature that holds."""
    every(2)
    history = make_history(site, article, moderator, n=2)
    head = history[-1]
    forged = AuditEvent(
        created_at=head.created_at,
        actor_name="ada",
        action="user.roles",
        target_type="user",
        target_id="1",
        before={"roles": ["Researcher"]},
        after={"roles": ["Admin"]},
        note="",
        request_id="",
        prev_hash=head.hash,
    )
    forged.hash = audit.compute_hash(forged)
    behind_the_triggers(
        (
            f"INSERT INTO {TABLE} (created_at, actor_name, action, target_type, target_id, "
            "before, after, note, request_id, prev_hash, hash) "
            "VALUES (%s, 'ada', 'user.roles', 'user', '1', %s, %s, '', '', %s, %s)",
            [
                head.created_at,
                json.dumps(forged.before),
                json.dumps(forged.after),
                forged.prev_hash,
                forged.hash,
            ],
        ),
        ("UPDATE moderation_audithead SET appended = appended + 1", []),
    )
    make_history(site, article, moderator, n=2)
    forged_id = AuditEvent.objects.get(hash=forged.hash).pk
    message = refused()
    assert f"broken at event #{forged_id}: it carries no signature" in message
