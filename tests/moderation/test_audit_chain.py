"""The audit log cannot be rewritten: the ORM refuses, the database refuses, and a row
changed behind both (triggers dropped) is found by `verify_audit`."""

import itertools
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from moderation import audit, services
from moderation.models import AuditEvent, AuditImmutable, Status
from tests import factories

pytestmark = pytest.mark.django_db
TABLE = AuditEvent._meta.db_table


@pytest.fixture
def history(site, comment, moderator):
    """A few real events: site creation, tags, a decision, a block."""
    attack = factories.category(site, "personal-attack")
    services.tag(moderator, comment, attack, span=(11, 16))
    services.decide(moderator, comment, Status.REMOVED, expected_version=0, reasons=[attack])
    services.block(moderator, comment.commenter, reason="Personal attacks")
    return list(AuditEvent.objects.order_by("id"))


def verify_audit():
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_each_event_chains_onto_the_one_before(history):
    assert len(history) == 4
    assert history[0].prev_hash == audit.GENESIS
    for previous, event in itertools.pairwise(history):
        assert event.prev_hash == previous.hash
    assert len({e.hash for e in history}) == 4


def test_verify_audit_passes_on_an_intact_chain(history):
    output = verify_audit()
    assert "audit chain holds: 4 event(s)" in output
    assert history[-1].hash in output


def test_the_orm_refuses_to_change_an_event(history):
    event = history[1]
    event.note = "nothing happened"
    with pytest.raises(AuditImmutable, match="append-only"):
        event.save()
    with pytest.raises(AuditImmutable):
        event.delete()
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(note="x")
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.all().delete()


@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {TABLE} SET note = 'rewritten' WHERE id = %s",
        f"DELETE FROM {TABLE} WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_raw_sql_cannot_update_or_delete_an_event(history, sql):
    target = history[1]
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [target.pk])
    target.refresh_from_db()
    assert target.note == history[1].note
    assert AuditEvent.objects.count() == 4


def test_an_event_altered_behind_the_triggers_is_named_by_verify_audit(history):
    tampered = history[2]
    audit.remove_guard()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET after = %s WHERE id = %s",
            ['{"status": "approved", "version": 1, "reasons": []}', tampered.pk],
        )
    audit.install_guard()
    with pytest.raises(CommandError) as caught:
        verify_audit()
    message = str(caught.value)
    assert f"audit chain broken at event #{tampered.pk}" in message
    assert "altered" in message
    assert "2 event(s) were checked before this was found" in message


def test_an_event_deleted_behind_the_triggers_breaks_the_chain_at_the_next(history):
    audit.remove_guard()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [history[1].pk])
    audit.install_guard()
    with pytest.raises(CommandError, match=f"broken at event #{history[2].pk}: its prev_hash"):
        verify_audit()


def test_a_rehashed_forgery_is_caught_by_its_signature_and_by_the_next_event(history):
    """Rewriting an event and recomputing its own hash is not enough: its signature no
    longer holds, and (signatures unchecked) the next event's prev_hash still names the
    original."""
    forged = history[1]
    forged.note = "forged"
    new_hash = audit.compute_hash(forged)
    audit.remove_guard()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET note = %s, hash = %s WHERE id = %s",
            ["forged", new_hash, forged.pk],
        )
    audit.install_guard()
    with pytest.raises(CommandError, match=f"broken at event #{forged.pk}: its signature"):
        verify_audit()
    assert audit.verify(keys={})[1].event_id == history[2].pk


def test_events_carry_the_request_id_and_client_address(comment, moderator):
    context = audit.Context(request_id="req-42", client_address="203.0.113.9")
    services.decide(moderator, comment, Status.APPROVED, expected_version=0, context=context)
    event = AuditEvent.objects.latest("id")
    assert (event.request_id, event.client_address) == ("req-42", "203.0.113.9")
    assert event.actor == moderator


@pytest.mark.parametrize("address", ["::FFFF:10.0.0.1", "2001:DB8::1", "fe80::1%eth0", "10.0.0.1"])
def test_the_chain_holds_whatever_form_the_client_address_takes(comment, moderator, address):
    context = audit.Context(request_id="r", client_address=address)
    services.decide(moderator, comment, Status.ESCALATED, expected_version=0, context=context)
    assert "audit chain holds" in verify_audit()
