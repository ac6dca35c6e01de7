"""Comments, thread by thread, with their states and judgements: the bulk of a corpus's rows,
made in chunks of articles that depend on nothing but their own seed, so that worker
processes can make them while the loading process writes the ones before.

A chunk's decisions and tags are numbered from 0 (the loader moves them after the ids
already given, `Made.shift`); its comment ids are its own from the start (every chunk's
size is known in advance). Nothing here touches the database: a worker process inherits
`Context` from the loader (the sites, commenters and text pool are made once) and must
never use the loader's database connection.
"""

import random
from bisect import bisect
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate
from typing import NamedTuple

from archive.models import Source, SourceStatus
from moderation.corpus.judgements import (
    APPROVED,
    ESCALATED,
    PENDING,
    REMOVED,
    REOPENED_SHARE,
    Judge,
)
from moderation.corpus.text import VIOLATIONS, Writer

DAY = 24 * 3600
LONG_THREAD = 5_000  # comments on the one long thread (at 50,000 comments and more)
# Threads: the share of replies, how far back a reply looks for its parent, how deep.
REPLY_SHARE, RECENT, MAX_DEPTH = 0.3, 30, 8
# Statuses comments end in, and the share of each that has a forbidden passage.
FATES = [PENDING, APPROVED, REMOVED, ESCALATED]
FATE_CUM = list(accumulate([90, 5.5, 3.5, 1]))
VIOLATION_CHANCE = {PENDING: 0.06, APPROVED: 0.1, REMOVED: 0.92, ESCALATED: 0.6}
KINDS = list(VIOLATIONS)
KIND_CUM = list(accumulate([35, 45, 20]))
KIND_TOTAL = KIND_CUM[-1]
ANONYMOUS_SHARE, HELD_SHARE, MISSING_SHARE = 0.05, 0.01, 0.002
# Plain strings and ints, not enums and bools: the drivers adapt subclasses slowly.
WXR, HELD, PUBLISHED = Source.WXR.value, SourceStatus.HELD.value, SourceStatus.PUBLISHED.value


class Actor(NamedTuple):
    """A user as the rows and the audit log name them (no model: no lazy queries)."""

    pk: int
    username: str


class Article(NamedTuple):
    id: int
    site: int  # index into Context.sites
    published: int  # seconds since 1970
    size: int  # comments


@dataclass
class Context:
    """What every chunk reads: made by the loader before any chunk, then never changed."""

    seed: int
    sites: list  # moderation.corpus.build.SiteInfo
    names: dict[int, str]  # commenter id -> name
    writer: Writer
    moderators: list[Actor]
    admin: Actor
    when: object  # seconds -> the value a time column takes (Bulk.when)


@dataclass(frozen=True)
class Chunk:
    index: int
    first_comment: int
    articles: tuple[Article, ...]

    @property
    def size(self) -> int:
        return sum(a.size for a in self.articles)


@dataclass
class Made:
    """A chunk's rows (decisions and tags numbered from 0) and its effect on commenters."""

    comments: list = field(default_factory=list)
    states: list = field(default_factory=list)
    decisions: list = field(default_factory=list)
    reasons: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    events: list = field(default_factory=list)
    judged: list = field(default_factory=list)  # the indexes in `states` of judged comments
    removals: Counter = field(default_factory=Counter)
    last_removal: dict = field(default_factory=dict)

    def shift(self, decision: int, tag: int) -> None:
        """Give the chunk's decisions and tags their ids: the first free ones, in order."""
        self.decisions = [(d[0] + decision, *d[1:]) for d in self.decisions]
        self.reasons = [(r[0] + decision, r[1]) for r in self.reasons]
        self.tags = [(t[0] + tag, *t[1:]) for t in self.tags]
        states = self.states
        for n in self.judged:  # the states of the comments judged (one in ten), not all
            state = states[n]
            if state[5] is not None:
                states[n] = (*state[:5], state[5] + decision, *state[6:])
        # (time, chunk, order, actor id, actor name, action, target type, target id, …)
        self.events = [
            e if e[6] != "tag" else (*e[:7], str(int(e[7]) + tag), *e[8:]) for e in self.events
        ]


# Set in the loader before worker processes start (they inherit it), or before the loader
# makes chunks itself.
CONTEXT: Context | None = None


def make(chunk: Chunk) -> Made:
    """One chunk's rows, the same for the same seed and chunk whoever makes it."""
    context = CONTEXT
    rng = random.Random(f"{context.seed}:{chunk.index}")
    judge = Judge(rng, context.moderators, context.admin, {"decision": 0, "tag": 0}, context.when)
    made = Made()
    first = chunk.first_comment
    for article in chunk.articles:
        thread(rng, context, judge, made, article, first)
        first += article.size
    made.decisions, made.reasons, made.tags = judge.drain()
    made.events = [(at, chunk.index, *rest) for at, *rest in judge.events]
    made.removals, made.last_removal = judge.removals, judge.last_removal
    return made


def thread(rng, context: Context, judge: Judge, made: Made, article: Article, first: int):
    """One article's comments with their states (and judgements, for the few judged). The
    hot loop of the load: locals over attributes, nothing done twice, no call that is not
    needed (`violation` is written out here; most comments are one paragraph, as it is)."""
    size, site, random_ = article.size, context.sites[article.site], rng.random
    parents, positions, order = tree(rng, size)
    window = (14 if size >= LONG_THREAD else 5) * DAY
    times = posting_times(rng, article.published + 600, size, window)
    posted_at = context.when.many(times)
    authors = rng.choices(site.commenter_ids, cum_weights=site.cum_weights, k=size)
    fates = rng.choices(FATES, cum_weights=FATE_CUM, k=size)
    names, write, decide = context.names, context.writer.body, judge.judge
    comments, states, judged = made.comments.append, made.states.append, made.judged.append
    site_id, article_id = site.id, article.id
    for n in range(size):
        comment_id, status = first + n, fates[n]
        author = authors[n] = authors[n] if random_() >= ANONYMOUS_SHARE else None
        kind = None
        if random_() < VIOLATION_CHANCE[status]:
            kind = KINDS[bisect(KIND_CUM, random_() * KIND_TOTAL)]
        parent = parents[n]
        if parent is not None:
            body = write(rng, kind, names.get(authors[parent]))
            parent += first
        else:
            body = write(rng, kind)
        posted, roll = posted_at[n], random_()
        comments(
            (comment_id, article_id, parent, author, positions[n], order[n], posted, body[0],
             body[1], HELD if roll < HELD_SHARE else PUBLISHED,
             int(HELD_SHARE <= roll < HELD_SHARE + MISSING_SHARE), WXR, str(comment_id))
        )  # fmt: skip
        roll = random_()
        if status == PENDING and kind is None and roll >= REOPENED_SHARE:
            states((comment_id, site_id, posted, PENDING, 0, None, article_id, author))  # most
            continue
        state = decide(status, body, times[n], roll, comment_id, site, article_id, author)
        judged(len(made.states))
        states((comment_id, site_id, posted, *state, article_id, author))


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
