"""Two moderators acting on the same comment at the same moment, on separate connections."""

import threading

import pytest
from django.db import connection, connections

from archive.models import Comment
from moderation import audit, services
from moderation.models import Decision, Status
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
