"""moderation.services: the rules of tagging, deciding and blocking, and that every change
is audited exactly once, in its own transaction."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from archive.models import Comment
from moderation import services
from moderation.models import (
    AuditEvent,
    Category,
    CommenterBlock,
    Decision,
    Policy,
    Status,
    Tag,
)
from tests import factories

pytestmark = pytest.mark.django_db


def attack(site):
    return factories.category(site, "personal-attack")


def profanity(site):
    return factories.category(site, "profanity")


# Policy and categories


def test_a_new_site_gets_its_posted_policy_and_the_three_categories(site):
    policy = Policy.objects.get(site=site)
    assert policy.version == 1
    assert policy.text == "No profanity, no personal attacks."
    assert [c["name"] for c in policy.categories] == [
        "Profanity",
        "Personal attack",
        "Other inappropriate material",
    ]
    assert list(Category.objects.filter(site=site).values_list("order", flat=True)) == [1, 2, 3]
    assert all(c.definition for c in Category.objects.filter(site=site))


def test_editing_the_policy_makes_a_new_version_and_keeps_the_old(site, admin):
    services.edit_policy(admin, site, text="Be civil.", expected_version=1, note="shorter")
    assert list(site.policies.values_list("version", "text")) == [
        (2, "Be civil."),
        (1, "No profanity, no personal attacks."),
    ]


def test_a_stale_policy_edit_is_refused(site, admin):
    root = factories.make_admin("root")  # a second Admin
    services.edit_policy(admin, site, text="Be civil.", expected_version=1)
    with pytest.raises(services.Conflict, match="it is now version 2 \\(by ada"):
        services.edit_policy(root, site, text="Be kind.", expected_version=1)


def test_a_moderator_cannot_edit_the_policy(site, moderator):
    with pytest.raises(services.NotAllowed):
        services.edit_policy(moderator, site, text="Anything goes.", expected_version=1)
    assert site.policies.count() == 1


def test_adding_a_category_makes_a_new_version_listing_it(site, admin):
    spam = services.add_category(admin, site, name="Spam", definition="Advertising.")
    assert spam.order == 4
    latest = site.policies.first()
    assert latest.version == 2
    assert [c["slug"] for c in latest.categories][-1] == "spam"


def test_a_category_name_can_only_be_used_once_per_site(site, admin):
    with pytest.raises(services.Conflict, match="already has a category 'Profanity'"):
        services.add_category(admin, site, name="Profanity", definition="Again.")


def test_tags_record_the_policy_version_they_were_made_under(site, comment, moderator, admin):
    first = services.tag(moderator, comment, attack(site))
    services.edit_policy(admin, site, text="Be civil.", expected_version=1)
    second = services.tag(moderator, comment, profanity(site))
    assert (first.policy.version, second.policy.version) == (1, 2)


# Tags


def test_moderator_tags_a_span_and_the_quote_is_stored(site, comment, moderator):
    tag = services.tag(moderator, comment, attack(site), span=(11, 16), note="insult")
    assert tag.quoted_text == "idiot"
    assert (tag.span_start, tag.span_end) == (11, 16)


@pytest.mark.parametrize("span", [(5, 5), (20, 10), (0, 999)])
def test_a_span_outside_the_text_is_refused(site, comment, moderator, span):
    with pytest.raises(services.Invalid, match="not inside the comment's text"):
        services.tag(moderator, comment, attack(site), span=span)
    assert not Tag.objects.exists()


def test_a_selection_that_no_longer_matches_the_text_is_refused(site, comment, moderator):
    with pytest.raises(services.Invalid, match="no longer matches"):
        services.tag(moderator, comment, attack(site), span=(11, 16), quoted_text="liar.")


def test_a_category_of_another_site_is_refused(comment, moderator):
    other = factories.make_site("Other News")
    with pytest.raises(services.Invalid, match="is not a category of Asbarez"):
        services.tag(moderator, comment, attack(other))


def test_two_moderators_tag_the_same_comment_independently(
    site, comment, moderator, other_moderator
):
    services.tag(moderator, comment, attack(site))
    services.tag(other_moderator, comment, attack(site))
    assert Tag.objects.current().filter(comment=comment).count() == 2


def test_the_same_tag_twice_by_one_moderator_is_refused(site, comment, moderator):
    services.tag(moderator, comment, attack(site))
    with pytest.raises(services.Conflict, match="already tagged this comment as Personal attack"):
        services.tag(moderator, comment, attack(site))


def test_a_retracted_tag_is_kept_and_marked(site, comment, moderator):
    tag = services.tag(moderator, comment, attack(site))
    services.retract(moderator, tag, note="misread")
    tag.refresh_from_db()
    assert tag.retracted_by == moderator
    assert tag.retracted_at is not None
    assert not Tag.objects.current().exists()
    assert Tag.objects.count() == 1


def test_only_the_author_of_a_tag_retracts_it(site, comment, moderator, other_moderator):
    tag = services.tag(moderator, comment, attack(site))
    with pytest.raises(services.NotAllowed, match="Only the moderator who made a tag"):
        services.retract(other_moderator, tag)


def test_a_researcher_cannot_tag(site, comment, researcher):
    with pytest.raises(services.NotAllowed):
        services.tag(researcher, comment, attack(site))


def test_a_retired_category_cannot_be_applied(site, comment, moderator, admin):
    category = attack(site)
    services.edit_category(admin, category, name=category.name, definition="x", active=False)
    with pytest.raises(services.Invalid, match="retired"):
        services.tag(moderator, comment, attack(site))


# Decisions


def test_removal_without_a_category_is_refused_with_a_clear_error(comment, moderator):
    with pytest.raises(
        services.Invalid, match="Removing a comment needs at least one category as the reason"
    ):
        services.decide(moderator, comment, Status.REMOVED, expected_version=0)
    # Every comment has its state from the start: it is untouched.
    assert services.state_of(comment) == (Status.PENDING, 0)
    assert not Decision.objects.exists()


def test_moderator_removes_a_comment_for_personal_attack(site, comment, moderator):
    decision = services.decide(
        moderator, comment, Status.REMOVED, expected_version=0, reasons=[attack(site)]
    )
    assert decision.previous_status == Status.PENDING
    assert list(decision.reasons.values_list("slug", flat=True)) == ["personal-attack"]
    assert services.state_of(comment) == (Status.REMOVED, 1)


def test_approving_a_tagged_comment_needs_a_note(site, comment, moderator):
    services.tag(moderator, comment, profanity(site))
    with pytest.raises(services.Invalid, match="carries tags: approving it needs a note"):
        services.decide(moderator, comment, Status.APPROVED, expected_version=0)
    services.decide(moderator, comment, Status.APPROVED, expected_version=0, note="Quoting, fine.")
    assert services.state_of(comment) == (Status.APPROVED, 1)


def test_approving_an_untagged_comment_needs_no_note(comment, moderator):
    services.decide(moderator, comment, Status.APPROVED, expected_version=0)
    assert services.state_of(comment)[0] == Status.APPROVED


def test_a_stale_version_is_refused_saying_what_changed_and_by_whom(
    site, comment, moderator, other_moderator
):
    services.decide(other_moderator, comment, Status.ESCALATED, expected_version=0)
    with pytest.raises(services.Conflict) as caught:
        services.decide(
            moderator, comment, Status.REMOVED, expected_version=0, reasons=[attack(site)]
        )
    message = str(caught.value)
    assert "bob" in message
    assert "escalated" in message
    assert "you saw version 0" in message
    assert services.state_of(comment) == (Status.ESCALATED, 1)
    assert Decision.objects.count() == 1


def test_deciding_the_status_it_already_has_is_refused(comment, moderator):
    services.decide(moderator, comment, Status.ESCALATED, expected_version=0)
    with pytest.raises(services.Invalid, match="already escalated"):
        services.decide(moderator, comment, Status.ESCALATED, expected_version=1)


def test_reasons_belong_only_to_a_removal(site, comment, moderator):
    with pytest.raises(services.Invalid, match="Only a removal takes categories"):
        services.decide(
            moderator, comment, Status.APPROVED, expected_version=0, reasons=[attack(site)]
        )


def test_an_unknown_status_is_refused(comment, moderator):
    with pytest.raises(services.Invalid, match="'deleted' is not a status"):
        services.decide(moderator, comment, "deleted", expected_version=0)


def test_a_researcher_cannot_decide(comment, researcher):
    with pytest.raises(services.NotAllowed):
        services.decide(researcher, comment, Status.APPROVED, expected_version=0)


def test_an_inactive_moderator_cannot_act(comment, moderator):
    moderator.is_active = False
    moderator.save()
    with pytest.raises(services.NotAllowed):
        services.decide(moderator, comment, Status.APPROVED, expected_version=0)


# Blocks and notes


def test_blocking_with_an_expiry_and_unblocking(comment, moderator):
    commenter = comment.commenter
    until = timezone.now() + timedelta(days=7)
    block = services.block(
        moderator, commenter, reason="Repeated personal attacks", expires_at=until
    )
    assert CommenterBlock.objects.in_force().get() == block
    services.unblock(moderator, block, note="Appeal accepted")
    block.refresh_from_db()
    assert block.lifted_by == moderator
    assert not CommenterBlock.objects.in_force().exists()


def test_blocking_twice_is_refused(comment, moderator):
    services.block(moderator, comment.commenter, reason="Attacks")
    with pytest.raises(services.Conflict, match="Vartan is already blocked with no expiry"):
        services.block(moderator, comment.commenter, reason="Again")


def test_a_block_needs_a_reason_and_a_future_expiry(comment, moderator):
    with pytest.raises(services.Invalid, match="needs a reason"):
        services.block(moderator, comment.commenter, reason="  ")
    with pytest.raises(services.Invalid, match="must be in the future"):
        services.block(
            moderator, comment.commenter, reason="x", expires_at=timezone.now() - timedelta(hours=1)
        )


def test_unblocking_a_lifted_block_is_refused(comment, moderator):
    block = services.block(moderator, comment.commenter, reason="Attacks")
    services.unblock(moderator, block)
    with pytest.raises(services.Conflict, match="no longer in force"):
        services.unblock(moderator, block)


def test_a_note_on_a_commenter_is_kept(comment, moderator):
    note = services.add_commenter_note(
        moderator, comment.commenter, text="Writes as 'Vartan_A' too"
    )
    assert comment.commenter.notes.get() == note


# Undo


def test_undoing_a_tag_retracts_it(site, comment, moderator):
    services.tag(moderator, comment, attack(site))
    event = AuditEvent.objects.latest("id")
    undo_event = services.undo(moderator, event)
    assert undo_event.action == "tag.retract"
    assert undo_event.after["undoes"] == event.pk
    assert not Tag.objects.current().exists()


def test_undoing_a_removal_puts_the_comment_back(site, comment, moderator):
    services.decide(moderator, comment, Status.REMOVED, expected_version=0, reasons=[attack(site)])
    services.undo(moderator, AuditEvent.objects.latest("id"))
    assert services.state_of(comment) == (Status.PENDING, 2)


def test_an_action_is_undone_only_once(comment, moderator):
    services.decide(moderator, comment, Status.ESCALATED, expected_version=0)
    event = AuditEvent.objects.latest("id")
    services.undo(moderator, event)
    with pytest.raises(services.Conflict, match="already undone"):
        services.undo(moderator, event)


def test_one_cannot_undo_someone_elses_action(comment, moderator, other_moderator):
    services.decide(other_moderator, comment, Status.ESCALATED, expected_version=0)
    with pytest.raises(services.NotAllowed, match="your own actions"):
        services.undo(moderator, AuditEvent.objects.latest("id"))


def test_undo_after_someone_else_decided_is_a_conflict(site, comment, moderator, other_moderator):
    services.decide(moderator, comment, Status.ESCALATED, expected_version=0)
    event = AuditEvent.objects.latest("id")
    services.decide(
        other_moderator, comment, Status.REMOVED, expected_version=1, reasons=[attack(site)]
    )
    with pytest.raises(services.Conflict, match="bob"):
        services.undo(moderator, event)


# Every service call writes exactly one audit event, with its actor and targets.


def _prepare(site, comment, moderator, admin, call):
    """Set up what the call needs (through services too), and return the call itself."""
    commenter = comment.commenter
    if call == "retract":
        tag = services.tag(moderator, comment, attack(site))
        return lambda: services.retract(moderator, tag)
    if call == "unblock":
        block = services.block(moderator, commenter, reason="r")
        return lambda: services.unblock(moderator, block)
    return {
        "tag": lambda: services.tag(moderator, comment, attack(site), note="n"),
        "decide": lambda: services.decide(moderator, comment, Status.ESCALATED, expected_version=0),
        "block": lambda: services.block(moderator, commenter, reason="r"),
        "note": lambda: services.add_commenter_note(moderator, commenter, text="t"),
        "edit_policy": lambda: services.edit_policy(admin, site, text="New", expected_version=1),
        "add_category": lambda: services.add_category(admin, site, name="Spam", definition="Ads"),
        "edit_category": lambda: services.edit_category(
            admin, attack(site), name="Attack", definition="d", active=True
        ),
    }[call]


EXPECTED_ACTIONS = {
    "tag": "tag.add",
    "retract": "tag.retract",
    "decide": "comment.escalated",
    "block": "commenter.block",
    "unblock": "commenter.unblock",
    "note": "commenter.note",
    "edit_policy": "policy.edit",
    "add_category": "category.add",
    "edit_category": "category.edit",
}


@pytest.mark.parametrize("call", list(EXPECTED_ACTIONS))
def test_every_service_call_writes_exactly_one_audit_event(site, comment, moderator, admin, call):
    action = _prepare(site, comment, moderator, admin, call)
    before = AuditEvent.objects.count()
    action()
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == EXPECTED_ACTIONS[call]
    assert event.site_id == site.pk
    assert event.actor_name in {"mona", "ada"}


def test_the_audit_event_names_the_comment_and_the_change(site, comment, moderator):
    services.decide(moderator, comment, Status.REMOVED, expected_version=0, reasons=[attack(site)])
    event = AuditEvent.objects.latest("id")
    assert (event.comment, event.article, event.commenter) == (
        comment,
        comment.article,
        comment.commenter,
    )
    assert event.before == {"status": "pending", "version": 0}
    assert event.after == {"status": "removed", "version": 1, "reasons": ["personal-attack"]}


def test_a_refused_call_writes_no_event(site, comment, moderator):
    before = AuditEvent.objects.count()
    with pytest.raises(services.Invalid):
        services.decide(moderator, comment, Status.REMOVED, expected_version=0)
    assert AuditEvent.objects.count() == before


def _reject_audit_inserts():
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TEMP TRIGGER reject_audit BEFORE INSERT ON main.{table} "
                "BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION reject_audit() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'audit unavailable'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER reject_audit BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION reject_audit()"
            )


def test_when_the_audit_event_cannot_be_written_the_change_is_not_either(site, comment, moderator):
    _reject_audit_inserts()
    with pytest.raises(DatabaseError, match="audit unavailable"), transaction.atomic():
        services.decide(
            moderator, comment, Status.REMOVED, expected_version=0, reasons=[attack(site)]
        )
    assert not Decision.objects.exists()
    assert services.state_of(comment) == (Status.PENDING, 0)
    with pytest.raises(DatabaseError), transaction.atomic():
        services.tag(moderator, comment, attack(site))
    assert not Tag.objects.exists()


def test_an_import_is_one_audit_event_per_file(db):
    from io import StringIO

    from django.core.management import call_command

    from tests.conftest import PAGES

    call_command(
        "import_pages",
        str(PAGES / "001_c063493f46c78712.txt"),
        str(PAGES / "004_b01ea09c9e7a5141.txt"),
        stdout=StringIO(),
    )
    imports = AuditEvent.objects.filter(action="import").order_by("id")
    assert [e.note for e in imports] == ["001_c063493f46c78712.txt", "004_b01ea09c9e7a5141.txt"]
    assert imports[0].after["comments_created"] == 12
    assert Comment.objects.count() == 14
