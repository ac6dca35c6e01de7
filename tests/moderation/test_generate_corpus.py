"""manage.py generate_corpus: a corpus in the app's own schema, shaped as asked, whose rows keep
what the services keep (a state per comment matching its decisions, records matching a
recount, a hash chain that verifies), the same for the same seed, on SQLite and PostgreSQL."""

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from archive.models import Article, Comment, Commenter, Site, thread_order
from archive.sanitize import sanitize, text_to_html
from moderation import audit, permissions
from moderation.actions import Action
from moderation.models import (
    ArticleQueue,
    AuditEvent,
    CommenterBlock,
    CommenterRecord,
    Decision,
    ModerationState,
    Status,
    Tag,
)

pytestmark = pytest.mark.django_db

SIZE = 2000


def generate(*args, **options) -> str:
    out = io.StringIO()
    call_command("generate_corpus", *args, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def corpus():
    """2,000 comments, seed 7: what the command printed."""
    return generate(comments=SIZE, seed=7)


# Shape


def test_the_corpus_has_the_shape_asked_for(corpus):
    assert Comment.objects.count() == SIZE
    assert Site.objects.count() == 20
    assert Article.objects.count() == 40  # one per 50 comments
    assert 95 <= Commenter.objects.count() <= 105  # one per 20, by site
    counts = Comment.objects.values("article").annotate(n=Count("pk")).order_by("-n")
    assert counts[0]["n"] == SIZE // 10  # the long thread
    assert counts[1]["n"] < SIZE // 10
    assert len(counts) == 40  # every article has comments


def test_it_says_what_it_made_and_how_fast(corpus):
    assert f"{SIZE:,} comments on 20 sites: 40 articles" in corpus
    assert "comments/s (" + connection.vendor + ")" in corpus
    assert f"{SIZE // 10:,} comments (article " in corpus


def test_a_third_of_comments_or_less_are_replies_numbered_under_their_parent(corpus):
    comments = {c.pk: c for c in Comment.objects.all()}
    replies = [c for c in comments.values() if c.parent_id]
    assert 0.2 * SIZE < len(replies) < 0.35 * SIZE
    assert max(c.depth for c in replies) >= 2  # positions like 2.1.1
    for reply in replies:
        parent = comments[reply.parent_id]
        assert reply.article_id == parent.article_id
        assert reply.position.rsplit(".", 1)[0] == parent.position
        assert reply.posted_at > parent.posted_at


def test_thread_order_is_the_reading_order(corpus):
    for article in Article.objects.all():
        stored = list(article.comments.order_by("thread_order"))
        assert [c.thread_order for c in stored] == list(range(len(stored)))
        assert thread_order(stored) == stored  # each reply right after its parent's subtree
        top = [c.position for c in stored if not c.parent_id]
        assert top == [str(n) for n in range(1, len(top) + 1)]


def test_comment_html_is_what_the_importer_makes_of_the_text(corpus):
    for text, markup in Comment.objects.values_list("body_text", "body_html"):
        assert markup == sanitize(text_to_html(text))


def test_times_spread_over_months_and_read_back_as_stored(corpus):
    posted = sorted(Comment.objects.values_list("posted_at", flat=True))
    assert (posted[-1] - posted[0]).days > 90
    assert posted[-1] < timezone.make_aware(timezone.datetime(2026, 1, 1)) + timezone.timedelta(
        days=20
    )
    middle = posted[len(posted) // 2]
    # The database compares stored times as the ORM writes them (naive UTC text on SQLite).
    assert Comment.objects.filter(posted_at__lt=middle).count() == len(posted) // 2


def test_full_text_search_has_policy_words_to_find(corpus):
    found = Comment.objects.filter(body_text__icontains="idiot").count()
    assert 0 < found < SIZE * 0.05


# Moderation: states, decisions, tags


def test_nine_in_ten_comments_are_pending_and_the_rest_decided(corpus):
    statuses = Counter(ModerationState.objects.values_list("status", flat=True))
    assert statuses.total() == SIZE
    assert 0.86 * SIZE < statuses[Status.PENDING] < 0.94 * SIZE
    assert statuses[Status.APPROVED] > statuses[Status.REMOVED] > statuses[Status.ESCALATED] > 0


def test_every_state_is_its_comments_last_decision(corpus):
    states = ModerationState.objects.select_related("comment__article", "decision")
    assert states.count() == SIZE
    last = dict(
        Decision.objects.values("comment").annotate(v=Max("version")).values_list("comment", "v")
    )
    for state in states:
        assert state.site_id == state.comment.article.site_id
        assert state.queued_at == state.comment.posted_at
        assert state.version == last.get(state.comment_id, 0)
        if state.version:
            assert (state.decision.status, state.decision.version) == (state.status, state.version)
        else:
            assert state.decision is None
            assert state.status == Status.PENDING


def test_each_decision_follows_the_one_before(corpus):
    previous = {}
    for decision in Decision.objects.order_by("comment", "version").prefetch_related("reasons"):
        before = previous.get(decision.comment_id, (Status.PENDING, 0))
        assert (decision.previous_status, decision.version - 1) == before
        assert decision.status != decision.previous_status
        reasons = list(decision.reasons.all())
        assert bool(reasons) == (decision.status == Status.REMOVED)
        assert decision.created_at > decision.comment.posted_at
        previous[decision.comment_id] = (decision.status, decision.version)


def test_tags_mark_passages_of_the_text_by_several_moderators(corpus):
    tags = Tag.objects.select_related("comment__article", "category", "policy")
    spans = [t for t in tags if t.has_span]
    assert 0 < len(spans) < tags.count()  # passages and whole comments
    for tag in spans:
        assert tag.quoted_text == tag.comment.body_text[tag.span_start : tag.span_end]
    for tag in tags:
        assert tag.category.site_id == tag.policy.site_id == tag.comment.article.site_id
    assert tags.values("moderator").distinct().count() >= 4
    assert tags.filter(retracted_at__isnull=False).exists()


def test_approving_a_tagged_comment_came_with_a_note(corpus):
    tags = {}
    for tag in Tag.objects.all():
        tags.setdefault(tag.comment_id, []).append(tag)
    checked = 0
    for decision in Decision.objects.filter(status=Status.APPROVED):
        at = decision.created_at
        current = [
            t
            for t in tags.get(decision.comment_id, [])
            if t.created_at < at and (t.retracted_at is None or t.retracted_at > at)
        ]
        if current:  # services.decide refuses such an approval without a note
            assert decision.note
            checked += 1
    assert checked


# Commenters


def test_commenter_records_match_a_recount(corpus):
    records = {r.pk: r for r in CommenterRecord.objects.all()}
    assert set(records) == set(Commenter.objects.values_list("pk", flat=True))
    removed = Counter(
        ModerationState.objects.filter(
            status=Status.REMOVED, comment__commenter__isnull=False
        ).values_list("comment__commenter", flat=True)
    )
    blocks = Counter(CommenterBlock.objects.values_list("commenter", flat=True))
    in_force = set(CommenterBlock.objects.in_force().values_list("commenter", flat=True))
    for pk, record in records.items():
        assert record.removals == removed[pk]
        assert record.blocks == blocks[pk]
        assert record.blocked_now == (pk in in_force)
    assert blocks  # a few blocks


def test_article_queue_counts_match_a_recount(corpus):
    from moderation.services import queue_counts

    assert queue_counts.recount(fix=False) == []
    kept = dict(ArticleQueue.objects.values_list("article", "pending"))
    pending = Counter(
        ModerationState.objects.filter(status=Status.PENDING).values_list("article", flat=True)
    )
    assert kept == pending  # every article has comments, nine in ten of them pending


# Users and the audit log


def test_the_users_have_their_roles_and_the_admin_may_use_djangos_admin(corpus):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(username__startswith="corpus-")
    roles = {u.username: set(u.groups.values_list("name", flat=True)) for u in users}
    assert roles["corpus-admin"] == {permissions.ADMIN}
    assert roles["corpus-researcher"] == {permissions.RESEARCHER}
    assert sum(r == {permissions.MODERATOR} for r in roles.values()) == 8
    assert users.get(username="corpus-admin").is_staff
    assert not any(u.has_usable_password() for u in users)


def test_the_audit_chain_holds_with_an_event_for_every_judgement(corpus):
    checked, broken = audit.verify()
    assert broken is None
    assert checked == AuditEvent.objects.count()
    actions = Counter(AuditEvent.objects.values_list("action", flat=True))
    assert actions[Action.TAG_ADD] == Tag.objects.count()
    assert actions[Action.TAG_RETRACT] == Tag.objects.filter(retracted_at__isnull=False).count()
    decisions = [Action.COMMENT_APPROVED, Action.COMMENT_REMOVED, Action.COMMENT_ESCALATED]
    decided = sum(actions[a] for a in [*decisions, Action.COMMENT_PENDING])
    assert decided == Decision.objects.count()
    assert actions[Action.COMMENTER_BLOCK] == CommenterBlock.objects.count()
    assert actions[Action.IMPORT] == 20  # one per site, through the service
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "audit chain holds" in out.getvalue()


def test_a_chain_hashed_otherwise_than_the_audit_log_hashes_stops_the_load(monkeypatch):
    from moderation.corpus.chain import ChainMismatch

    hashed = audit.compute_hash
    monkeypatch.setattr(audit, "compute_hash", lambda event: hashed(event)[::-1])
    with pytest.raises(ChainMismatch, match=r"audit\.canonical"):
        generate(comments=200)
    assert not Comment.objects.exists()


def test_decision_events_say_what_the_decision_did(corpus):
    decision = Decision.objects.filter(status=Status.REMOVED).order_by("pk").first()
    event = AuditEvent.objects.get(
        comment=decision.comment, after__version=decision.version, action=Action.COMMENT_REMOVED
    )
    assert event.actor_id == decision.moderator_id
    assert event.created_at == decision.created_at
    assert event.before == {"status": decision.previous_status, "version": decision.version - 1}
    assert event.after["reasons"] == [r.slug for r in decision.reasons.order_by("order")]


def test_every_foreign_key_points_at_a_row(corpus):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []
        else:  # deferred constraints, checked now rather than at the test's rollback
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def constraints() -> dict:
    """Every index and constraint of the tables the load writes, as the database has them."""
    from moderation.corpus.build import TABLES

    with connection.cursor() as cursor:
        return {
            model._meta.db_table: connection.introspection.get_constraints(
                cursor, model._meta.db_table
            )
            for model in TABLES
        }


def test_the_indexes_and_keys_set_aside_for_the_load_are_back():
    before = constraints()
    generate(comments=300)
    assert constraints() == before


def test_ids_continue_after_the_corpus(corpus):
    site = Site.objects.create(name="After the corpus")
    article = Article.objects.create(site=site, title="New", source="page", source_key="new")
    assert article.pk == Article.objects.exclude(pk=article.pk).aggregate(m=Max("pk"))["m"] + 1
    event = AuditEvent.objects.order_by("-pk").first()
    assert event.action == Action.POLICY_CREATE  # the new site's, chained after the corpus
    assert audit.verify()[1] is None


# Same seed, same corpus


def fingerprint() -> list:
    """The corpus without its ids (sequences do not roll back on PostgreSQL)."""
    comments = Comment.objects.values_list(
        "article__site__name", "article__title", "position", "thread_order", "posted_at",
        "commenter__name", "body_text", "moderation__status", "moderation__version",
    ).order_by("article__published_at", "article__title", "thread_order")  # fmt: skip
    # The judgements' events (a site's policy and the import are recorded at the time).
    events = AuditEvent.objects.values_list(
        "action", "actor_name", "created_at", "before", "after", "note"
    ).filter(actor_name__startswith="corpus-")
    return [list(comments), sorted(map(repr, events))]


def generated(seed: int, workers: int = 0) -> list:
    with transaction.atomic():
        generate(comments=1000, seed=seed, workers=workers, chunk=150)
        result = fingerprint()
        transaction.set_rollback(True)
    return result


def test_the_same_seed_makes_the_same_corpus():
    first = generated(11)
    assert first == generated(11)
    assert first != generated(12)


def test_worker_processes_make_the_same_corpus():
    # Seven chunks of 150 comments or so, made by two processes while this one writes them.
    assert generated(11, workers=2) == generated(11, workers=0)


# Refusals and options


def test_it_refuses_a_database_that_has_comments(comment):
    with pytest.raises(CommandError, match=r"already has 1 comments.*--append"):
        generate(comments=100)
    assert Comment.objects.count() == 1


def test_append_adds_a_corpus_to_the_comments_there(comment):
    generate(comments=300, append=True)
    assert Comment.objects.count() == 301
    assert ModerationState.objects.count() == 301
    assert audit.verify()[1] is None
    generate(comments=300, append=True, seed=2)  # again: the same sites, users and names
    assert Comment.objects.count() == 601
    assert Commenter.objects.values("site", "name").distinct().count() == Commenter.objects.count()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"comments": 0}, "at least 1"),
        ({"comments": 100, "articles": 200}, "articles"),
        ({"comments": 100, "long_thread": 95}, "long thread"),
        ({"comments": 100, "moderators": 1}, "two moderators"),
        ({"comments": 100, "workers": -1}, "--workers must be 0"),
        ({"comments": 100, "chunk": 0}, "--chunk must be at least 1"),
        ({"comments": 100, "months": 0}, "--months must be at least 1"),
    ],
)
def test_options_that_make_no_corpus_are_refused(options, message):
    with pytest.raises(CommandError, match=message):
        generate(**options)
    assert not Comment.objects.exists()


def test_the_shape_options_are_obeyed():
    generate("--comments", "400", "--sites", "3", "--articles", "10", "--commenters", "50",
             "--long-thread", "100", "--moderators", "3", "--until", "2024-03-01")  # fmt: skip
    assert Site.objects.count() == 3
    assert Article.objects.count() == 10
    assert 48 <= Commenter.objects.count() <= 52
    longest = Comment.objects.values("article").annotate(n=Count("pk")).order_by("-n").first()
    assert longest["n"] == 100
    assert Comment.objects.aggregate(m=Max("posted_at"))["m"].year == 2024
    assert Decision.objects.values("moderator").distinct().count() <= 4  # 3 and the admin


def test_screen_scores_the_generated_comments_for_the_flagged_tab():
    from moderation.models import FLAG_THRESHOLD, ScreeningScore

    said = generate(comments=500, seed=3, screen=True)
    assert "Screened 500 comments in" in said
    flagged = ModerationState.objects.filter(flag_score__gte=FLAG_THRESHOLD)
    assert flagged.exists()
    # The generator's violations are what the lists find: every flagged comment has a
    # score from a source that flags (the word lists or the rule).
    sources = set(
        ScreeningScore.objects.filter(
            comment__in=flagged.values("comment"), score__gte=FLAG_THRESHOLD
        ).values_list("source", flat=True)
    )
    assert sources <= {"words", "baseline", "profanity"}
    assert sources & {"words", "baseline"}


def test_without_screen_nothing_is_scored():
    from moderation.models import ScreeningScore

    generate(comments=300, seed=3)
    assert not ScreeningScore.objects.exists()
