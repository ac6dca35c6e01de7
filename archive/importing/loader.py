"""Writes parsed records to the database: one transaction per source file, upsert by source key.

Re-importing the same file changes nothing; an updated file updates rows in place, so the
primary keys that moderation data points at never change; comments missing from a newer
file are kept and reported, never deleted.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from archive.importing.records import ArticleRecord, ImportFailure, Notice, ParsedSource
from archive.models import (
    POSITION_MAX_LENGTH,
    Article,
    Comment,
    Commenter,
    Site,
    SourceStatus,
)
from archive.signals import comments_imported

Progress = Callable[[int, int], None]

_COMMENT_FIELDS = (
    "parent_id", "commenter_id", "position", "thread_order", "posted_at",
    "body_text", "body_html", "source_status", "missing_from_source",
)  # fmt: skip
_ARTICLE_FIELDS = (
    "title", "deck", "byline", "author_bio", "published_at", "source_url", "body",
)  # fmt: skip
_IN_CHUNK = 500  # stay far below every database's limit on query parameters


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
    kept_missing: list[str] = field(default_factory=list)  # in the database, not in this file
    article_ids: list[int] = field(default_factory=list)  # the file's articles, as stored
    # What the file holds that was cut or left out (the parser's warnings).
    warnings: list[Notice] = field(default_factory=list)
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
    parsed: ParsedSource,
    *,
    site_name: str,
    site_domain: str = "",
    origin: str = "",
    user=None,
    progress: Progress | None = None,
) -> LoadReport:
    """Write `parsed` in one transaction and return what changed. Raises ImportFailure, and
    writes nothing, when the records contradict themselves (a reply to an unknown comment)."""
    for article in parsed.articles:
        _check_tree(article)
    report = LoadReport(site=site_name, warnings=list(parsed.warnings))
    total = parsed.comment_count
    done = 0
    with transaction.atomic():
        site = _upsert_site(
            site_name, site_domain or parsed.site_domain, parsed.policy_text, report
        )
        report.site = site.name
        for record in parsed.articles:
            article = _upsert_article(site, parsed.source, record, report)
            report.article_ids.append(article.pk)
            commenters = _commenters(site, record, report)
            _upsert_comments(article, parsed.source, record, commenters, report)
            done += len(record.comments)
            if progress:
                progress(done, total)
        comments_imported.send(
            sender=Site, site=site, source=parsed.source, origin=origin, report=report, user=user
        )
    return report


def _check_tree(article: ArticleRecord) -> None:
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
    site = Site.objects.filter(name__iexact=name).order_by("pk").first()
    if site is None:
        site = Site.objects.create(name=name, domain=domain)
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
        site.save(update_fields=changed)
    return site


def _upsert_article(site, source, record: ArticleRecord, report: LoadReport) -> Article:
    values = {name: getattr(record, name) or _empty(name) for name in _ARTICLE_FIELDS}
    # The thread page links to it: only a web address may become a link.
    if not values["source_url"].lower().startswith(("http://", "https://")):
        values["source_url"] = ""
    article = Article.objects.filter(site=site, source=source, source_key=record.key).first()
    if article is None:
        report.articles_created += 1
        return Article.objects.create(site=site, source=source, source_key=record.key, **values)
    changed = [name for name, value in values.items() if getattr(article, name) != value]
    if changed:
        for name in changed:
            setattr(article, name, values[name])
        article.save(update_fields=changed)
        report.articles_updated += 1
    else:
        report.articles_unchanged += 1
    return article


def _empty(name):
    return None if name == "published_at" else ""


def _commenters(site, record: ArticleRecord, report: LoadReport) -> dict[str, Commenter]:
    names = sorted({c.author for c in record.comments if c.author})
    found: dict[str, Commenter] = {}
    for i in range(0, len(names), _IN_CHUNK):
        chunk = names[i : i + _IN_CHUNK]
        found.update((c.name, c) for c in Commenter.objects.filter(site=site, name__in=chunk))
    missing = [Commenter(site=site, name=name) for name in names if name not in found]
    if missing:
        Commenter.objects.bulk_create(missing, batch_size=_IN_CHUNK)
        report.commenters_created += len(missing)
        # Not every database returns ids from a bulk insert: read them back.
        for i in range(0, len(missing), _IN_CHUNK):
            chunk = [c.name for c in missing[i : i + _IN_CHUNK]]
            found.update((c.name, c) for c in Commenter.objects.filter(site=site, name__in=chunk))
    return found


def _upsert_comments(article, source, record: ArticleRecord, commenters, report) -> None:
    """Match the record's comments to those already imported, keep the ones it no longer has,
    then write: new comments level by level, changed ones in bulk."""
    existing = {c.source_key: c for c in Comment.objects.filter(article=article)}
    new_by_depth, to_update = _match_comments(article, source, record, commenters, existing, report)
    to_update.extend(_keep_missing(existing.values(), len(record.comments), report))
    _save_comments(new_by_depth, to_update)


def _match_comments(article, source, record: ArticleRecord, commenters, existing, report):
    """Each comment of `record`, in thread order, as a new Comment (grouped by depth) or an
    existing one given its new values (listed when it must be saved). Matched comments are
    removed from `existing`, leaving those missing from this version of the source."""
    by_key: dict[str, Comment] = {}
    depth: dict[str, int] = {}
    new_by_depth: dict[int, list[Comment]] = {}
    to_update: list[Comment] = []
    for order, rec in enumerate(record.comments):
        depth[rec.key] = 0 if rec.parent_key is None else depth[rec.parent_key] + 1
        parent = by_key[rec.parent_key] if rec.parent_key is not None else None
        values = _comment_values(rec, order, commenters)
        comment = existing.pop(rec.key, None)
        if comment is None:
            comment = Comment(article=article, parent=parent, source=source, source_key=rec.key)
            for name, value in values.items():
                setattr(comment, name, value)
            new_by_depth.setdefault(depth[rec.key], []).append(comment)
            report.comments_created += 1
        elif _reassign(comment, parent, values):
            to_update.append(comment)
            report.comments_updated += 1
        else:
            report.comments_unchanged += 1
        by_key[rec.key] = comment
    return new_by_depth, to_update


def _comment_values(rec, order: int, commenters) -> dict:
    return {
        "commenter": commenters[rec.author] if rec.author else None,
        "position": rec.position,
        "thread_order": order,
        "posted_at": rec.posted_at,
        "body_text": rec.body_text,
        "body_html": rec.body_html,
        "source_status": SourceStatus.HELD if rec.held else SourceStatus.PUBLISHED,
        "missing_from_source": False,
    }


def _reassign(comment, parent, values: dict) -> bool:
    """Give an existing comment its parent and values from this import; whether to save it."""
    before = tuple(getattr(comment, name) for name in _COMMENT_FIELDS)
    comment.parent = parent
    for name, value in values.items():
        setattr(comment, name, value)
    if parent is not None and parent.pk is None:
        return True  # its parent is new: compare after it is saved
    return before != tuple(getattr(comment, name) for name in _COMMENT_FIELDS)


def _keep_missing(missing, count: int, report) -> list[Comment]:
    """Comments missing from this version of the source keep their place after the others
    (the `count` comments it has); those whose order or flag changes are returned."""
    to_update = []
    for offset, comment in enumerate(sorted(missing, key=lambda c: c.thread_order)):
        report.kept_missing.append(comment.position)
        new_order = count + offset
        if comment.thread_order != new_order or not comment.missing_from_source:
            comment.thread_order = new_order
            comment.missing_from_source = True
            to_update.append(comment)
    return to_update


def _save_comments(new_by_depth: dict[int, list[Comment]], to_update: list[Comment]) -> None:
    """Insert the new comments, then update the changed ones (a few queries per batch)."""
    for level in sorted(new_by_depth):  # parents before replies, so replies get parent ids
        Comment.objects.bulk_create(new_by_depth[level], batch_size=_IN_CHUNK)
    if to_update:
        for comment in to_update:
            # A parent assigned above may have been created after the assignment: copy its id.
            # (Comments kept because they are missing were not re-parented: no lookup for them.)
            if Comment.parent.is_cached(comment):
                comment.parent_id = comment.parent.pk if comment.parent else None
        Comment.objects.bulk_update(to_update, list(_COMMENT_FIELDS), batch_size=_IN_CHUNK)
