"""The comments as stored, read fast: `read_chunks` walks the filtered comments in id order,
a chunk at a time, with their tags, decisions and articles, as the database's own tuples
(no model instances, no per-value converters); `CommentTable` writes the comments table from
them as JSON Lines or CSV, the same bytes as encoding `Export.comment_rows()` row by row
(tests/moderation/test_export_table.py compares them), at several times the speed.

Why it is shaped so (see docs/decisions.md, "Scale (issue 9)"):

* One ordered query for the comments, read through Django's chunked cursor (a server-side
  cursor on PostgreSQL, `fetchmany` on SQLite), planned once. Keyset batches
  (`id > last ORDER BY id LIMIT n`) would be planned per batch, and SQLite, which keeps no
  statistics, leads a status filter with the state's status index and sorts what remains
  for every batch: quadratic in the filtered rows.
* Tags, decisions and articles of a chunk in one plain query each, with the chunk's ids as
  parameters: building an ORM `pk__in` lookup prepares every id in Python.
* The comments' times arrive as the text the export writes, made by the database
  (`times.IsoTime`); a row whose stored time has another shape has its times read again
  through the ORM.
* Most comments have no tag and no decision: their review columns depend on their site only
  and are encoded once per site. The other parts of a line are encoded with the JSON
  module's own string encoder, so a line is the one `json.dumps` wrote.
"""

import hashlib
import io
import json
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator
from functools import partial
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, NamedTuple

from django.db import connections
from django.db.models.sql.constants import MULTI

from archive.models import Article, Comment, Site
from moderation.export.reviews import DECIDED, Review
from moderation.export.times import (
    IsoTime,
    all_iso,
    checked,
    datetime_reader,
    from_iso,
    is_iso,
    iso_sql,
    times_in_sql,
)
from moderation.export.writers import _cell, _iso, csv_header, csv_row, csv_writer
from moderation.models import (
    CommentReview,
    Decision,
    GoldItem,
    Policy,
    ReviewRoute,
    Sample,
    Tag,
)

if TYPE_CHECKING:  # build imports this module, not the other way round
    from moderation.export.build import Export

# A comment as read: the order of the tuples `read_chunks` yields. The times are the text
# `_iso` writes (`times.IsoTime`).
COMMENT_VALUES = (
    "id",
    "article_id",
    "parent_id",
    "position",
    "posted_at",
    "body_text",
    "source_status",
    "moderation__status",
    "commenter__name",
    "decided_at",
)
# A sample's states in which its two reviews were compared.
COMPARED = ("agreed", "disagreed", "adjudicated")
# Articles (with their site's name) kept between chunks; past this many, forgotten, so
# memory does not grow with the export.
ARTICLES_KEPT = 256
# Review columns kept encoded, by what they depend on (see CommentTable), the least recently
# used forgotten first: a million generated comments have 1,068 keys; 512 kept this way miss
# 3,465 times (each a Review's columns made and encoded again), 256 cleared when full missed
# 15,563 times, and keeping all of them made memory grow with the export.
REVIEWS_KEPT = 512
_encode = json.JSONEncoder(ensure_ascii=False).encode


class ArticleInfo(NamedTuple):
    site_id: int
    site_name: str
    title: str
    url: str


class Chunk(NamedTuple):
    """Comments (COMMENT_VALUES tuples), their articles, and their tags and decisions by
    comment id (TAG_FIELDS, DECISION_FIELDS; times as datetimes)."""

    comments: list[tuple]
    articles: dict[int, ArticleInfo]
    tags: dict[int, list[tuple]]
    decisions: dict[int, list[tuple]]
    screening: dict[int, dict[int, float]]  # comment -> category -> combined score
    reviews: dict[int, list[tuple]] = {}  # comment -> REVIEW_FIELDS rows (never changed)
    designed: dict[int, "Designed"] = {}  # comment -> its designed overlap (see Designed)


def read_chunks(comments, size: int) -> Iterator[Chunk]:
    """The comments of a queryset in id order, `size` at a time: one query for all the
    comments (read as a stream), and per chunk one for their tags, one for their decisions
    and, for articles not seen yet, one for those."""
    connection = connections[comments.db]
    values = (
        comments.annotate(
            posted_iso=IsoTime("posted_at"),
            decided_iso=IsoTime("moderation__decision__created_at"),
        )
        .order_by("pk")
        .values_list(*COMMENT_VALUES[:4], "posted_iso", *COMMENT_VALUES[5:9], "decided_iso")
    )
    chunked = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    compiler = values.query.get_compiler(using=values.db)
    rows = compiler.execute_sql(MULTI, chunked_fetch=chunked, chunk_size=size)
    in_sql, check = times_in_sql(connection), checked(connection)
    articles: dict[int, ArticleInfo] = {}
    for chunk in rows or ():
        if not in_sql:
            chunk = _times_read_again(connection, chunk, {row[0] for row in chunk})
        elif check and not all_iso(
            [row[4] for row in chunk if row[4] is not None]
            + [row[9] for row in chunk if row[9] is not None]
        ):
            chunk = _times_read_again(connection, chunk, _odd(chunk))
        ids = [row[0] for row in chunk]
        missing = {row[1] for row in chunk} - articles.keys()
        if missing:
            if len(articles) + len(missing) > ARTICLES_KEPT:
                articles.clear()
                missing = {row[1] for row in chunk}
            articles.update(_articles(connection, missing))
        tags, decisions, reviews, designed = _actions(connection, ids, in_sql)
        yield Chunk(
            chunk, articles, tags, decisions, _screening(comments.db, ids), reviews, designed
        )


def _screening(db: str, ids: list[int]) -> dict[int, dict[int, float]]:
    """The chunk's screening scores combined per comment and category (one query)."""
    from moderation.models import ScreeningScore
    from moderation.screening.sources import combine

    by_source: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    rows = ScreeningScore.objects.using(db).filter(comment_id__in=ids)
    for comment, category, source, score in rows.values_list(
        "comment_id", "category_id", "source", "score"
    ):
        by_source[comment, category][source] = score
    combined: dict[int, dict[int, float]] = defaultdict(dict)
    for (comment, category), scores in by_source.items():
        combined[comment][category] = round(combine(scores), 4)
    return combined


def _odd(chunk: list[tuple]) -> set[int]:
    """The comments whose time texts are not of the shape `_iso` writes."""
    return {
        row[0]
        for row in chunk
        if (row[4] is not None and not is_iso(row[4]))
        or (row[9] is not None and not is_iso(row[9]))
    }


def _times_read_again(connection, chunk: list[tuple], odd: set[int]) -> list[tuple]:
    """The chunk with the times of these comments read through the ORM (Django's own
    converters), as `_iso` writes them."""
    times = {
        pk: (_iso(posted), _iso(decided))
        for pk, posted, decided in Comment.objects.using(connection.alias)
        .filter(pk__in=odd)
        .values_list("pk", "posted_at", "moderation__decision__created_at")
    }
    return [
        (*row[:4], times[row[0]][0], *row[5:9], times[row[0]][1]) if row[0] in odd else row
        for row in chunk
    ]


def _articles(connection, ids: set[int]) -> dict[int, ArticleInfo]:
    """These articles with their site's name: one plain query (the ORM's took longer to
    build than to run, once a chunk)."""
    quote = connection.ops.quote_name
    article, site = quote(Article._meta.db_table), quote(Site._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.id, a.site_id, s.name, a.title, a.source_url FROM {article} a "
            f"INNER JOIN {site} s ON s.id = a.site_id "
            f"WHERE a.id IN ({', '.join(['%s'] * len(ids))})",
            list(ids),
        )
        return {pk: ArticleInfo(*info) for pk, *info in cursor.fetchall()}


def _actions(connection, ids: list[int], in_sql: bool):
    """Tags, decisions (one row per decision and reason) and reviews (one row per review
    and positive category) of these comments, grouped by comment, in the comment's order,
    as TAG_FIELDS, DECISION_FIELDS and REVIEW_FIELDS. Their times are
    read as `iso_sql` writes them when the database does (`in_sql`) and every one has the
    shape `_iso` writes; else as stored, through Django's converter."""
    if ids[-1] - ids[0] < 2 * len(ids):
        # Dense ids (an export of everything, or nearly): one range, not an id each. Rows
        # of comments in the range but not in the chunk are grouped too, never looked up.
        among, ids = "BETWEEN %s AND %s", [ids[0], ids[-1]]
    else:
        among = f"IN ({', '.join(['%s'] * len(ids))})"
    with connection.cursor() as cursor:
        designed = _designed_rows(cursor, among, ids)
        if in_sql:
            rows = _action_rows(cursor, among, ids, partial(iso_sql, connection))
            tags, decisions, reviews = rows
            times = [t for row in tags for t in row[6:8] if t is not None]
            times += [row[2] for row in decisions] + [row[2] for row in reviews]
            if not checked(connection) or all_iso(times):
                return *_grouped(*rows, from_iso), designed
        rows = _action_rows(cursor, among, ids, lambda column: column)
        return *_grouped(*rows, datetime_reader(connection)), designed


# A comment in the designed overlap: why (its sample's reason, or gold), and its designed
# labels, {moderator: {category id: label}}: what the first and the blind second reviewer
# gave, as compared when the second review was recorded (later changes of mind are in the
# labels, not here); each blind gold review's own labels. Empty while a sample waits, and
# for a void one (its first judgement withdrawn: nothing compared).
Designed = tuple[str, dict[int, dict[int, int]]]


def designed_of(connection, ids: list[int]) -> dict[int, Designed]:
    """`_designed_rows` for these comments (any order), in their own query."""
    ids = sorted(ids)
    if not ids:
        return {}
    with connection.cursor() as cursor:
        return _designed_rows(cursor, f"IN ({', '.join(['%s'] * len(ids))})", ids)


def _designed_rows(cursor, among: str, ids: list) -> dict[int, Designed]:
    """The comments in the designed overlap among these (one query): drawn ones with the
    labels their two reviews were compared on, gold items with their blind reviews' labels.
    A comment both drawn and gold keeps its sample's reason, and the labels of both."""
    quote = cursor.db.ops.quote_name
    sample, gold = quote(Sample._meta.db_table), quote(GoldItem._meta.db_table)
    review = quote(CommentReview._meta.db_table)
    positive = quote(CommentReview.positives.through._meta.db_table)
    routes = f"'{ReviewRoute.GOLD}', '{ReviewRoute.SECOND}'"
    cursor.execute(
        f"SELECT s.comment_id, s.reason, s.state, s.first_reviewer_id, s.second_reviewer_id, "
        f"s.first_labels, s.second_labels, NULL, NULL, NULL, NULL "
        f"FROM {sample} s WHERE s.comment_id {among} "
        f"UNION ALL SELECT g.comment_id, 'gold', NULL, NULL, NULL, NULL, NULL, "
        f"r.moderator_id, r.id, r.available, rp.category_id FROM {gold} g "
        f"LEFT OUTER JOIN {review} r ON r.comment_id = g.comment_id AND r.route IN ({routes}) "
        f"LEFT OUTER JOIN {positive} rp ON rp.commentreview_id = r.id "
        f"WHERE g.comment_id {among}",
        ids + ids,
    )
    found: dict[int, Designed] = {}
    gold_reviews: dict[int, tuple] = {}  # review id -> (comment, moderator, available, cited)
    for row in cursor.fetchall():
        comment_id, reason, state, first, second, first_labels, second_labels = row[:7]
        moderator, review_id, available, category = row[7:]
        was = found.get(comment_id)
        labels = was[1] if was else {}
        if was is None or was[0] == "gold":
            found[comment_id] = (reason, labels)
        if reason != "gold":
            if state in COMPARED:
                labels[first] = _labels(first_labels)
                labels[second] = _labels(second_labels)
        elif review_id is not None:
            kept = gold_reviews.setdefault(review_id, (comment_id, moderator, available, set()))
            if category is not None:
                kept[3].add(category)
    for comment_id, moderator, available, cited in gold_reviews.values():
        if isinstance(available, str):
            available = json.loads(available)
        found[comment_id][1].setdefault(
            moderator, {category: int(category in cited) for category in available or ()}
        )
    return found


def _labels(stored) -> dict[int, int]:
    """A sample's compared labels, stored as JSON {category id: label}."""
    if isinstance(stored, str):
        stored = json.loads(stored)
    return {int(category): label for category, label in (stored or {}).items()}


def _action_rows(cursor, among: str, ids: list, time: Callable) -> tuple[list, list, list]:
    """The rows of the tags, decisions and reviews, their times selected as
    `time(column)`."""
    quote = cursor.db.ops.quote_name
    tag, policy = quote(Tag._meta.db_table), quote(Policy._meta.db_table)
    decision = quote(Decision._meta.db_table)
    reason = quote(Decision.reasons.through._meta.db_table)
    review = quote(CommentReview._meta.db_table)
    positive = quote(CommentReview.positives.through._meta.db_table)
    cursor.execute(
        f"SELECT t.comment_id, t.moderator_id, t.category_id, t.span_start, t.span_end, "
        f"t.quoted_text, {time('t.created_at')}, {time('t.retracted_at')}, p.version "
        f"FROM {tag} t INNER JOIN {policy} p ON p.id = t.policy_id "
        f"WHERE t.comment_id {among} ORDER BY t.comment_id, t.created_at, t.id",
        ids,
    )
    tags = cursor.fetchall()
    cursor.execute(
        f"SELECT d.comment_id, d.moderator_id, {time('d.created_at')}, d.id, d.status, "
        f"r.category_id FROM {decision} d LEFT OUTER JOIN {reason} r ON r.decision_id = d.id "
        f"WHERE d.comment_id {among} ORDER BY d.comment_id, d.version, d.id",
        ids,
    )
    decisions = cursor.fetchall()
    cursor.execute(
        f"SELECT r.comment_id, r.moderator_id, {time('r.created_at')}, r.id, p.version, "
        f"r.available, rp.category_id FROM {review} r INNER JOIN {policy} p "
        f"ON p.id = r.policy_id LEFT OUTER JOIN {positive} rp ON rp.commentreview_id = r.id "
        f"WHERE r.comment_id {among} ORDER BY r.comment_id, r.created_at, r.id",
        ids,
    )
    return tags, decisions, cursor.fetchall()


def _grouped(tags: list, decisions: list, reviews: list, to_datetime: Callable) -> tuple:
    by_comment_reviews = defaultdict(list)
    for comment, mod, created, pk, version, available, category in reviews:
        if isinstance(available, str):  # JSON as text (SQLite; PostgreSQL through Django)
            available = json.loads(available)
        by_comment_reviews[comment].append(
            (comment, mod, to_datetime(created), pk, version, available, category)
        )
    by_comment_tags, by_comment_decisions = defaultdict(list), defaultdict(list)
    for *row, created, retracted, version in tags:
        by_comment_tags[row[0]].append(
            (*row, to_datetime(created), to_datetime(retracted), version)
        )
    for comment, mod, created, *rest in decisions:
        by_comment_decisions[comment].append((comment, mod, to_datetime(created), *rest))
    return by_comment_tags, by_comment_decisions, by_comment_reviews


def _inner(values: dict) -> str:
    """A dict's JSON without its braces: consecutive parts of an object join with ", "."""
    return _encode(values)[1:-1]


class CommentTable:
    """The comments table of one stream, written from `read_chunks`: a block of lines (or
    CSV rows) per chunk. Values come out as `Export._comment_row` makes them.

    The review columns other than `status`, `decided_at` and `spans` (the comment's own:
    passages quote it) are a function of the comment's site, its number of reviewers, its
    vote fractions, its any_violation and its policy version: they are made once per such
    key, encoded, and kept (up to REVIEWS_KEPT keys); only a comment's passages are encoded
    for it. A comment without tags or decisions, most of them, needs no Review: its key is
    its site, and without a decision time its whole review part is kept by site and
    status."""

    def __init__(self, export: "Export"):
        self.export = export
        self._authors: dict[str, Callable] = {}
        # review key -> its encoded parts, the least recently used forgotten first
        self._kept: OrderedDict[tuple, tuple] = OrderedDict()
        # site -> status -> a plain comment's encoded review part (JSON text or CSV cells)
        self._plain: dict[int, dict[str, str | tuple]] = defaultdict(dict)
        # site -> the screening part of a comment without scores
        self._unscreened: dict[int, str] = {}

    def _author(self, site_name: str) -> Callable:
        if site_name not in self._authors:
            self._authors[site_name] = self.export.pseudonyms.commenters(site_name)
        return self._authors[site_name]

    def _review(self, comment_id: int, site_id: int, chunk: Chunk) -> tuple:
        """(key, Review): the Review is None for a comment without tags or decisions."""
        export = self.export
        tags = export.mine(chunk.tags.get(comment_id, ()))
        decisions = export.mine(chunk.decisions.get(comment_id, ()))
        reviews = export.mine(chunk.reviews.get(comment_id, ()))
        designed = chunk.designed.get(comment_id)
        if not tags and not decisions and not reviews and designed is None:
            return (site_id,), None
        review = Review(
            site_id, export._by_site.get(site_id, []), tags, decisions, export.policies, reviews
        )
        review.sample = designed[0] if designed else None
        # A site's categories are always the same, in the same order: their ids go without.
        # any_violation is not a function of the fractions (two positives may be one
        # reviewer's or two reviewers'), so it is part of the key.
        key = (
            site_id,
            len(review.reviewers),
            review.policy_version,
            review.any_violation(),
            review.sample,
            *review.fractions().values(),
        )
        return key, review

    def _around(self, key: tuple, site_id: int, review: Review | None, encode: Callable):
        """The review columns before `status`, between `decided_at` and `spans`, and after
        `spans`, each passed to `encode` (kept by key)."""
        around = self._kept.get(key)
        if around is not None:
            self._kept.move_to_end(key)
        else:
            export = self.export
            if review is None:
                review = Review(site_id, export._by_site.get(site_id, []), (), (), export.policies)
            columns = export._review_columns(review, None, None)
            names = list(columns)
            at, spans = names.index("status"), names.index("spans")
            around = self._kept[key] = tuple(
                encode({name: columns[name] for name in part})
                for part in (names[:at], names[at + 2 : spans], names[spans + 1 :])
            )
            if len(self._kept) > REVIEWS_KEPT:
                self._kept.popitem(last=False)
        return around

    @staticmethod
    def _plain_in(cid: int, chunk: Chunk) -> bool:
        """Whether a comment has nothing of its own in its review columns: no tag, decision
        or review, and not in the designed overlap."""
        return (
            cid not in chunk.tags
            and cid not in chunk.decisions
            and cid not in chunk.reviews
            and cid not in chunk.designed
        )

    def _review_json(self, cid: int, status: str, decided: str | None, site_id: int, chunk):
        """The comment's review columns, encoded, from `reviewed` to the end."""
        # No tag, no decision, no decision time: the part is its site's and status'.
        plain = decided is None and self._plain_in(cid, chunk)
        if plain and status in self._plain[site_id]:
            return self._plain[site_id][status]
        key, review = self._review(cid, site_id, chunk)
        before, between, after = self._around(key, site_id, review, _inner)
        spans = _encode(self.export._spans(review)) if review and review.span_tags else "[]"
        # A time as `_iso` writes it holds nothing JSON escapes.
        decided = "null" if decided is None else f'"{decided}"'
        part = (
            f'{before}, "status": {encode_basestring(status)}, "decided_at": {decided}, '
            f'{between}, "spans": {spans}, {after}'
        )
        if plain:
            self._plain[site_id][status] = part
        return part

    def _review_cells(self, cid: int, status: str, decided: str | None, site_id: int, chunk):
        """The comment's review cells, from `reviewed` to the end."""
        plain = decided is None and self._plain_in(cid, chunk)
        if plain and status in self._plain[site_id]:
            return self._plain[site_id][status]
        key, review = self._review(cid, site_id, chunk)
        before, between, after = self._around(key, site_id, review, _cells)
        spans = self.export._spans(review) if review else []
        # csv_row writes None as the null cell, as _cell does.
        cells = (*before, status, decided, *between, _cell(spans), *after)
        if plain:
            self._plain[site_id][status] = cells
        return cells

    def _screening_json(self, site_id: int, scores: dict | None) -> str:
        """The screening columns, encoded; a comment without scores (most) takes its site's,
        made once."""
        if not scores:
            if site_id not in self._unscreened:
                self._unscreened[site_id] = _inner(self.export.screening_columns(site_id, None))
            return self._unscreened[site_id]
        return _inner(self.export.screening_columns(site_id, scores))

    def _article(self, article_id: int, chunk: Chunk, kept: dict) -> tuple:
        """An article's columns encoded, its commenters' pseudonyms, its site's id, and its
        site's plain review parts by status."""
        if article_id not in kept:
            if len(kept) >= ARTICLES_KEPT:
                kept.clear()
            article = chunk.articles[article_id]
            columns = {
                "site": article.site_name,
                "article_id": article_id,
                "article_title": article.title,
                "article_url": article.url or None,
            }
            site_name, site_id = article.site_name, article.site_id
            kept[article_id] = (
                _inner(columns),
                self._author(site_name),
                site_id,
                self._plain[site_id],
            )
        return kept[article_id]

    def jsonl(self, chunks: Iterator[Chunk]) -> Iterator[bytes]:
        """JSON Lines, a block of lines per chunk. The lookups that nearly always hit (the
        article's encoded columns, a plain comment's review part) are made here, not in a
        method call: this loop runs once per comment."""
        sha256, enc = hashlib.sha256, encode_basestring
        articles: dict[int, tuple] = {}
        for chunk in chunks:
            lines = []
            append = lines.append
            comments, plain_in = chunk.comments, self._plain_in
            for cid, art, parent, pos, posted, text, source, status, name, decided in comments:
                if status not in DECIDED:  # pending or escalated: no decided_at
                    decided = None
                article = articles.get(art) or self._article(art, chunk, articles)
                columns, author, site_id, plain = article
                review = None
                if decided is None and plain_in(cid, chunk):
                    review = plain.get(status)
                if review is None:
                    review = self._review_json(cid, status, decided, site_id, chunk)
                # A time as `_iso` writes it, and a hex digest, hold nothing JSON escapes.
                posted = "null" if posted is None else f'"{posted}"'
                append(
                    f'{{"comment_id": {cid}, {columns}, "position": {enc(pos)}, '
                    f'"parent_id": {"null" if parent is None else parent}, '
                    f'"depth": {pos.count(".")}, '
                    f'"author": {"null" if name is None else enc(author(name))}, '
                    f'"posted_at": {posted}, '
                    f'"source_status": {enc(source)}, "text": {enc(text)}, '
                    f'"text_sha256": "{sha256(text.encode()).hexdigest()}", {review}, '
                    f"{self._screening_json(site_id, chunk.screening.get(cid))}}}\n"
                )
            if lines:
                yield "".join(lines).encode()

    def csv(self, chunks: Iterator[Chunk], columns: list[str]) -> Iterator[bytes]:
        """CSV as `writers.write_csv` writes it, a block of rows per chunk."""
        sha256 = hashlib.sha256
        yield csv_header(columns)
        buffer = io.StringIO()
        writer = csv_writer(buffer)
        articles: dict[int, tuple] = {}
        for chunk in chunks:
            buffer.seek(0)
            buffer.truncate()
            rows = []
            comments = chunk.comments
            for cid, art, parent, pos, posted, text, source, status, name, decided in comments:
                if status not in DECIDED:  # pending or escalated: no decided_at
                    decided = None
                _, author, site_id, _ = self._article(art, chunk, articles)
                article = chunk.articles[art]
                # csv_row writes None as the null cell, as _cell does.
                rows.append(
                    csv_row(
                        (
                            cid,
                            article.site_name,
                            art,
                            article.title,
                            article.url or None,
                            pos,
                            parent,
                            pos.count("."),
                            None if name is None else author(name),
                            posted,
                            source,
                            text,
                            sha256(text.encode()).hexdigest(),
                            *self._review_cells(cid, status, decided, site_id, chunk),
                            *self.export.screening_columns(
                                site_id, chunk.screening.get(cid)
                            ).values(),
                        )
                    )
                )
            writer.writerows(rows)
            yield buffer.getvalue().encode()


def _cells(columns: dict) -> tuple:
    return tuple(_cell(value) for value in columns.values())
