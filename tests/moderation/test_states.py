"""Every comment has its moderation state from the moment it is stored, and every commenter a
record whose counters the services keep current: the queue reads both instead of counting."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from archive.models import Comment, Commenter
from moderation import services
from moderation.models import CommenterRecord, ModerationState, Status
from tests import factories
from tests.conftest import PAGES

pytestmark = pytest.mark.django_db


def attack(site):
    return factories.category(site, "personal-attack")


def test_a_saved_comment_is_pending_in_the_queue_at_once(article):
    comment = factories.make_comment(article, "Hello.", author="Ann")
    state = ModerationState.objects.get(comment=comment)
    assert (state.status, state.version, state.site_id) == (Status.PENDING, 0, article.site_id)
    assert CommenterRecord.objects.filter(commenter=comment.commenter).exists()


def test_a_comment_is_queued_at_its_posting_time_or_when_stored(article):
    posted = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    dated = Comment.objects.create(
        article=article, position="1", thread_order=0, source_key="a", posted_at=posted
    )
    before = timezone.now()
    undated = factories.make_comment(article, "No date.")
    assert ModerationState.objects.get(comment=dated).queued_at == posted
    assert ModerationState.objects.get(comment=undated).queued_at >= before


def test_an_import_gives_every_comment_its_state_and_every_commenter_a_record(db):
    call_command("import_pages", PAGES / "001_c063493f46c78712.txt", verbosity=0)
    comments = Comment.objects.all()
    assert comments.count() == 12
    assert ModerationState.objects.filter(status=Status.PENDING).count() == 12
    assert not comments.filter(moderation__isnull=True).exists()
    assert not Commenter.objects.filter(record__isnull=True).exists()


def test_the_seed_fixtures_come_with_their_states(seeds):
    assert Comment.objects.count() == ModerationState.objects.count() == 21


def test_a_dry_run_import_leaves_no_state_behind(db):
    call_command("import_pages", PAGES / "001_c063493f46c78712.txt", dry_run=True, verbosity=0)
    assert not ModerationState.objects.exists()


def removals_counted_afresh():
    """What the records must say, counted from the states."""
    return dict(
        Commenter.objects.annotate(
            n=Count("comments", filter=Q(comments__moderation__status=Status.REMOVED))
        ).values_list("pk", "n")
    )


def records():
    return dict(CommenterRecord.objects.values_list("pk", "removals"))


def test_removals_are_counted_as_they_happen_and_as_they_are_undone(
    site, article, moderator, other_moderator
):
    troll = [factories.make_comment(article, f"Insult {i}", author="Troll") for i in range(3)]
    factories.make_comment(article, "Anonymous insult.")
    services.decide(moderator, troll[0], Status.REMOVED, expected_version=0, reasons=[attack(site)])
    removal = services.decide(
        moderator, troll[1], Status.REMOVED, expected_version=0, reasons=[attack(site)]
    )
    assert records() == removals_counted_afresh() == {troll[0].commenter_id: 2}
    services.decide(other_moderator, troll[0], Status.APPROVED, expected_version=1, note="Fine")
    assert records() == removals_counted_afresh() == {troll[0].commenter_id: 1}
    services.undo(moderator, removal.audit_event)
    assert records() == removals_counted_afresh() == {troll[0].commenter_id: 0}
    services.decide(moderator, troll[2], Status.ESCALATED, expected_version=0)
    assert records()[troll[0].commenter_id] == 0


def test_a_block_is_on_the_record_until_lifted_or_over(article, moderator):
    commenter = factories.make_comment(article, "x", author="Troll").commenter
    record = CommenterRecord.objects.get(commenter=commenter)
    assert (record.blocks, record.blocked_now) == (0, False)
    block = services.block(moderator, commenter, reason="Attacks")
    record.refresh_from_db()
    assert (record.blocks, record.blocked_now) == (1, True)
    services.unblock(moderator, block)
    record.refresh_from_db()
    assert (record.blocks, record.blocked_now) == (1, False)
    soon = timezone.now() + timedelta(hours=1)
    services.block(moderator, commenter, reason="Again", expires_at=soon)
    record.refresh_from_db()
    assert (record.blocks, record.blocked_now, record.blocked_until) == (2, True, soon)
    CommenterRecord.objects.filter(pk=commenter.pk).update(
        blocked_until=timezone.now() - timedelta(seconds=1)
    )
    record.refresh_from_db()
    assert record.blocked_now is False  # an expired block needs nobody to lift it


def test_a_state_keeps_its_comments_article_and_commenter(article):
    comment = factories.make_comment(article, "Hello.", author="Ann")
    state = ModerationState.objects.get(comment=comment)
    assert (state.article_id, state.commenter_id) == (article.pk, comment.commenter_id)
    anonymous = factories.make_comment(article, "Hi.")
    assert ModerationState.objects.get(comment=anonymous).commenter_id is None


def test_a_reimported_comment_whose_author_changed_takes_its_removal_along(tmp_path, moderator):
    from pathlib import Path

    example = (Path(__file__).resolve().parents[2] / "fixtures/wxr/example.xml").read_text()
    export = tmp_path / "export.xml"
    export.write_text(example)
    call_command("import_wxr", export, verbosity=0)
    ann_comment = Comment.objects.get(commenter__name="Ann")
    site = ann_comment.article.site
    services.decide(
        moderator, ann_comment, Status.REMOVED, expected_version=0, reasons=[attack(site)]
    )
    export.write_text(example.replace("<![CDATA[Ann]]>", "<![CDATA[Ann Marie]]>"))
    call_command("import_wxr", export, verbosity=0)
    ann_comment.refresh_from_db()
    assert ann_comment.commenter.name == "Ann Marie"
    state = ModerationState.objects.get(comment=ann_comment)
    assert state.commenter_id == ann_comment.commenter_id
    assert records() == removals_counted_afresh()
    assert records()[ann_comment.commenter_id] == 1
    # The insights' repeat offenders follow the removal too: Ann Marie has it, Ann none.
    from moderation.models import InsightCommenterWeek
    from moderation.services import insights

    by_commenter = {
        c: n for c, n in InsightCommenterWeek.objects.values_list("commenter__name", "removals")
    }
    assert by_commenter == {"Ann": 0, "Ann Marie": 1}
    assert insights.recount(fix=False) == []
