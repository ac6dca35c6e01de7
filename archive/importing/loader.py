"""Writes parsed records to the database: one transaction per source file, upsert by source key.

Re-importing the same file changes nothing; an updated file updates rows in place, so the
primary keys that moderation data points at never change; comments missing from a newer
file are kept and reported, never deleted.

Records are written in chunks of whole articles (about `CHUNK` comments): a chunk costs a
few queries whatever it holds (its articles looked up and inserted, its commenters, the
comments of the articles already stored, the new comments one insert per thread depth, the
changed ones one update), never one per comment; new ones are inserted returning their
ids (PostgreSQL, SQLite 3.35+). A streamed source (`SourceStream`, a WordPress export) is
loaded as it is read, so only a chunk of it is ever in memory; a failure anywhere in it
rolls the whole file back.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db import connection, transaction

from archive.importing import bulk
from archive.importing.records import (
    SOURCE_PAGE,
    ArticleRecord,
    ImportFailure,
    Notice,
    ParsedSource,
    SourceStream,
)
from archive.models import (
    POSITION_MAX_LENGTH,
    Article,
    Comment,
    Commenter,
    Site,
    SourceStatus,
)
from archive.signals import comments_imported, comments_stored

# progress(done, total): see archive.importing.formats for what the two numbers count.
Progress = Callable[[int, int], None]

_COMMENT_FIELDS = (
    "parent_id", "commenter_id", "position", "thread_order", "posted_at",
    "body_text", "body_html", "source_status", "missing_from_source",
)  # fmt: skip
_ARTICLE_FIELDS = (
    "title", "deck", "byline", "author_bio", "published_at", "source_url", "body",
)  # fmt: skip
_IN_CHUNK = 500  # stay far below every database's limit on query parameters
CHUNK = 2_000  # comments written per chunk (a chunk holds whole articles, at most _IN_CHUNK)
_NAMES_KEPT = 100_000  # commenter ids remembered across chunks (then looked up again)


@dataclass
class LoadReport:
    site: str = ""
    articles_created: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    comments_created: int = 0
    comments_updated: int = 0
    comments_unchanged: int = 0
    commenters_created: int = 0
    site_created: bool = False  # the file's site was made by this import
    kept_missing: list[str] = field(default_factory=list)  # in the database, not in this file
    article_ids: list[int] = field(default_factory=list)  # the file's articles, as stored
    # What the file holds that was cut or left out (the parser's warnings), and how many more
    # there were past the first 10,000 (counted, not listed).
    warnings: list[Notice] = field(default_factory=list)
    unlisted_warnings: int = 0
    # The site's posted policy text before and after, when this file changed it.
    policy_change: tuple[str, str] | None = None

    @property
    def changed(self) -> bool:
        return bool(
            self.articles_created or self.articles_updated or self.comments_created
            or self.comments_updated or self.commenters_created
        )  # fmt: skip

    def summary(self) -> str:
        return (
            f"{self.site}: articles {self.articles_created} new, {self.articles_updated} updated, "
            f"{self.articles_unchanged} unchanged; comments {self.comments_created} new, "
            f"{self.comments_updated} updated, {self.comments_unchanged} unchanged; "
            f"commenters {self.commenters_created} new"
        )


def load(
    parsed: ParsedSource | SourceStream,
    *,
    site_name: str,
    site_domain: str = "",
    origin: str = "",
    user=None,
    progress: Progress | None = None,
) -> LoadReport:
    """Write `parsed` in one transaction and return what changed. Raises ImportFailure, and
    writes nothing, when the records contradict themselves (a reply to an unknown comment).

    `parsed` is a ParsedSource with its articles in a list, or a SourceStream, loaded as it
    is read. `progress(done, total)` is called after each chunk: comments written and the
    source's comments, or for a stream the bytes read and the file's size."""
    if isinstance(parsed, SourceStream):
        stream, source = parsed, parsed.header()
        articles: Iterable[ArticleRecord] = stream.articles()
        where = stream.position
    else:
        stream, source = None, parsed
        articles, where = parsed.articles, _Counted(parsed.comment_count)
    report = LoadReport(site=site_name)
    with transaction.atomic():
        site = _upsert_site(
            site_name, site_domain or source.site_domain, source.policy_text, report
        )
        report.site = site.name
        writer = _Writer(site, source.source, report)
        for chunk in _chunks(articles):
            writer.write(chunk)
            if stream is None:
                where.done += sum(len(a.comments) for a in chunk)
            if progress:
                progress(*where())
        if stream and not site_domain and source.site_domain not in ("", site.domain):
            # The export named its site's address after its first post: as if before.
            _upsert_site(site.name, source.site_domain, "", report)
        report.warnings = list(source.warnings)  # a stream's are known once it is read
        report.unlisted_warnings = source.unlisted_warnings
        comments_imported.send(
            sender=Site, site=site, source=source.source, origin=origin, report=report, user=user
        )
    return report


class _Counted:
    """Progress through a source in a list: comments written, of all."""

    def __init__(self, total: int):
        self.done, self.total = 0, total

    def __call__(self) -> tuple[int, int]:
        return self.done, self.total


def _chunks(articles: Iterable[ArticleRecord]):
    """Lists of whole articles of about CHUNK comments, each article checked; an article
    whose key is already in the list starts the next (the second updates the first)."""
    chunk: list[ArticleRecord] = []
    keys: set[str] = set()
    size = 0
    for article in articles:
        check_article(article)
        if chunk and (
            size + len(article.comments) > CHUNK or len(chunk) >= _IN_CHUNK or article.key in keys
        ):
            yield chunk
            chunk, keys, size = [], set(), 0
        chunk.append(article)
        keys.add(article.key)
        size += len(article.comments)
    if chunk:
        yield chunk


def check_article(article: ArticleRecord) -> None:
    """Raise ImportFailure for an article whose comments contradict themselves: a key twice,
    a reply before what it answers, a thread too deep to number."""
    seen: set[str] = set()
    for comment in article.comments:
        if len(comment.position) > POSITION_MAX_LENGTH:
            raise ImportFailure(
                f"comment {comment.key!r} is nested too deep to number "
                f"({comment.position.count('.') + 1} levels)",
                line=comment.line,
            )
        if comment.key in seen:
            raise ImportFailure(
                f"comment {comment.key!r} appears twice in article {article.key!r}",
                line=comment.line,
            )
        if comment.parent_key is not None and comment.parent_key not in seen:
            raise ImportFailure(
                f"comment {comment.key!r} replies to {comment.parent_key!r}, "
                f"which does not come before it in article {article.key!r}",
                line=comment.line,
            )
        seen.add(comment.key)


def _upsert_site(name: str, domain: str, policy_text: str, report: LoadReport) -> Site:
    # "asbarez" on the command line is the Asbarez already here, not a second site.
    # Written without Site's post_save: what moderation does for a new site or a new policy
    # text (a policy version, on the record) comes at the end of the import, with its own
    # record (comments_imported): the audit log's head is locked from its first event to the
    # commit, and an import holding it all along would stop every moderator's action.
    site = Site.objects.filter(name__iexact=name).order_by("pk").first()
    if site is None:
        # A concurrent import of the same new site: wait for it, then take its row.
        Site.objects.bulk_create([Site(name=name, domain=domain)], ignore_conflicts=True)
        site = Site.objects.filter(name__iexact=name).order_by("pk").first()
        report.site_created = True
    changed = []
    if domain and site.domain != domain:
        site.domain = domain
        changed.append("domain")
    # A page without the policy block (or an export) never blanks a policy already known.
    if policy_text and site.policy_text != policy_text:
        # Reported: the posted policy is what moderators judge by.
        report.policy_change = (site.policy_text, policy_text)
        site.policy_text = policy_text
        changed.append("policy_text")
    if changed:
        Site.objects.filter(pk=site.pk).update(**{name: getattr(site, name) for name in changed})
    return site


def _article_values(record: ArticleRecord) -> dict:
    values = {name: getattr(record, name) or _empty(name) for name in _ARTICLE_FIELDS}
    # The thread page links to it: only a web address may become a link.
    if not values["source_url"].lower().startswith(("http://", "https://")):
        values["source_url"] = ""
    return values


def _empty(name):
    return None if name == "published_at" else ""


def _stored(objects: list, queryset, lookup: str, key) -> None:
    """Give objects just bulk-inserted their ids, where the database did not return them
    (SQLite before 3.35): looked up in `queryset` by their unique key."""
    missing = [o for o in objects if o.pk is None]
    for i in range(0, len(missing), _IN_CHUNK):
        part = {key(o): o for o in missing[i : i + _IN_CHUNK]}
        for found in queryset.filter(**{lookup: list(part)}):
            part[key(found)].pk = found.pk


class _Writer:
    """Writes the chunks of one source's records for one site."""

    def __init__(self, site: Site, source: str, report: LoadReport):
        self.site, self.source, self.report = site, source, report
        self.commenter_ids: dict[str, int] = {}

    def write(self, records: list[ArticleRecord]) -> None:
        articles, stored = self._articles(records)
        commenters = self._commenters(records)
        created, updated = self._comments(records, articles, stored)
        comments_stored.send(
            sender=Site,
            site=self.site,
            source=self.source,
            created=created,
            updated=updated,
            commenters=commenters,
        )
        # With DEBUG on, Django keeps the SQL of its last 9,000 queries, and an insert's SQL
        # holds its rows: that would keep most of a big file. Unless someone is counting
        # queries (a test's CaptureQueriesContext), it goes with its chunk.
        if not connection.force_debug_cursor:
            connection.queries_log.clear()

    def _articles(self, records: list[ArticleRecord]) -> tuple[list[Article], set[int]]:
        """The records' articles as stored (inserted or updated as needed), in their order,
        and the ids of those that were stored before."""
        report = self.report
        existing = {
            a.source_key: a
            for a in Article.objects.filter(
                site=self.site, source=self.source, source_key__in=[r.key for r in records]
            )
        }
        stored = {a.pk for a in existing.values()}
        articles, new, changed, fields = [], [], [], set()
        for record in records:
            values = _article_values(record)
            article = existing.get(record.key)
            if article is None:
                article = Article(
                    site=self.site, source=self.source, source_key=record.key, **values
                )
                new.append(article)
                report.articles_created += 1
            else:
                if self.source == SOURCE_PAGE and article.title != values["title"]:
                    # A capture's key is its file's name, and names repeat ("capture.txt",
                    # "Untitled.txt"): another page under the same name would take this
                    # article's place, and its comments would be kept as "missing".
                    raise ImportFailure(
                        f"a capture named {record.key!r} was imported before with the title "
                        f"{article.title[:80]!r}, and this one is titled "
                        f"{values['title'][:80]!r}: rename the file to import it as another "
                        "article (its name is the article's key)"
                    )
                differ = [name for name, value in values.items() if getattr(article, name) != value]
                for name in differ:
                    setattr(article, name, values[name])
                if differ:
                    changed.append(article)
                    fields.update(differ)
                    report.articles_updated += 1
                else:
                    report.articles_unchanged += 1
            articles.append(article)
        Article.objects.bulk_create(new)
        mine = Article.objects.filter(site=self.site, source=self.source)
        _stored(new, mine, "source_key__in", lambda a: a.source_key)
        if changed:
            Article.objects.bulk_update(changed, sorted(fields))
        report.article_ids.extend(a.pk for a in articles)
        return articles, stored

    def _commenters(self, records: list[ArticleRecord]) -> list[Commenter]:
        """Look up the ids of the records' commenters (one per name on the site), creating
        those that are new; returns the new ones."""
        ids = self.commenter_ids
        if len(ids) > _NAMES_KEPT:
            ids.clear()
        names = sorted(
            {c.author for r in records for c in r.comments if c.author and c.author not in ids}
        )
        for i in range(0, len(names), _IN_CHUNK):
            found = Commenter.objects.filter(site=self.site, name__in=names[i : i + _IN_CHUNK])
            ids.update(found.values_list("name", "pk"))
        new = [Commenter(site=self.site, name=name) for name in names if name not in ids]
        if new:
            Commenter.objects.bulk_create(new)
            _stored(new, Commenter.objects.filter(site=self.site), "name__in", lambda c: c.name)
            ids.update((c.name, c.pk) for c in new)
            self.report.commenters_created += len(new)
        return new

    def _comments(self, records, articles, stored) -> tuple[list["NewComment"], list[Comment]]:
        """Match the records' comments to those already stored, keep the ones they no longer
        have, then write: new comments depth by depth, changed ones in bulk. Returns the
        new and the updated comments."""
        rows: dict[int, dict[str, tuple]] = {}
        ids = [a.pk for a in articles if a.pk in stored]
        for i in range(0, len(ids), _IN_CHUNK):
            for row in Comment.objects.filter(article_id__in=ids[i : i + _IN_CHUNK]).values_list(
                "article_id", "source_key", "pk", *_COMMENT_FIELDS
            ):
                rows.setdefault(row[0], {})[row[1]] = row[2:]
        match = _Match(self.source, self.commenter_ids, self.report)
        for record, article in zip(records, articles, strict=True):
            match.article(record, article.pk, rows.pop(article.pk, {}))
        return match.save()


class NewComment(NamedTuple):
    """A comment an import just inserted, as `comments_stored` hands it on."""

    pk: int
    article_id: int
    commenter_id: int | None
    posted_at: datetime | None
    body_text: str = ""  # for what reads it as it is stored (moderation screens it)


# A new comment's row, in the order of _NEW_COLUMNS (a list: its parent's id comes later
# when its parent is new too).
_NEW_COLUMNS = ["article_id", "source", "source_key", *_COMMENT_FIELDS]
_PARENT, _COMMENTER, _POSTED, _TEXT = 3, 4, 7, 8  # where those are in such a row


class _Match:
    """The comments of a chunk's articles, each matched to its stored row (by source key)
    or made anew, and what must be written."""

    def __init__(self, source: str, commenter_ids: dict[str, int], report: LoadReport):
        self.source, self.commenter_ids, self.report = source, commenter_ids, report
        self.new_by_depth: dict[int, list[list]] = {}
        self.parents: dict[int, list[tuple[list, list]]] = {}  # depth -> (reply, new parent)
        self.updated: list[Comment] = []
        self.late_parents: list[tuple[Comment, list]] = []  # (updated reply, new parent)
        self.ids: dict[tuple[int, str], int] = {}  # (article id, source key) -> new pk

    def article(self, record: ArticleRecord, article_id: int, existing: dict[str, tuple]) -> None:
        """Match `record`'s comments, in thread order, to `existing` (source key -> row of
        pk and _COMMENT_FIELDS); those left in it are missing from this version."""
        report, ids, source = self.report, self.commenter_ids, self.source
        by_key: dict[str, int | list] = {}  # the pk of a stored comment, or a new one's row
        depth: dict[str, int] = {}
        for order, rec in enumerate(record.comments):
            parent = by_key[rec.parent_key] if rec.parent_key is not None else None
            level = depth[rec.key] = 0 if parent is None else depth[rec.parent_key] + 1
            values = (
                parent if parent is None or isinstance(parent, int) else None,
                ids[rec.author] if rec.author else None,
                rec.position,
                order,
                rec.posted_at,
                rec.body_text,
                rec.body_html,
                _HELD if rec.held else _PUBLISHED,
                False,
            )
            row = existing.pop(rec.key, None)
            if row is None:
                new = [article_id, source, rec.key, *values]
                self.new_by_depth.setdefault(level, []).append(new)
                if parent is not None and not isinstance(parent, int):
                    self.parents.setdefault(level, []).append((new, parent))
                by_key[rec.key] = new
                report.comments_created += 1
                continue
            by_key[rec.key] = row[0]
            if parent is not None and not isinstance(parent, int):
                # Its parent is new: its id comes once the parent is stored.
                comment = self._comment(values, article_id, rec.key, row[0])
                self.late_parents.append((comment, parent))
            elif row[1:] != values:
                comment = self._comment(values, article_id, rec.key, row[0])
            else:
                report.comments_unchanged += 1
                continue
            self.updated.append(comment)
            report.comments_updated += 1
        self._keep_missing(existing, len(record.comments), article_id)

    def _comment(self, values: tuple, article_id: int, key: str, pk: int) -> Comment:
        """A stored comment given new values, to update."""
        comment = Comment(
            pk=pk, article_id=article_id, source=self.source, source_key=key,
            **dict(zip(_COMMENT_FIELDS, values, strict=True)),
        )  # fmt: skip
        comment._state.adding = False
        return comment

    def _keep_missing(self, missing: dict[str, tuple], count: int, article_id: int) -> None:
        """Comments missing from this version of the source keep their place after the
        others (the `count` comments it has); those whose order or flag changes are saved."""
        rows = sorted(missing.items(), key=lambda item: item[1][4])  # by thread_order
        for offset, (key, (pk, *values)) in enumerate(rows):
            self.report.kept_missing.append(values[2])  # position
            new_order = count + offset
            if values[3] != new_order or not values[8]:
                values[3], values[8] = new_order, True
                self.updated.append(self._comment(tuple(values), article_id, key, pk))

    def save(self) -> tuple[list[NewComment], list[Comment]]:
        """Insert the new comments, parents before replies (so replies get parent ids), then
        update the changed ones: a few queries per chunk, none per comment."""
        created: list[NewComment] = []
        ids = self.ids
        for level in sorted(self.new_by_depth):
            for reply, parent in self.parents.get(level, ()):
                reply[_PARENT] = ids[parent[0], parent[2]]
            rows = self.new_by_depth[level]
            pks = bulk.insert(Comment, _NEW_COLUMNS, rows, key=("article_id", "source_key"))
            for row, pk in zip(rows, pks, strict=True):
                ids[row[0], row[2]] = pk
                created.append(NewComment(pk, row[0], row[_COMMENTER], row[_POSTED], row[_TEXT]))
        for reply, parent in self.late_parents:
            reply.parent_id = ids[parent[0], parent[2]]
        if self.updated:
            Comment.objects.bulk_update(self.updated, list(_COMMENT_FIELDS), batch_size=_IN_CHUNK)
        return created, self.updated


_HELD, _PUBLISHED = str(SourceStatus.HELD), str(SourceStatus.PUBLISHED)
