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

import random
import time
import types
from bisect import bisect
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection as default_connection
from django.db import transaction
from django.db.models import F

from archive.importing.loader import LoadReport
from archive.models import Article, Comment, Commenter, Site, Source, SourceStatus
from moderation import audit, permissions, services
from moderation.corpus.bulk import Bulk, load_settings, moment
from moderation.corpus.judgements import (
    APPROVED,
    ESCALATED,
    PENDING,
    REMOVED,
    REOPENED_SHARE,
    Judge,
)
from moderation.corpus.text import VIOLATIONS, Writer
from moderation.models import (
    AuditEvent,
    AuditHead,
    Category,
    CommenterBlock,
    CommenterRecord,
    Decision,
    ModerationState,
    Tag,
)

UNTIL = datetime(2026, 1, 1, tzinfo=UTC)
DAY = 24 * 3600
# The shape at a million comments, and how it scales down.
SITES = 20
MAX_ARTICLES, COMMENTS_PER_ARTICLE = 2000, 50
COMMENTS_PER_COMMENTER = 20
LONG_THREAD = 5000
MODERATORS = 8
USERNAME = "corpus-"
# Threads: the share of replies, how far back a reply looks for its parent, how deep.
REPLY_SHARE, RECENT, MAX_DEPTH = 0.3, 30, 8
# Statuses comments end in, and the share of each that has a forbidden passage.
FATES = [PENDING, APPROVED, REMOVED, ESCALATED]
FATE_CUM = list(accumulate([90, 5.5, 3.5, 1]))
VIOLATION_CHANCE = {
    PENDING: 0.06,
    APPROVED: 0.1,
    REMOVED: 0.92,
    ESCALATED: 0.6,
}
KINDS = list(VIOLATIONS)
KIND_CUM = list(accumulate([35, 45, 20]))
ANONYMOUS_SHARE, HELD_SHARE, MISSING_SHARE = 0.05, 0.01, 0.002
# Plain strings and ints, not enums and bools: the drivers adapt subclasses slowly.
WXR, HELD, PUBLISHED = Source.WXR.value, SourceStatus.HELD.value, SourceStatus.PUBLISHED.value
FLUSH_EVERY = 20_000  # comments held in memory before they are written
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
STATE_FIELDS = ["comment_id", "site_id", "queued_at", "status", "version", "decision_id"]
DECISION_FIELDS = [
    "id", "comment_id", "status", "previous_status", "moderator_id", "note", "created_at",
    "version",
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
    "request_id", "client_address", "prev_hash", "hash",
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

    def sizes(self) -> "Sizes":
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


@dataclass(frozen=True)
class ArticlePlan:
    id: int
    site: SiteInfo
    published: int  # seconds since 1970
    size: int


@dataclass
class Summary:
    vendor: str
    comments: int
    seconds: float
    cpu_seconds: float  # this process's: the rest of `seconds` is the database, or waiting
    counts: dict[str, int]
    sizes: Sizes
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
            f"{self.seconds:.1f} s ({self.cpu_seconds:.1f} s CPU in this process): "
            f"{self.rate:,.0f} comments/s ({self.vendor})",
        ]


class Corpus:
    """One corpus, generated into the default database by `generate()`."""

    def __init__(self, options: Options, connection=default_connection, progress=None):
        self.options = options
        self.sizes = options.sizes()
        self.rng = random.Random(options.seed)
        # One paragraph for ten comments: 50,000 at a million, each used some 35 times.
        self.writer = Writer(self.rng, paragraphs=min(50_000, max(2_000, options.comments // 10)))
        self.bulk = Bulk(connection)
        self.connection = connection
        self.progress = progress or (lambda done, total: None)
        self.until = int(options.until.timestamp())
        self.start = self.until - options.months * 30 * DAY

    def generate(self) -> Summary:
        started, cpu = time.perf_counter(), time.process_time()
        with load_settings(self.connection), transaction.atomic(using=self.connection.alias):
            self._refuse_a_full_database()
            self.bulk.lock(TABLES)
            AuditHead.objects.select_for_update().filter(pk=1).first()
            self._users()
            self._sites()
            self._read_before_writing()
            # Into an empty archive, indexes (and keys) are made once the tables are full.
            restore = [] if self.options.append else self.bulk.set_aside(TABLES)
            self._articles()
            self._commenters()
            self._comments()
            self._blocks()
            self._records()
            self._audit()
            self.bulk.restore(restore)
            self._count_appended()
            self.bulk.reset_sequences(EXPLICIT_IDS)
            self._imports()
        self.bulk.analyze(TABLES)
        return Summary(
            vendor=self.connection.vendor,
            comments=self.options.comments,
            seconds=time.perf_counter() - started,
            cpu_seconds=time.process_time() - cpu,
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
            site = self.sites[home]
            plan = ArticlePlan(first + offset, site, published, size)
            self.articles.append(plan)
            if n == 0 and sizes.long_thread:
                self.long_thread_article = plan.id
            site.report.articles_created += 1
            site.report.comments_created += size
            rows.append(self._article_row(plan))
        if not sizes.long_thread:
            self.long_thread_article = None
        self.bulk.insert(Article, ARTICLE_FIELDS, rows)

    def _article_row(self, plan: ArticlePlan) -> tuple:
        writer = self.writer
        domain = plan.site.name.lower().replace(" ", "") + ".example"
        return (
            plan.id, plan.site.id, writer.title(), "", f"By {writer.display_name()}",
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
        index = {site.id: n for n, site in enumerate(self.sites)}
        for plan in self.articles:
            per_site[index[plan.site.id]] += plan.size
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
        first = {
            "decision": self.first[Decision],
            "tag": self.first[Tag],
            "block": self.first[CommenterBlock],
        }
        self.judge = Judge(self.rng, self.moderators, self.admin, first, self.bulk.when)
        self.next_comment = self.first[Comment]
        self.comment_rows: list[tuple] = []
        self.state_rows: list[tuple] = []
        done = 0
        for plan in self.articles:
            self._thread(plan)
            done += plan.size
            if len(self.comment_rows) >= FLUSH_EVERY:
                self._flush()
                self.progress(done, self.options.comments)
        self._flush()
        self.progress(done, self.options.comments)

    def _thread(self, plan: ArticlePlan) -> None:
        """One article's comments with their states (and judgements, for the few judged).
        The hot loop of the load: locals over attributes, nothing done twice."""
        rng, site, size, random = self.rng, plan.site, plan.size, self.rng.random
        first = self.next_comment
        self.next_comment += size
        parents, positions, order = tree(rng, size)
        window = (14 if size >= LONG_THREAD else 5) * DAY
        times = posting_times(rng, plan.published + 600, size, window)
        authors = rng.choices(site.commenter_ids, cum_weights=site.cum_weights, k=size)
        fates = rng.choices(FATES, cum_weights=FATE_CUM, k=size)
        when, names, write, judge = self.bulk.when, self.names, self.writer.body, self.judge.judge
        comments, states = self.comment_rows.append, self.state_rows.append
        for n in range(size):
            comment_id, status = first + n, fates[n]
            author = authors[n] = authors[n] if random() >= ANONYMOUS_SHARE else None
            parent = parents[n]
            if parent is not None:
                body = write(violation=_violation(rng, status), reply_to=names.get(authors[parent]))
                parent += first
            else:
                body = write(violation=_violation(rng, status))
            posted, roll = when(times[n]), random()
            comments(
                (comment_id, plan.id, parent, author, positions[n], order[n], posted, body.text,
                 body.html, HELD if roll < HELD_SHARE else PUBLISHED,
                 int(HELD_SHARE <= roll < HELD_SHARE + MISSING_SHARE), WXR, str(comment_id))
            )  # fmt: skip
            roll = random()
            if status == PENDING and body.violation is None and roll >= REOPENED_SHARE:
                states((comment_id, site.id, posted, PENDING, 0, None))  # most comments
                continue
            state = judge(status, body, times[n], roll, comment_id, site, plan.id, author)
            states((comment_id, site.id, posted, *state))

    def _flush(self) -> None:
        bulk = self.bulk
        bulk.insert(Comment, COMMENT_FIELDS, self.comment_rows)
        decisions, reasons, tags = self.judge.drain()
        bulk.insert(Decision, DECISION_FIELDS, decisions)
        bulk.insert(Decision.reasons.through, ["decision_id", "category_id"], reasons)
        bulk.insert(Tag, TAG_FIELDS, tags)
        bulk.insert(ModerationState, STATE_FIELDS, self.state_rows)
        self.comment_rows, self.state_rows = [], []

    # Commenters' blocks and records

    def _blocks(self) -> None:
        self.judge.block_offenders(max(1, self.sizes.commenters // 1000), self.site_of)
        self.bulk.insert(CommenterBlock, BLOCK_FIELDS, self.judge.blocks)

    def _records(self) -> None:
        judge, when = self.judge, self.bulk.when
        rows = []
        for commenter_id in self.names:
            blocked, until = judge.blocks_of.get(commenter_id, (0, None))
            rows.append(
                (commenter_id, judge.removals.get(commenter_id, 0),
                 int(commenter_id in judge.blocks_of), blocked, when(until) if until else None)
            )  # fmt: skip
        self.bulk.insert(CommenterRecord, RECORD_FIELDS, rows)

    # The audit log

    def _audit(self) -> None:
        """Every judgement's event, oldest first, chained onto the log's head with the same
        hash `audit.append` computes; the head row counts them."""
        events = sorted(self.judge.events)
        first = self.first[AuditEvent]
        previous = self.audit_head
        rows = []
        for n, event in enumerate(events):
            row = self._audit_row(first + n, event, previous)
            previous = row[-1]
            rows.append(row)
            if len(rows) >= FLUSH_EVERY:
                self.bulk.insert(AuditEvent, AUDIT_FIELDS, rows)
                rows = []
        self.bulk.insert(AuditEvent, AUDIT_FIELDS, rows)
        self.appended = len(events)

    def _count_appended(self) -> None:
        """The head row counts every event appended (`audit.append` adds one at a time)."""
        if not AuditHead.objects.filter(pk=1).update(appended=F("appended") + self.appended):
            AuditHead.objects.create(pk=1, appended=self.appended)

    def _audit_row(self, event_id: int, event: tuple, previous: str) -> tuple:
        at, _, actor, action, target_type, target_id, *refs, before, after, note = event
        site_id, article_id, comment_id, commenter_id = refs
        fields = types.SimpleNamespace(
            created_at=moment(at),
            actor_id=actor.pk,
            actor_name=actor.get_username(),
            action=action.value,
            target_type=target_type,
            target_id=target_id,
            site_id=site_id,
            article_id=article_id,
            comment_id=comment_id,
            commenter_id=commenter_id,
            before=before,
            after=after,
            note=note,
            request_id="",
            client_address=None,
            prev_hash=previous,
        )
        bulk = self.bulk
        return (
            event_id, bulk.when(at), fields.actor_id, fields.actor_name, fields.action,
            target_type, target_id, site_id, article_id, comment_id, commenter_id,
            bulk.json(before), bulk.json(after), note, "", None, previous,
            audit.compute_hash(fields),
        )  # fmt: skip

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


def _violation(rng: random.Random, status: str) -> str | None:
    """The category of the forbidden passage a comment that ends in `status` has, if any."""
    if rng.random() >= VIOLATION_CHANCE[status]:
        return None
    return KINDS[bisect(KIND_CUM, rng.random() * KIND_CUM[-1])]


def tree(rng: random.Random, size: int) -> tuple[list, list[str], list[int]]:
    """A thread of `size` comments in posting order: each one's parent (an index, or None),
    position as the page numbers it ("2", "2.1", "2.1.1") and place in reading order."""
    parents: list[int | None] = [None] * size
    positions = [""] * size
    depth = [0] * size
    replies: dict[int, list[int]] = {}
    roots = []
    for n in range(size):
        if n and rng.random() < REPLY_SHARE:
            parent = rng.randrange(max(0, n - RECENT), n)
            if depth[parent] >= MAX_DEPTH:
                parent = parents[parent]
            siblings = replies.setdefault(parent, [])
            siblings.append(n)
            parents[n], depth[n] = parent, depth[parent] + 1
            positions[n] = f"{positions[parent]}.{len(siblings)}"
        else:
            roots.append(n)
            positions[n] = str(len(roots))
    order = [0] * size
    stack = roots[::-1]
    for place in range(size):
        n = stack.pop()
        order[n] = place
        stack.extend(reversed(replies.get(n, ())))
    return parents, positions, order


def posting_times(rng: random.Random, start: int, size: int, window: int) -> list[int]:
    """When each comment was posted: most soon after the article, a long tail later; each
    strictly after the one before (so a reply is always after its parent)."""
    times = []
    last = start - 1
    for offset in sorted(rng.random() ** 3 for _ in range(size)):
        last = max(start + int(offset * window), last + 1)
        times.append(last)
    return times
