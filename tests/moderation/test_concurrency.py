"""Moderators acting on the same comments at the same moment, on separate connections: two
at once on one comment, and a whole team (30) on six comments of one article."""

import random
import threading

import pytest
from django.db import connection, connections

from archive.models import Comment
from moderation import audit, services
from moderation.actions import DECISIONS, UNDOABLE, Action
from moderation.models import AuditEvent, Category, Decision, ModerationState, Status, Tag
from tests import factories

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite serialises all writers; the race needs PostgreSQL's row locks",
    ),
]


def run_together(*actions):
    """Start the actions at the same instant, each on its own connection; collect outcomes."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def worker(i, action):
        try:
            barrier.wait()
            outcomes[i] = action()
        except Exception as exc:  # the outcome under test may be an exception
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_the_later_of_two_simultaneous_decisions_gets_a_conflict_and_nothing_is_lost(
    site, comment, moderator, other_moderator
):
    attack = factories.category(site, "personal-attack")

    def remove():
        c = Comment.objects.select_related("article").get(pk=comment.pk)
        return services.decide(moderator, c, Status.REMOVED, expected_version=0, reasons=[attack])

    def approve():
        c = Comment.objects.select_related("article").get(pk=comment.pk)
        return services.decide(other_moderator, c, Status.APPROVED, expected_version=0)

    outcomes = run_together(remove, approve)

    decisions = [o for o in outcomes if isinstance(o, Decision)]
    conflicts = [o for o in outcomes if isinstance(o, services.Conflict)]
    assert len(decisions) == 1, outcomes
    assert len(conflicts) == 1, outcomes
    assert decisions[0].moderator.username in str(conflicts[0])
    assert services.state_of(comment) == (decisions[0].status, 1)
    assert audit.verify()[1] is None


def test_simultaneous_actions_never_fork_the_audit_chain(article):
    comments = [factories.make_comment(article, f"Comment {i}") for i in range(6)]
    moderators = [factories.make_moderator(f"mod{i}") for i in range(6)]

    def escalate(i):
        def action():
            c = Comment.objects.select_related("article").get(pk=comments[i].pk)
            return services.decide(moderators[i], c, Status.ESCALATED, expected_version=0)

        return action

    outcomes = run_together(*(escalate(i) for i in range(6)))

    assert all(isinstance(o, Decision) for o in outcomes), outcomes
    checked, broken = audit.verify()
    assert broken is None
    assert checked == 1 + 6  # the site's policy, then the six decisions


def test_simultaneous_category_edits_on_one_site_make_two_versions(site, admin):
    root = factories.make_admin("root")  # a second Admin
    profanity = factories.category(site, "profanity")
    attack = factories.category(site, "personal-attack")

    def edit(user, category, name):
        return lambda: services.edit_category(
            user, category, name=name, definition="Reworded.", active=True
        )

    outcomes = run_together(edit(admin, profanity, "Swearing"), edit(root, attack, "Insult"))

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted(site.policies.values_list("version", flat=True)) == [1, 2, 3]


def test_the_same_tag_sent_twice_at_once_is_stored_once(site, comment, moderator):
    attack = factories.category(site, "personal-attack")

    def tag():
        c = Comment.objects.select_related("article").get(pk=comment.pk)
        return services.tag(moderator, c, attack)

    outcomes = run_together(tag, tag)

    assert sum(isinstance(o, services.Conflict) for o in outcomes) == 1, outcomes
    assert comment.tags.count() == 1


# A whole team on a few comments

TEAM, COMMENTS, ROUNDS = 30, 6, 8


def _tag(user, comment, rng):
    category = rng.choice(list(Category.objects.filter(site=comment.article.site_id)))
    return services.tag(user, comment, category).audit_event


def _decide(user, comment, rng):
    status, version = services.state_of(comment)
    new = rng.choice([s for s in Status.values if s != status])
    reasons = list(Category.objects.filter(site=comment.article.site_id)[:1])
    return services.decide(
        user,
        comment,
        new,
        expected_version=version,
        reasons=reasons if new == Status.REMOVED else [],
        note="Checked against the policy.",
    ).audit_event


def _retract(user, comment, rng):
    mine = Tag.objects.current().filter(comment=comment, moderator=user).order_by("pk").first()
    return services.retract(user, mine).audit_event if mine else None


def _undo(user, comment, rng):
    last = AuditEvent.objects.filter(actor=user, action__in=UNDOABLE).order_by("-id").first()
    return services.undo(user, last) if last else None


WORK = {"tag": _tag, "decide": _decide, "retract": _retract, "undo": _undo}


def test_thirty_moderators_on_six_comments_all_get_an_answer_and_the_chain_holds(article):
    comments = [factories.make_comment(article, f"Comment {i}: you fool.") for i in range(6)]
    team = [factories.make_moderator(f"team{i:02}") for i in range(TEAM)]
    before = AuditEvent.objects.count()

    def moderator(i):
        def work():
            rng = random.Random(i)
            accepted, refused, unexpected = [], [], []
            for _ in range(ROUNDS):
                kind = rng.choice(list(WORK))
                comment = Comment.objects.select_related("article").get(pk=rng.choice(comments).pk)
                try:
                    event = WORK[kind](team[i], comment, rng)
                except services.ModerationError as error:  # a conflict is an answer
                    refused.append(error)
                except Exception as error:  # what the test is about: none may escape
                    unexpected.append(error)
                else:
                    if event is not None:
                        accepted.append((kind, event))
            return accepted, refused, unexpected

        return work

    outcomes = run_together(*(moderator(i) for i in range(TEAM)))

    assert not [o for o in outcomes if not isinstance(o, tuple)], outcomes
    accepted = [a for o in outcomes for a in o[0]]
    refused = [r for o in outcomes for r in o[1]]
    unexpected = [u for o in outcomes for u in o[2]]
    assert unexpected == []
    assert refused, "six comments shared by thirty moderators should have made conflicts"
    # Every accepted action has exactly one audit event, and nothing else wrote one.
    events = [event.pk for _, event in accepted]
    assert len(set(events)) == len(events)
    assert AuditEvent.objects.count() - before == len(events)
    expected = {
        "tag": {Action.TAG_ADD},
        "retract": {Action.TAG_RETRACT},
        "decide": set(DECISIONS),
        "undo": {Action.TAG_RETRACT, *DECISIONS},
    }
    stored = AuditEvent.objects.in_bulk(events)
    assert all(stored[event.pk].action in expected[kind] for kind, event in accepted)
    # The rows agree with the events: one tag per tag event, one decision per decision event.
    actions = [stored[pk].action for pk in events]
    assert Tag.objects.filter(comment__in=comments).count() == actions.count(Action.TAG_ADD)
    assert Tag.objects.exclude(retracted_at=None).count() == actions.count(Action.TAG_RETRACT)
    assert Decision.objects.count() == sum(a in DECISIONS for a in actions)
    for state in ModerationState.objects.filter(comment__in=comments):
        assert state.version == Decision.objects.filter(comment=state.comment_id).count()
    assert audit.verify() == (AuditEvent.objects.count(), None)
