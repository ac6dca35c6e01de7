"""The queues of one category and of one moderator (models.CategoryMark, ModeratorMark):
which comments they hold follows every tag, retraction, decision and undo, through the
pages moderators use; and the marks kept one action at a time always equal the marks
made again from scratch (`services.marks.rebuild`, the migration's rule)."""

import io
import random
from pathlib import Path

import pytest
from django.core.management import call_command

from archive.models import Site
from moderation import services
from moderation.models import (
    AuditEvent,
    Category,
    CategoryMark,
    Decision,
    ModerationState,
    ModeratorMark,
    Status,
    Tag,
)
from moderation.services import marks
from moderation.views.queue import PER_PAGE
from tests import factories

QUEUE = "/queue/"
MIGRATION = Path(__file__).parents[2] / "moderation/migrations/0007_queue_marks.py"


def rows(response):
    return [c.pk for c in response.context["rows"]]


def in_queue(client, **query):
    return rows(client.get(QUEUE, {"status": "all", **query}))


def all_marks():
    return (
        sorted(CategoryMark.objects.values_list("comment", "category", "status", "queued_at")),
        sorted(ModeratorMark.objects.values_list("comment", "moderator", "status", "queued_at")),
    )


def test_a_categorys_queue_follows_tags_retractions_decisions_and_undo(
    moderator_client, moderator, other_moderator, article, site
):
    profanity = factories.category(site, "profanity")
    attack = factories.category(site, "personal-attack")
    comment = factories.make_comment(article, "You fool")
    assert in_queue(moderator_client, category=profanity.pk) == []

    mine = services.tag(moderator, comment, profanity)
    theirs = services.tag(other_moderator, comment, profanity, span=(4, 8))
    assert in_queue(moderator_client, category=profanity.pk) == [comment.pk]
    services.retract(moderator, mine)
    assert in_queue(moderator_client, category=profanity.pk) == [comment.pk]  # theirs stays
    services.retract(other_moderator, theirs)
    assert in_queue(moderator_client, category=profanity.pk) == []

    removal = services.decide(
        moderator, comment, Status.REMOVED, expected_version=0, reasons=[attack]
    )
    assert in_queue(moderator_client, category=attack.pk) == [comment.pk]
    assert in_queue(moderator_client, category=attack.pk, status="pending") == []
    assert in_queue(moderator_client, category=attack.pk, status="removed") == [comment.pk]
    services.undo(moderator, removal.audit_event)  # back to pending: no longer removed for it
    assert in_queue(moderator_client, category=attack.pk) == []
    # Both moderators acted on it, ever: it stays in their queues, at its status now.
    for who in (moderator, other_moderator):
        assert in_queue(moderator_client, moderator=who.pk, status="pending") == [comment.pk]
        assert in_queue(moderator_client, moderator=who.pk, status="removed") == []


def test_category_and_moderator_together(
    moderator_client, moderator, other_moderator, article, site
):
    profanity = factories.category(site, "profanity")
    both, only_theirs = (factories.make_comment(article, t) for t in ("One", "Two"))
    services.tag(moderator, both, profanity)
    services.tag(other_moderator, only_theirs, profanity)
    assert in_queue(moderator_client, category=profanity.pk) == [both.pk, only_theirs.pk]
    assert in_queue(moderator_client, category=profanity.pk, moderator=moderator.pk) == [both.pk]


def test_an_invalid_status_does_not_widen_a_category_queue(
    moderator_client, moderator, article, site
):
    profanity = factories.category(site, "profanity")
    tagged = factories.make_comment(article, "Tagged")
    factories.make_comment(article, "Untagged")
    services.tag(moderator, tagged, profanity)
    response = moderator_client.get(QUEUE, {"status": "bogus", "category": profanity.pk})
    assert rows(response) == [tagged.pk]


def test_a_categorys_queue_pages_by_keyset_both_ways(moderator_client, moderator, article, site):
    profanity = factories.category(site, "profanity")
    made = [factories.make_comment(article, f"Number {i}") for i in range(PER_PAGE + 3)]
    factories.make_comment(article, "Not tagged")
    for comment in made:
        services.tag(moderator, comment, profanity)
    query = {"category": profanity.pk}
    first = moderator_client.get(QUEUE, query)
    assert rows(first) == [c.pk for c in made[:PER_PAGE]]
    assert first.context["count"].number == PER_PAGE + 3
    second = moderator_client.get(QUEUE, {**query, "after": made[PER_PAGE - 1].pk})
    assert rows(second) == [c.pk for c in made[PER_PAGE:]]
    newest = moderator_client.get(QUEUE, {**query, "order": "newest", "last": "1"})
    assert rows(newest) == [c.pk for c in reversed(made[:PER_PAGE])]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_marks_kept_action_by_action_equal_marks_made_from_scratch(
    seed, moderator, other_moderator, article, site
):
    rng = random.Random(seed)
    categories = [factories.category(site, s) for s in ("profanity", "personal-attack")]
    comments = [factories.make_comment(article, f"Comment number {i}") for i in range(6)]
    people = [moderator, other_moderator]
    for _ in range(60):
        comment, who = rng.choice(comments), rng.choice(people)
        step = rng.choice(["tag", "retract", "decide", "undo"])
        try:
            if step == "tag":
                services.tag(who, comment, rng.choice(categories), note="n")
            elif step == "retract":
                mine = Tag.objects.current().filter(comment=comment, moderator=who).first()
                if mine:
                    services.retract(who, mine)
            elif step == "decide":
                status = rng.choice(Status.values)
                reasons = (
                    rng.sample(categories, rng.randint(1, 2)) if status == Status.REMOVED else []
                )
                version = services.state_of(comment)[1]
                services.decide(
                    who, comment, status, expected_version=version, reasons=reasons, note="n"
                )
            else:
                event = (
                    AuditEvent.objects.filter(actor=who, comment=comment).order_by("-pk").first()
                )
                if event:
                    services.undo(who, event)
        except services.ModerationError:
            pass  # refused (already that status, already undone…): nothing changed
    kept = all_marks()
    assert kept[0], "the scenario left no category marks"
    assert kept[1], "the scenario left no moderator marks"
    marks.rebuild()
    assert all_marks() == kept


def test_the_migration_fills_marks_by_the_rule_of_rebuild():
    """The migration keeps its own copy of the statements; they must say what `rebuild` does."""
    frozen = MIGRATION.read_text()
    for statement in (marks.CATEGORY_MARKS, marks.MODERATOR_MARKS):
        assert statement.strip() in frozen


def test_a_generated_corpus_has_its_queues_marked(moderator_client, db):
    """generate_corpus writes tags and decisions in bulk, past `sync`: each category's queue
    still holds exactly the comments with a current tag in it or removed for it."""
    call_command("generate_corpus", comments=600, seed=3, stdout=io.StringIO())
    site = Site.objects.order_by("pk").first()
    for category in Category.objects.filter(site=site):
        tagged = set(
            Tag.objects.current().filter(category=category).values_list("comment", flat=True)
        )
        removed = set(
            ModerationState.objects.filter(decision__reasons=category).values_list(
                "comment", flat=True
            )
        )
        marked = set(
            CategoryMark.objects.filter(category=category).values_list("comment", flat=True)
        )
        assert marked == tagged | removed, category.slug
    assert CategoryMark.objects.exists()
    assert ModeratorMark.objects.count() == len(
        set(Tag.objects.values_list("comment", "moderator"))
        | set(Decision.objects.values_list("comment", "moderator"))
    )
