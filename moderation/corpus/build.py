"""The shape of a generated corpus and its load, in one transaction.

At a million comments the shape is the one issue 9 measured: 20 sites, 2,000 articles and
50,000 commenters; smaller corpora have fewer articles (one per 50 comments) and commenters
(one per 20 comments). One article holds a long thread (5,000 comments, or a tenth of a
small corpus); the others get a skewed share of the rest, as popular articles do. 30 % of
comments are replies (positions 2, 2.1, 2.1.1, `thread_order` in reading order); 90 % are
pending, the rest approved, removed or escalated, each with its whole decision history,
tags by several moderators, the commenters' records and a few blocks, all on the audit log.

Deterministic: the same options (and seed) make the same rows, times included (they end
at `until`, not at the moment of generation).
"""

import gc
import multiprocessing
import os
import random
import time
from collections import Counter, deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection as default_connection
from django.db import transaction
from django.db.models import F

from archive.importing.loader import LoadReport
from archive.models import Article, Comment, Commenter, Site
from moderation import audit, checkpoints, permissions, services
from moderation.corpus import threads
from moderation.corpus.bulk import Bulk, load_settings
from moderation.corpus.chain import Chain
from moderation.corpus.judgements import Judge
from moderation.corpus.text import Writer
from moderation.corpus.threads import LONG_THREAD, WXR, Actor, Chunk, Made
from moderation.models import (
    ArticleQueue,
    AuditEvent,
    AuditHead,
    Category,
    CategoryMark,
    CommenterBlock,
    CommenterRecord,
    Decision,
    ModerationState,
    ModeratorMark,
    Tag,
)
from moderation.services import insights, marks, queue_counts

UNTIL = datetime(2026, 1, 1, tzinfo=UTC)
DAY = 24 * 3600
# The shape at a million comments, and how it scales down.
SITES = 20
MAX_ARTICLES, COMMENTS_PER_ARTICLE = 2000, 50
COMMENTS_PER_COMMENTER = 20
MODERATORS = 8
# Below this, making comments in worker processes costs more than it saves.
PARALLEL_FROM = 50_000
USERNAME = "corpus-"
CHUNK = 10_000  # comments a worker makes (and the loader writes) at a time
SITE_NAMES = [
    "Glendale Gazette", "Yerevan Daily", "The Diaspora Times", "Beirut Observer",
    "Ararat Weekly", "Paris Armenian News", "Valley Voice", "The Caucasus Review",
    "Boston Herald Armenian", "Gyumri Today", "Toronto Hye Post", "Aleppo Chronicle",
    "The Sunday Mirror AM", "Los Angeles Tribune AM", "Marseille Echo", "Tbilisi Ledger",
    "Buenos Aires Hayastan", "Sydney Hye News", "Moscow Courier AM", "Vanadzor Bulletin",
]  # fmt: skip
POLICY = (
    "{name} reserves the right to remove comments containing profanity, personal attacks "
    "or other inappropriate material, and to block users who violate its standards."
)

COMMENT_FIELDS = [
    "id", "article_id", "parent_id", "commenter_id", "position", "thread_order",
    "posted_at", "body_text", "body_html", "source_status", "missing_from_source",
    "source", "source_key",
]  # fmt: skip
STATE_FIELDS = [
    "comment_id", "site_id", "queued_at", "status", "version", "decision_id", "article_id",
    "commenter_id",
]  # fmt: skip
DECISION_FIELDS = [
    "id", "comment_id", "status", "previous_status", "moderator_id", "note", "created_at",
    "version", "flagged",
]  # fmt: skip
TAG_FIELDS = [
    "id", "comment_id", "category_id", "moderator_id", "policy_id", "span_start", "span_end",
    "quoted_text", "note", "created_at", "retracted_at", "retracted_by_id",
]  # fmt: skip
BLOCK_FIELDS = [
    "id", "commenter_id", "reason", "expires_at", "created_by_id", "created_at", "lifted_at",
    "lifted_by_id", "lift_note",
]  # fmt: skip
RECORD_FIELDS = ["commenter_id", "removals", "blocks", "blocked", "blocked_until"]
AUDIT_FIELDS = [
    "id", "created_at", "actor_id", "actor_name", "action", "target_type", "target_id",
    "site_id", "article_id", "comment_id", "commenter_id", "before", "after", "note",
    "request_id", "client_address", "prev_hash", "hash", "signature",
]  # fmt: skip
ARTICLE_FIELDS = [
    "id", "site_id", "title", "deck", "byline", "published_at", "source_url", "body",
    "source", "source_key",
]  # fmt: skip
# Every table the load writes (locked on PostgreSQL for its duration, analyzed after).
TABLES = [
    Article, Commenter, Comment, ModerationState, CommenterRecord, Decision,
    Decision.reasons.through, Tag, CommenterBlock, AuditEvent,
]  # fmt: skip
LABELS = [model._meta.label for model in TABLES]
EXPLICIT_IDS = [Article, Commenter, Comment, Decision, Tag, CommenterBlock, AuditEvent]
# SQLite: the indexes kept during the load, by the column they lead with; the tables not
# named keep all of theirs. Comments (and their states) come article by article, each
# reply after its parent, decisions in comment order, and the smaller tables' indexes lead
# with a comment, decision or site in that order or with one of a few keys (a category, a
# moderator): each new entry goes next to the last, which costs no more than sorting them
# afterwards, and is paid while worker processes make the next rows. The others (a
# commenter's, the queues' times) would take each entry to a random place: made after.
# The audit log's rows come at once, at the end: all of its indexes are made after them.
LIVE_INDEXES = {
    Comment: {"article_id", "parent_id"},
    ModerationState: {"article_id", "decision_id"},
    AuditEvent: set(),
}


class CorpusError(Exception):
    """Options that make no corpus, or a database that should not get one."""


@dataclass(frozen=True)
class Options:
    comments: int
    seed: int = 1
    sites: int | None = None
    articles: int | None = None
    commenters: int | None = None
    long_thread: int | None = None
    moderators: int = MODERATORS
    months: int = 6
    until: datetime = UNTIL
    append: bool = False
    workers: int | None = None  # processes making comments; None: by size and CPUs
    chunk: int = CHUNK

    def worker_count(self) -> int:
        if self.workers is not None:
            return self.workers
        if self.comments < PARALLEL_FROM:
            return 0
        return max(1, min(4, (os.cpu_count() or 1) - 1))

    def sizes(self) -> "Sizes":
        if self.months < 1:
            raise CorpusError("--months must be at least 1.")
        n = self.comments
        sites = self.sites if self.sites is not None else SITES
        articles = self.articles or max(sites, min(MAX_ARTICLES, n // COMMENTS_PER_ARTICLE))
        long_thread = (
            self.long_thread if self.long_thread is not None else min(LONG_THREAD, n // 10)
        )
        sizes = Sizes(
            sites=sites,
            articles=articles,
            commenters=self.commenters or max(sites, n // COMMENTS_PER_COMMENTER),
            long_thread=long_thread,
            moderators=self.moderators,
        )
        sizes.check(n)
        return sizes


@dataclass(frozen=True)
class Sizes:
    sites: int
    articles: int
    commenters: int
    long_thread: int
    moderators: int

    def check(self, comments: int) -> None:
        if comments < 1:
            raise CorpusError("--comments must be at least 1.")
        if not 1 <= self.sites <= self.articles <= comments:
            raise CorpusError(
                f"Need 1 <= sites ({self.sites}) <= articles ({self.articles}) <= comments "
                f"({comments}): every site gets an article, every article a comment."
            )
        if self.commenters < self.sites:
            raise CorpusError(f"Need at least one commenter per site ({self.sites}).")
        if not 0 <= self.long_thread <= comments - (self.articles - 1):
            raise CorpusError(
                f"The long thread ({self.long_thread}) leaves too few comments for the other "
                f"{self.articles - 1} articles."
            )
        if self.moderators < 2:
            raise CorpusError("Need at least two moderators (some comments get two taggers).")


def check_running(workers: int | None, chunk: int) -> None:
    if chunk < 1:
        raise CorpusError("--chunk must be at least 1.")
    if workers is not None and workers < 0:
        raise CorpusError("--workers must be 0 (none: this process makes every row) or more.")
    if workers and "fork" not in multiprocessing.get_all_start_methods():
        raise CorpusError("Worker processes need fork(); use --workers 0 on this platform.")


@dataclass
class SiteInfo:
    id: int
    name: str
    policy_id: int
    policy_version: int
    slugs: list[str]  # the active categories, in keyboard order
    category_ids: dict[str, int]
    commenter_ids: list[int] = field(default_factory=list)
    cum_weights: list[float] = field(default_factory=list)
    report: LoadReport = field(default_factory=LoadReport)


@contextmanager
def without_cycle_collection():
    """Python's cycle collector off for the load (and the worker processes forked in it):
    the load makes millions of tuples and keeps a growing share of them (the audit events,
    the rows of the chunk being written), which the collector would walk again and again
    for cycles they do not have (a third of the time it takes to make a chunk and to
    unpickle it, measured at 300,000 comments). Collected once, after."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Clock:
    """Where the load's time goes: every moment belongs to one phase (the one last
    switched to), so the phases add up to the whole."""

    PHASES = [
        "setup",
        "generate",
        "insert",
        "indexes",
        "audit",
        "marks",
        "insights",
        "commit",
        "analyze",
    ]

    def __init__(self):
        self.phases = dict.fromkeys(self.PHASES, 0.0)
        self.cpu = dict.fromkeys(self.PHASES, 0.0)  # this process's CPU, all its threads
        self.beside: dict[str, float] = {}
        self.current: str | None = "setup"
        self.mark = self.started = time.perf_counter()
        self.cpu_mark = time.process_time()
        self.total = 0.0

    def switch(self, phase: str | None) -> None:
        """Count the time since the last switch to the current phase; None: stop."""
        now, cpu = time.perf_counter(), time.process_time()
        if self.current is not None:
            self.phases[self.current] += now - self.mark
            self.cpu[self.current] += cpu - self.cpu_mark
        self.current, self.mark, self.cpu_mark = phase, now, cpu
        self.total = now - self.started


@dataclass
class Summary:
    vendor: str
    comments: int
    workers: int
    seconds: float
    cpu_seconds: float  # this process's: the rest of `seconds` is the database, or waiting
    counts: dict[str, int]
    sizes: Sizes
    # Seconds in each phase of the load, in this process (they add up to `seconds`), and
    # work done beside them (in a thread, while the database builds indexes).
    phases: dict[str, float]
    beside: dict[str, float]
    cpu_phases: dict[str, float]  # this process's CPU seconds in each phase (all threads)
    long_thread_article: int | None
    users: list[str]

    @property
    def rate(self) -> float:
        return self.comments / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        c = {label: self.counts.get(label, 0) for label in LABELS}
        return [
            f"{self.comments:,} comments on {self.sizes.sites} sites: {c['archive.Article']:,} "
            f"articles, {c['archive.Commenter']:,} commenters, the longest thread "
            f"{self.sizes.long_thread:,} comments (article {self.long_thread_article})",
            f"moderation: {c['moderation.ModerationState']:,} states, "
            f"{c['moderation.Decision']:,} decisions "
            f"({c['moderation.Decision_reasons']:,} removal reasons), "
            f"{c['moderation.Tag']:,} tags, {c['moderation.CommenterBlock']:,} blocks, "
            f"{c['moderation.CommenterRecord']:,} commenter records, "
            f"{c['moderation.AuditEvent']:,} audit events",
            f"users: {', '.join(self.users)} (no passwords: set one with "
            f"`manage.py changepassword NAME`)",
            "phases: "
            + ", ".join(
                f"{name} {seconds:.2f} s"
                for name, seconds in [*self.phases.items(), *self.beside.items()]
            ),
            "CPU in this process by phase: "
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.cpu_phases.items()),
            f"{self.seconds:.1f} s ({self.cpu_seconds:.1f} s CPU in this process, "
            f"{self.workers} worker process{'' if self.workers == 1 else 'es'}): "
            f"{self.rate:,.0f} comments/s ({self.vendor})",
        ]


class Corpus:
    """One corpus, generated into the default database by `generate()`."""

    def __init__(self, options: Options, connection=default_connection, progress=None):
        self.options = options
        self.sizes = options.sizes()
        check_running(options.workers, options.chunk)
        self.workers = options.worker_count()
        self.rng = random.Random(options.seed)
        # One paragraph for ten comments: 50,000 at a million, each used some 35 times.
        self.writer = Writer(self.rng, paragraphs=min(50_000, max(2_000, options.comments // 10)))
        self.bulk = Bulk(connection)
        self.connection = connection
        self.progress = progress or (lambda done, total: None)
        self.until = int(options.until.timestamp())
        self.start = self.until - options.months * 30 * DAY

    def generate(self) -> Summary:
        clock, cpu = Clock(), time.process_time()
        self.clock = clock
        with (
            without_cycle_collection(),
            load_settings(self.connection),
            transaction.atomic(using=self.connection.alias),
        ):
            self._refuse_a_full_database()
            self.bulk.lock(TABLES)
            AuditHead.objects.select_for_update().filter(pk=1).first()
            self._users()
            self._sites()
            self._read_before_writing()
            # Into an empty archive, indexes (and keys) are made once the tables are full.
            restore = {} if self.options.append else self.bulk.set_aside(TABLES, self._live())
            self._articles()
            self._commenters()
            self._comments()
            self._blocks()
            self._records()
            # The audit log's rows are hashed while the database indexes the other tables.
            clock.switch("indexes")
            audit_table = restore.pop(AuditEvent._meta.db_table, [])
            with self.bulk.restoring([sql for table in restore.values() for sql in table]):
                hashing = time.perf_counter()
                rows = self._audit_rows()
                clock.beside["audit hashing"] = time.perf_counter() - hashing
            clock.switch("audit")
            self.bulk.insert(AuditEvent, AUDIT_FIELDS, rows)
            self.bulk.restore(audit_table)
            clock.switch("marks")
            marks.rebuild()  # the queues of each category and moderator, from the rows above
            queue_counts.recount(fix=True)  # each article's pending and escalated counts
            clock.switch("insights")
            insights.recount(fix=True)  # the insights' roll-ups, from the rows above
            self._count_appended()
            self.bulk.reset_sequences(EXPLICIT_IDS)
            self._imports()
            clock.switch("commit")
        clock.switch("analyze")
        self.bulk.analyze([*TABLES, CategoryMark, ModeratorMark, ArticleQueue, *insights.MODELS])
        clock.switch(None)
        return Summary(
            vendor=self.connection.vendor,
            comments=self.options.comments,
            workers=self.workers,
            seconds=clock.total,
            cpu_seconds=time.process_time() - cpu,
            phases=clock.phases,
            beside=clock.beside,
            cpu_phases=clock.cpu,
            counts=self.bulk.counts,
            sizes=self.sizes,
            long_thread_article=self.long_thread_article,
            users=[
                f"{self.admin.get_username()} (Admin, staff)",
                f"{self.moderators[0].get_username()} … {self.moderators[-1].get_username()} "
                "(Moderators)",
                f"{self.researcher.get_username()} (Researcher)",
            ],
        )

    def _live(self) -> dict | None:
        """The indexes kept during the load (measured on SQLite; PostgreSQL's load sets
        all of them aside, with the foreign keys)."""
        return LIVE_INDEXES if self.connection.vendor == "sqlite" else None

    def _read_before_writing(self) -> None:
        """What the load needs to know of the database: the first free ids, the names
        taken, the audit log's head."""
        bulk = self.bulk
        self.first = {model: bulk.next_id(model) for model in EXPLICIT_IDS}
        sites = [site.id for site in self.sites]
        self.taken = set(Commenter.objects.filter(site_id__in=sites).values_list("site_id", "name"))
        self.audit_head = audit.head_hash()

    def _refuse_a_full_database(self) -> None:
        if self.options.append:
            return
        if Comment.objects.exists():
            raise CorpusError(
                f"This database already has {Comment.objects.count():,} comments. "
                "Generate into an empty database, or add --append to add a corpus to them."
            )

    # Users and sites (a few rows: through the ORM, and the receivers)

    def _users(self) -> None:
        self.admin = self._user(f"{USERNAME}admin", permissions.ADMIN, is_staff=True)
        self.moderators = [
            self._user(f"{USERNAME}moderator-{n}", permissions.MODERATOR)
            for n in range(1, self.sizes.moderators + 1)
        ]
        self.researcher = self._user(f"{USERNAME}researcher", permissions.RESEARCHER)
        self.actors = [Actor(u.pk, u.get_username()) for u in self.moderators]
        self.admin_actor = Actor(self.admin.pk, self.admin.get_username())

    @staticmethod
    def _user(username: str, role: str, **flags):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, email=f"{username}@example.org", **flags)
            user.set_unusable_password()
            user.save()
            user.groups.add(Group.objects.get(name=role))
        return user

    def _sites(self) -> None:
        self.sites = []
        for n in range(self.sizes.sites):
            name = SITE_NAMES[n] if n < len(SITE_NAMES) else f"Community News {n + 1}"
            domain = name.lower().replace(" ", "") + ".example"
            # Saving a site gives it policy version 1 and the default categories (receivers).
            site, _ = Site.objects.get_or_create(
                name=name, defaults={"domain": domain, "policy_text": POLICY.format(name=name)}
            )
            policy = services.current_policy(site) or services.sync_posted_policy(site)
            categories = list(Category.objects.active().filter(site=site).order_by("order", "pk"))
            self.sites.append(
                SiteInfo(
                    id=site.pk,
                    name=name,
                    policy_id=policy.pk,
                    policy_version=policy.version,
                    slugs=[c.slug for c in categories],
                    category_ids={c.slug: c.pk for c in categories},
                    report=LoadReport(site=name),
                )
            )

    # The archive

    def _articles(self) -> None:
        rng, sizes = self.rng, self.sizes
        site_cum = list(accumulate(1 / (n + 1) ** 0.7 for n in range(sizes.sites)))
        counts = self._thread_sizes()
        # Every site gets an article; the long thread is the first site's.
        homes = list(range(sizes.sites)) + rng.choices(
            range(sizes.sites), cum_weights=site_cum, k=sizes.articles - sizes.sites
        )
        latest = self.until - 14 * DAY
        plans = sorted(
            (rng.randrange(self.start, latest), n, homes[n], counts[n])
            for n in range(sizes.articles)
        )
        first = self.first[Article]
        self.articles = []
        rows = []
        for offset, (published, n, home, size) in enumerate(plans):
            plan = threads.Article(first + offset, home, published, size)
            self.articles.append(plan)
            if n == 0 and sizes.long_thread:
                self.long_thread_article = plan.id
            report = self.sites[home].report
            report.articles_created += 1
            report.comments_created += size
            rows.append(self._article_row(plan))
        if not sizes.long_thread:
            self.long_thread_article = None
        self.bulk.insert(Article, ARTICLE_FIELDS, rows)

    def _article_row(self, plan: threads.Article) -> tuple:
        writer, site = self.writer, self.sites[plan.site]
        domain = site.name.lower().replace(" ", "") + ".example"
        return (
            plan.id, site.id, writer.title(), "", writer.display_name(),
            self.bulk.when(plan.published), f"https://{domain}/?p={plan.id}",
            writer.article_body(), WXR, f"corpus-{plan.id}",
        )  # fmt: skip

    def _thread_sizes(self) -> list[int]:
        """How many comments each article gets: the first the long thread, the others a
        skewed share of the rest (no more than the long thread), at least one each."""
        rng, sizes = self.rng, self.sizes
        others = sizes.articles - 1
        rest = self.options.comments - sizes.long_thread
        if others == 0:
            return [self.options.comments]
        cap = max(sizes.long_thread - 1, -(-rest // others), 1)
        weights = [rng.paretovariate(1.3) for _ in range(others)]
        scale = (rest - others) / sum(weights)
        counts = [min(cap, 1 + int(w * scale)) for w in weights]
        short = rest - sum(counts)
        while short > 0:
            n = rng.randrange(others)
            if counts[n] < cap:
                counts[n] += 1
                short -= 1
        return [sizes.long_thread, *counts]

    def _commenters(self) -> None:
        """Each site's commenters, as many as its share of the comments; a few of them
        write much of it (Zipf-like weights, in random order)."""
        rng, total = self.rng, self.options.comments
        per_site = [0] * len(self.sites)
        for plan in self.articles:
            per_site[plan.site] += plan.size
        taken = self.taken
        next_id = self.first[Commenter]
        self.names: dict[int, str] = {}
        self.site_of: dict[int, int] = {}
        rows = []
        for site, comments in zip(self.sites, per_site, strict=True):
            count = max(1, round(self.sizes.commenters * comments / total))
            weights = [1 / (rank + 1) ** 0.8 for rank in range(count)]
            rng.shuffle(weights)
            site.cum_weights = list(accumulate(weights))
            site.commenter_ids = list(range(next_id, next_id + count))
            site.report.commenters_created = count
            for commenter_id in site.commenter_ids:
                name = self._unique_name(site.id, taken)
                self.names[commenter_id] = name
                self.site_of[commenter_id] = site.id
                rows.append((commenter_id, site.id, name))
            next_id += count
        self.bulk.insert(Commenter, ["id", "site_id", "name"], rows)

    def _unique_name(self, site_id: int, taken: set) -> str:
        name = self.writer.display_name()
        suffix = 1
        while (site_id, name) in taken:
            suffix += 1
            name = f"{name.rsplit(' #', 1)[0]} #{suffix}"
        taken.add((site_id, name))
        return name

    # Comments, their states and judgements

    def _comments(self) -> None:
        """Every comment with its state and judgements, chunk by chunk: made by worker
        processes (or here, with no workers) and written here, in order."""
        threads.CONTEXT = threads.Context(
            seed=self.options.seed,
            sites=self.sites,
            names=self.names,
            writer=self.writer,
            moderators=self.actors,
            admin=self.admin_actor,
            when=self.bulk.when,
        )
        self.next_decision, self.next_tag = self.first[Decision], self.first[Tag]
        self.events: list[tuple] = []
        self.removals: Counter = Counter()
        self.last_removal: dict[int, int] = {}
        done, clock = 0, self.clock
        try:
            clock.switch("generate")
            for made in self._made(self._chunks()):
                clock.switch("insert")
                self._write(made)
                done += len(made.comments)
                self.progress(done, self.options.comments)
                clock.switch("generate")
        finally:
            threads.CONTEXT = None
        clock.switch("insert")

    def _chunks(self) -> list[Chunk]:
        """Consecutive articles of about `chunk` comments (the same whoever makes them)."""
        chunks, articles, size = [], [], 0
        first = self.first[Comment]
        for plan in self.articles:
            articles.append(plan)
            size += plan.size
            if size >= self.options.chunk:
                chunks.append(Chunk(len(chunks), first, tuple(articles)))
                first += size
                articles, size = [], 0
        if articles:
            chunks.append(Chunk(len(chunks), first, tuple(articles)))
        return chunks

    def _made(self, chunks: list[Chunk]):
        """The chunks' rows in order: made here, or by worker processes a few chunks ahead
        of the writing (forked now, they inherit `threads.CONTEXT`; they never use the
        database connection they inherit, and end without closing it). Rather than wait
        for the workers, this process makes the last chunk not yet given out (and keeps it
        for its turn): so it is never idle while rows remain to be made, and the workers
        are given no more than they can make before the writing catches up."""
        if not self.workers or len(chunks) < 2:
            yield from map(threads.make, chunks)
            return
        ahead, given, last = 2 * self.workers, 0, len(chunks)  # chunks[given:last]: to make
        made_here: dict[int, Made] = {}
        with multiprocessing.get_context("fork").Pool(self.workers) as pool:
            waiting: deque = deque()
            for index in range(len(chunks)):
                while len(waiting) < ahead and given < last:
                    waiting.append(pool.apply_async(threads.make, (chunks[given],)))
                    given += 1
                if index >= last:
                    yield made_here.pop(index)
                    continue
                while not waiting[0].ready() and given < last:
                    last -= 1
                    made_here[last] = threads.make(chunks[last])
                yield waiting.popleft().get()

    def _write(self, made: Made) -> None:
        made.shift(self.next_decision, self.next_tag)
        self.next_decision += len(made.decisions)
        self.next_tag += len(made.tags)
        bulk = self.bulk
        bulk.insert(Comment, COMMENT_FIELDS, made.comments)
        bulk.insert(Decision, DECISION_FIELDS, made.decisions)
        bulk.insert(Decision.reasons.through, ["decision_id", "category_id"], made.reasons)
        bulk.insert(Tag, TAG_FIELDS, made.tags)
        bulk.insert(ModerationState, STATE_FIELDS, made.states)
        self.events.extend(made.events)
        self.removals.update(made.removals)
        for commenter, at in made.last_removal.items():
            self.last_removal[commenter] = max(at, self.last_removal.get(commenter, at))

    # Commenters' blocks and records

    def _blocks(self) -> None:
        """A few repeat offenders blocked, once every removal is known."""
        judge = Judge(
            self.rng, self.actors, self.admin_actor, {"block": self.first[CommenterBlock]},
            self.bulk.when,
        )  # fmt: skip
        judge.removals, judge.last_removal = self.removals, self.last_removal
        judge.block_offenders(max(1, self.sizes.commenters // 1000), self.site_of)
        self.bulk.insert(CommenterBlock, BLOCK_FIELDS, judge.blocks)
        # (time, chunk, order): a block's events sort after the comments' at the same time
        self.events.extend((at, len(self.articles), *rest) for at, *rest in judge.events)
        self.blocks_of = judge.blocks_of

    def _records(self) -> None:
        rows, when = [], self.bulk.when
        for commenter_id in self.names:
            blocked, until = self.blocks_of.get(commenter_id, (0, None))
            rows.append(
                (commenter_id, self.removals.get(commenter_id, 0),
                 int(commenter_id in self.blocks_of), blocked, when(until) if until else None)
            )  # fmt: skip
        self.bulk.insert(CommenterRecord, RECORD_FIELDS, rows)

    # The audit log

    def _audit_rows(self) -> list[tuple]:
        """Every judgement's event, oldest first, chained onto the log's head with the same
        hash `audit.append` computes (no database: this runs beside the index builds)."""
        self.events.sort(key=lambda e: e[:3])
        chain = Chain(self.audit_head, self.first[AuditEvent], self.bulk.when)
        rows = chain.rows(self.events)
        self.appended = len(rows)
        # Signed as `audit.append` signs (with the configured key; unsigned without one).
        sign = checkpoints.sign_event
        return [(*row, sign(row[-1])) for row in rows]

    def _count_appended(self) -> None:
        """The head row counts every event appended (`audit.append` adds one at a time)."""
        if not AuditHead.objects.filter(pk=1).update(appended=F("appended") + self.appended):
            AuditHead.objects.create(pk=1, appended=self.appended)

    def _imports(self) -> None:
        """One import event per site, through the service, as an importer records a file."""
        origin = f"generate_corpus --comments {self.options.comments} --seed {self.options.seed}"
        for info in self.sites:
            services.record_import(
                site=Site(pk=info.id, name=info.name),
                source="generated",
                origin=origin,
                report=info.report,
            )
