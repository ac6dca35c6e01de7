"""moderation.services.locks: every service locks rows in the one documented order, each lock
on its own table only, the audit head last and held for two statements; a lost lock race is
retried, and a request that keeps losing is answered 503 with Retry-After, never 500."""

import re
import threading
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.db.models import F
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive.models import Comment
from moderation import audit, services, urls
from moderation.models import AuditEvent, AuditHead, Status, Tag
from moderation.services import locks
from moderation.views import errors
from tests import factories

# The tables of the rows services lock, by their names in locks.ORDER.
LOCKED = {
    "archive_site": "site",
    "moderation_category": "category",
    "archive_commenter": "commenter",
    "moderation_commenterblock": "block",
    "archive_comment": "comment",
    "moderation_moderationstate": "moderation state",
    "moderation_tag": "tag",
    "auth_user": "user",
}
HEAD = 'UPDATE "moderation_audithead"'
RECORD = 'UPDATE "moderation_commenterrecord"'  # a counter kept in place: a row lock too
QUEUE = 'UPDATE "moderation_articlequeue"'  # an article's queue counts: the same
ROLLUP = 'INSERT INTO "moderation_insight'  # an insight roll-up's upsert: the same
LOCK = re.compile(r' FOR (NO KEY )?UPDATE( OF "\w+")?$')


@pytest.fixture
def world(site, comment, moderator, admin, researcher):
    """A comment tagged and escalated by mona, a second comment nobody decided, a blocked
    commenter: what every service needs to run once."""
    comment = Comment.objects.select_related("article__site").get(pk=comment.pk)
    other = factories.make_comment(comment.article, "Another comment.", author="Lusine")
    other = Comment.objects.select_related("article__site").get(pk=other.pk)
    blocked = factories.make_commenter(site, "Troll")
    tag = services.tag(moderator, comment, factories.category(site, "other-inappropriate"))
    decision = services.decide(moderator, comment, Status.ESCALATED, expected_version=0)
    return SimpleNamespace(
        site=site,
        comment=comment,
        other=other,
        moderator=moderator,
        admin=admin,
        researcher=researcher,
        tag=tag,
        decision=decision,
        block=services.block(moderator, blocked, reason="Spam."),
        profanity=factories.category(site, "profanity"),
    )


SERVICES = {
    "tag": lambda w: services.tag(w.moderator, w.comment, w.profanity),
    "tag a passage": lambda w: services.tag(w.moderator, w.comment, w.profanity, span=(11, 16)),
    "retract": lambda w: services.retract(w.moderator, w.tag),
    "decide, first time": lambda w: services.decide(
        w.moderator, w.other, Status.APPROVED, expected_version=0
    ),
    "decide": lambda w: services.decide(
        w.moderator, w.comment, Status.APPROVED, expected_version=1, note="Fine."
    ),
    "undo a tag": lambda w: services.undo(w.moderator, w.tag.audit_event),
    "undo a decision": lambda w: services.undo(w.moderator, w.decision.audit_event),
    "block": lambda w: services.block(w.moderator, w.comment.commenter, reason="Insults."),
    "unblock": lambda w: services.unblock(w.moderator, w.block),
    "note on a commenter": lambda w: services.add_commenter_note(
        w.moderator, w.comment.commenter, text="Warned."
    ),
    "edit the policy": lambda w: services.edit_policy(
        w.admin, w.site, text="Be civil.", expected_version=1
    ),
    "add a category": lambda w: services.add_category(
        w.admin, w.site, name="Spam", definition="Advertising."
    ),
    "edit a category": lambda w: services.edit_category(
        w.admin, w.profanity, name="Swearing", definition="Swear words.", active=True
    ),
    "a new site's policy": lambda w: factories.make_site("Another site"),
    "create a user": lambda w: services.create_user(
        w.admin, username="newbie", email="newbie@example.org", roles=["Moderator"]
    ),
    "set roles": lambda w: services.set_roles(w.admin, w.researcher, ["Moderator"]),
    "deactivate": lambda w: services.set_active(w.admin, w.researcher, False),
    "password link": lambda w: services.record_password_link(
        w.admin, factories.make_user("lin", email="lin@example.org")
    ),
    "export": lambda w: services.record_export(
        w.admin, what="comments", filters={}, rows={"comments": 3}
    ),
}

# Services whose only lock is the audit head.
NO_ROW_LOCKS = {"note on a commenter", "create a user", "set roles", "password link", "export"}


def sql_of(captured) -> list[str]:
    """The statements a service ran, without the savepoints of its (nested) transaction."""
    return [
        q["sql"]
        for q in captured
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))
    ]


def locked_rows(statements: list[str]) -> list[str]:
    """What each locking statement locks, by its name in locks.ORDER."""
    names = []
    for sql in statements:
        if sql.startswith(HEAD):
            names.append("audit head")
        elif sql.startswith(RECORD):
            names.append("commenter record")
        elif sql.startswith(QUEUE):
            names.append("article queue")
        elif sql.startswith(ROLLUP):
            names.append("insight roll-ups")
        elif LOCK.search(sql):
            table = sql.split(' FROM "')[1].split('"')[0]
            names.append(LOCKED[table])
    return names


@pytest.mark.django_db
@pytest.mark.parametrize("name", SERVICES)
def test_each_service_locks_in_the_one_order_and_the_audit_head_last(world, name):
    with CaptureQueriesContext(connection) as captured:
        SERVICES[name](world)
    statements = sql_of(captured)

    order = [locks.ORDER.index(n) for n in locked_rows(statements)]
    assert order == sorted(order), locked_rows(statements)
    assert locked_rows(statements)[-1] == "audit head"
    # The head is held for the shortest time: after it, only the previous event's hash is
    # read and the new event written (then the transaction commits).
    after_head = statements[[s.startswith(HEAD) for s in statements].index(True) + 1 :]
    assert [s.split()[0] for s in after_head] == ["SELECT", "INSERT"], after_head
    assert 'FROM "moderation_auditevent"' in after_head[0]
    assert after_head[1].startswith('INSERT INTO "moderation_auditevent"')


@pytest.mark.django_db
def test_an_import_locks_in_the_one_order_and_the_audit_head_last(tmp_path, moderator):
    """A re-import that moves a removed comment to its renamed author and adds a comment:
    its queue counts in its chunk, then (kept for its end) the insights' roll-ups and the
    commenters' records, then the audit head."""
    from pathlib import Path

    from django.core.management import call_command

    example = (Path(__file__).resolve().parents[2] / "fixtures/wxr/example.xml").read_text()
    export = tmp_path / "export.xml"
    export.write_text(example)
    call_command("import_wxr", export, verbosity=0)
    ann = Comment.objects.select_related("article__site").get(commenter__name="Ann")
    reason = factories.category(ann.article.site, "personal-attack")
    services.decide(moderator, ann, Status.REMOVED, expected_version=0, reasons=[reason])
    export.write_text(example.replace("<![CDATA[Ann]]>", "<![CDATA[Ann Marie]]>"))
    with CaptureQueriesContext(connection) as captured:
        call_command("import_wxr", export, verbosity=0)
    names = locked_rows(sql_of(captured))
    assert {"insight roll-ups", "commenter record"} <= set(names), names
    order = [locks.ORDER.index(n) for n in names]
    assert order == sorted(order), names
    assert names[-1] == "audit head"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks")
@pytest.mark.parametrize("name", SERVICES)
def test_each_lock_is_of_one_row_of_its_own_table_without_a_join(world, name):
    with CaptureQueriesContext(connection) as captured:
        SERVICES[name](world)
    lock_statements = [s for s in sql_of(captured) if LOCK.search(s)]
    assert lock_statements or name in NO_ROW_LOCKS

    for sql in lock_statements:
        table = sql.split(' FROM "')[1].split('"')[0]
        assert " JOIN " not in sql, sql
        # NO KEY UPDATE: inserting a row that refers to this one (a tag, an audit event) is
        # not blocked by it; OF: never a row of another table.
        assert sql.endswith(f'FOR NO KEY UPDATE OF "{table}"'), sql


# Lost lock races, retried or answered 503


@contextmanager
def audit_head_held():
    """Another connection holds the audit head, as a long transaction would; yields an event
    that lets it go. Every service's append waits for it (PostgreSQL: until the lock
    timeout) or cannot begin its transaction at all (SQLite: one writer at a time)."""
    held, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                AuditHead.objects.filter(pk=1).update(appended=F("appended"))
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    # On PostgreSQL this connection gives up waiting for a lock after 0.1 s, not 5 s.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET lock_timeout = '100ms'")
    try:
        yield release
    finally:
        release.set()
        holder.join(10)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")


@pytest.fixture
def pauses(monkeypatch):
    """The retries' pauses, recorded (and let through without sleeping); `on_pause` runs
    during each, as another transaction would between two attempts."""
    record = SimpleNamespace(attempts=[], on_pause=lambda attempt: None)

    def pause(attempt):
        record.attempts.append(attempt)
        record.on_pause(attempt)

    monkeypatch.setattr(locks, "pause", pause)
    return record


@pytest.mark.django_db(transaction=True)
def test_a_service_that_lost_a_lock_race_runs_again_and_is_done_once(world, pauses):
    before = AuditEvent.objects.count()
    with audit_head_held() as release:

        def let_go(attempt):
            release.set()
            threading.Event().wait(0.2)  # the holder commits

        pauses.on_pause = let_go
        tag = services.tag(world.moderator, world.comment, world.profanity)

    assert pauses.attempts == [1]
    assert AuditEvent.objects.count() == before + 1
    assert tag.audit_event.pk == AuditEvent.objects.latest("id").pk
    assert audit.verify()[1] is None


@pytest.mark.django_db(transaction=True)
def test_a_service_that_keeps_losing_gives_up_after_its_last_attempt(world, pauses):
    before = AuditEvent.objects.count()
    with audit_head_held(), pytest.raises(OperationalError) as raised:
        services.tag(world.moderator, world.comment, world.profanity)

    assert locks.is_contention(raised.value)
    assert pauses.attempts == list(range(1, locks.ATTEMPTS))
    assert AuditEvent.objects.count() == before
    assert not Tag.objects.filter(category=world.profanity).exists()


@pytest.mark.django_db(transaction=True)
def test_a_service_inside_an_outer_transaction_is_not_retried(world, pauses):
    # The outer transaction's own locks would be held across the retry: it must start over.
    with audit_head_held(), pytest.raises(OperationalError), transaction.atomic():
        services.tag(world.moderator, world.comment, world.profanity)
    assert pauses.attempts == []


@pytest.mark.django_db(transaction=True)
def test_a_contended_action_answers_503_with_retry_after_as_json(world, client_for, pauses):
    client = client_for(world.moderator)
    with audit_head_held():
        response = client.post(
            reverse("moderation:tag", args=[world.comment.pk]),
            {"category": world.profanity.pk, "next": "/queue/"},
            headers={"accept": "application/json"},
        )

    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json()["kind"] == "busy"
    assert "try again" in response.json()["error"]
    assert not Tag.objects.filter(category=world.profanity).exists()


@pytest.mark.django_db(transaction=True)
def test_a_contended_form_post_answers_a_503_page(world, client_for, pauses):
    client = client_for(world.moderator)
    with audit_head_held():
        response = client.post(
            reverse("moderation:decide", args=[world.other.pk]),
            {"action": "approve", "version": 0, "next": "/queue/"},
        )

    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert b"Busy: try again in a moment" in response.content
    assert services.state_of(world.other) == (Status.PENDING, 0)


def test_the_server_error_handler_is_ours():
    assert urls.handler500 == "moderation.views.errors.server_error"


@pytest.mark.django_db(transaction=True)
def test_the_server_error_handler_answers_a_lost_lock_race_with_503(world, pauses):
    # For what escapes outside a view (a new session saved by SessionMiddleware, say): Django
    # calls handler500 while handling the exception.
    request = RequestFactory().get("/queue/")
    with audit_head_held():
        try:
            services.tag(world.moderator, world.comment, world.profanity)
        except OperationalError:
            response = errors.server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"] == "2"


def test_the_server_error_handler_leaves_other_errors_a_500():
    request = RequestFactory().get("/queue/")
    try:
        raise OperationalError("no such table: moderation_tag")
    except OperationalError:
        response = errors.server_error(request)
    assert response.status_code == 500
    assert not locks.is_contention(OperationalError("no such table: moderation_tag"))
