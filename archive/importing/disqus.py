"""Disqus exports (Admin > Moderation > Export, sent by e-mail as gzipped XML), parsed into
records.

An export is one `<disqus>` element in the namespace `http://disqus.com`, with Disqus's own
ids in attributes of `http://disqus.com/disqus-internals` (prefix `dsq`). It lists the
forum's `<category>` elements (not ours: left alone), then its `<thread>` elements (one per
page the comment box was shown on), then its `<post>` elements (the comments). A post names
its thread with `<thread dsq:id="…"/>` and, when it is a reply, the post it answers with
`<parent dsq:id="…"/>`. Posts are not grouped by thread, and a reply may come before the post
it answers, so the whole file is read before any thread is put together. In records:

* a thread is an article, keyed by its `dsq:id` (its `<id>`, the site's own identifier, may
  be empty or repeated); `<link>` is its source URL when it is an http(s) address (a
  malformed one is left out with a warning), `<createdAt>` its date, `<message>` its text;
* a thread no post of the file names is not an article: Disqus makes a thread for every page
  its comment box loaded on (tag pages, previews, addresses with a query string), and most
  have no comment at all. A thread with posts is one, even when every post is deleted, so
  that re-importing a newer export keeps (and marks) the comments imported before;
* a post is a comment, keyed by its `dsq:id`; deleted posts (`isDeleted`) and spam
  (`isSpam`) are left out, as are the posts of a deleted thread and those whose thread is
  not in the file; a post with `<isApproved>` false (not in the documented format, but
  other importers read it) is imported and marked held, in case an export carries it;
* the author is the name Disqus showed (`<name>`, else `<username>`), for guests
  (`isAnonymous`) too, who comment under a name they type; a post with neither is
  anonymous. The author's `<email>` and the post's `<ipAddress>` are never read: they are
  personal data the archive does not keep;
* replies are threaded as WordPress threads are: siblings by date then id, numbered as the
  pages show them (`2`, `2.1`, `2.1.1`); a reply whose parent is not imported (deleted,
  spam, absent, in another thread) is kept at top level;
* the site is the threads' `<forum>` (the forum's short name) unless `--site` names it, and
  its domain the host most thread links have.

Comment HTML is cleaned as WordPress comments are (cut to COMMENT_MAX_BYTES, bounded,
sanitized, each cut a warning). The file is read through defusedxml, entry by entry (each
entry's element is dropped once read), with its bytes checked against the encoding it
declares, by the same machinery as WordPress exports (`archive.importing.wxr`).
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, iterparse

from archive.importing.records import (
    SOURCE_DISQUS,
    ArticleRecord,
    CommentRecord,
    ImportFailure,
    Notice,
    ParsedSource,
    Skipped,
)

# The byte checks, URL checks and comment cleaning of WordPress exports, shared as they are
# (they stay in wxr.py while that module is reworked; a shared module can take them later).
from archive.importing.wxr import (
    ARTICLE_MAX_BYTES,
    ARTICLE_MAX_ELEMENTS,
    NAME_MAX,
    SITE_NAME_MAX,
    TITLE_MAX,
    _BadBytes,
    _CheckedBytes,
    _web_url,
    malformed_xml,
    namespace_prefixes,
)
from archive.models import POSITION_MAX_LENGTH
from archive.sanitize import COMMENT_MAX_BYTES, clean

# A namespace is known by its host and path, whatever its scheme or a "www.": Disqus writes
# `http://disqus.com`; an element with no namespace is read as Disqus's too.
NAMESPACES = (
    (re.compile(r"disqus\.com/disqus-internals"), "dsq"),
    (re.compile(r"disqus\.com"), ""),
)
# Disqus ids are 64-bit integers written in decimal; int() alone would also take "1_0".
_ID = re.compile(r"[0-9]{1,20}")
FLAGS = {"true": True, "1": True, "false": False, "0": False}
# What an export as Disqus writes it never comes near (an entry is a handful of elements, at
# most four levels deep); past these the file is refused rather than held in memory.
MAX_DEPTH = 32
MAX_ENTRY_ELEMENTS = 10_000


def _name(tag: str) -> str:
    """'{http://disqus.com}post' -> 'post', '{http://disqus.com/disqus-internals}id' ->
    'dsq:id'; a namespace we do not know keeps its URI, so it is never taken for Disqus's."""
    if not tag.startswith("{"):
        return tag
    uri, local = tag[1:].split("}", 1)
    prefix = _prefix(uri)
    if prefix is None:
        return tag
    return f"{prefix}:{local}" if prefix else local


_prefix = namespace_prefixes(NAMESPACES)


def _child(element: Element, name: str) -> Element | None:
    return next((child for child in element if _name(child.tag) == name), None)


def _child_text(element: Element | None, name: str) -> str:
    child = _child(element, name) if element is not None else None
    if child is None:
        return ""
    return (child.text or "") if name == "message" else (child.text or "").strip()


def _dsq_id(element: Element) -> str | None:
    """The element's dsq:id attribute, as written (None when it has none)."""
    return next((v.strip() for k, v in element.attrib.items() if _name(k) == "dsq:id"), None)


def _checked_id(value: str, where: str) -> int:
    if not _ID.fullmatch(value):
        raise ImportFailure(f"dsq:id {value[:40]!r} is not a number", where=where)
    return int(value)


def _entry_id(element: Element, where: str) -> int:
    value = _dsq_id(element)
    if value is None:
        raise ImportFailure("missing its dsq:id attribute", where=where)
    return _checked_id(value, where)


def _flag(element: Element, name: str, where: str, default: bool = False) -> bool:
    child = _child(element, name)
    value = (child.text or "").strip() if child is not None else ""
    if not value:
        return default
    if value.lower() not in FLAGS:
        # Guessing would either publish a deleted comment or hide a published one.
        raise ImportFailure(
            f"<{name}> is {value[:40]!r}; expected true or false", where=f"{where} > {name}"
        )
    return FLAGS[value.lower()]


def _date(value: str, where: str) -> datetime | None:
    """An ISO 8601 time as Disqus writes it ('2013-10-10T19:29:57Z'); one without a zone
    is UTC, as all of Disqus's times are."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # not a date; a date too near year 1 or 9999 for UTC
        raise ImportFailure(
            f"{value[:60]!r} is not a date like 2013-10-10T19:29:57Z", where=where
        ) from None


@dataclass
class _Thread:
    key: int
    where: str
    deleted: bool
    article: ArticleRecord | None  # None for a deleted thread


@dataclass
class _Post:
    key: int
    where: str
    thread: int | None  # its thread's dsq:id
    parent: int | None  # the post it answers
    fields: dict = field(default_factory=dict)  # the rest of its CommentRecord


class _LineBuilder(TreeBuilder):
    """Builds the tree and notes the line each entry (a thread, a post) starts on. The
    parser reads ahead of the events iterparse hands out, so the line must be taken as the
    element is built."""

    def __init__(self):
        super().__init__()
        self.expat = None  # the parser's expat object, once it exists
        self.depth = 0
        self.in_entry = 0  # elements in the entry being read
        self.lines: dict[Element, int] = {}  # entries built but not yet read

    def start(self, tag, attrs):
        self.depth += 1
        if self.depth == 2:
            self.in_entry = 0
        self.in_entry += 1
        # Bounded memory: an entry is a few elements a few levels deep; a file of one
        # element nested a million deep, or of millions in one entry, would be held whole.
        if self.depth > MAX_DEPTH or self.in_entry > MAX_ENTRY_ELEMENTS:
            what = (
                f"elements nested more than {MAX_DEPTH} deep"
                if self.depth > MAX_DEPTH
                else f"an entry of more than {MAX_ENTRY_ELEMENTS:,} elements"
            )
            line = self.expat.CurrentLineNumber if self.expat is not None else None
            raise ImportFailure(
                f"not a Disqus export as Disqus writes it: {what} (its threads and posts "
                "are a few elements, a few levels deep)",
                line=line,
            )
        element = super().start(tag, attrs)
        if self.depth == 2 and self.expat is not None:
            self.lines[element] = self.expat.CurrentLineNumber
        return element

    def end(self, tag):
        self.depth -= 1
        return super().end(tag)


class _Parser:
    """The state of one pass over an export: where the parser is (for messages), and the
    threads and posts read so far."""

    def __init__(self, builder: _LineBuilder):
        self.builder = builder
        self.parsed = ParsedSource(source=SOURCE_DISQUS, site_name=None)
        self.path: list[Element] = []  # the open elements, the root first
        self.threads: dict[int, _Thread] = {}
        self.posts: dict[int, _Post] = {}  # kept posts, in file order
        self.post_ids: set[int] = set()  # every post, kept or not
        self.named_threads: set[int] = set()  # threads some post names
        self.forums: Counter[str] = Counter()
        self.entries = 0

    def start(self, element: Element) -> None:
        name = _name(element.tag)
        if not self.path and name != "disqus":
            hint = " (a WordPress export? use import_wxr)" if name == "rss" else ""
            raise ImportFailure(
                f"not a Disqus export: the root element is <{name}>, not <disqus>{hint}", line=1
            )
        self.path.append(element)

    def end(self, element: Element) -> None:
        self.path.pop()
        if len(self.path) != 1:
            return
        self.entries += 1
        line = self.builder.lines.pop(element, 0)
        name = _name(element.tag)
        if name == "thread":
            self._thread(element, line)
        elif name == "post":
            self._post(element, line)
        # Categories and anything newer Disqus adds are not read. The entry is dropped from
        # the tree once read, so memory holds the records, not the file.
        element.clear()
        del self.path[0][:]

    def _thread(self, element: Element, line: int) -> None:
        key = _entry_id(element, f"line {line}, thread")
        title = " ".join(_child_text(element, "title").split())
        where = f"line {line}, thread {key}" + (f" ({title[:60]!r})" if title else "")
        if key in self.threads:
            raise ImportFailure(f"thread dsq:id {key} appears twice", where=where)
        forum = _child_text(element, "forum")
        if forum:
            self.forums[forum] += 1
        if _flag(element, "isDeleted", where):
            self.threads[key] = _Thread(key, where, deleted=True, article=None)
            self.parsed.skip(Skipped(where, "deleted thread", title))
            return
        if len(title) > TITLE_MAX:
            self.parsed.skip(Skipped(where, f"title cut to {TITLE_MAX} characters", title))
        body = self._clean(
            _child_text(element, "message"),
            f"{where} > message",
            max_bytes=ARTICLE_MAX_BYTES,
            max_elements=ARTICLE_MAX_ELEMENTS,
        )
        article = ArticleRecord(
            key=str(key),
            title=title[:TITLE_MAX] or f"(untitled thread {key})",
            body=body.text,
            published_at=_date(_child_text(element, "createdAt"), f"{where} > createdAt"),
            source_url=_web_url(
                _child_text(element, "link"), f"{where} > link", self.parsed.warnings
            ),
        )
        self.threads[key] = _Thread(key, where, deleted=False, article=article)

    def _post(self, element: Element, line: int) -> None:
        key = _entry_id(element, f"line {line}, post")
        where = f"line {line}, post {key}"
        if key in self.post_ids:
            raise ImportFailure(f"post dsq:id {key} appears twice", where=where)
        self.post_ids.add(key)
        thread = self._reference(element, "thread", where)
        parent = self._reference(element, "parent", where)
        if thread is not None:
            self.named_threads.add(thread)
        if _flag(element, "isDeleted", where):
            self.parsed.skip(Skipped(where, "deleted", ""))
            return
        if _flag(element, "isSpam", where):
            self.parsed.skip(Skipped(where, "spam", ""))
            return
        held = not _flag(element, "isApproved", where, default=True)
        author = _child(element, "author")
        # Never the author's <email> nor the post's <ipAddress>: personal data, not kept.
        name = _child_text(author, "name") or _child_text(author, "username")
        cleaned = self._clean(
            _child_text(element, "message"), f"{where} > message", max_bytes=COMMENT_MAX_BYTES
        )
        self.posts[key] = _Post(
            key,
            where,
            thread,
            parent,
            {
                "author": name[:NAME_MAX] or None,
                "posted_at": _date(_child_text(element, "createdAt"), f"{where} > createdAt"),
                "body_html": cleaned.html,
                "body_text": cleaned.text,
                "held": held,
                "line": line,
            },
        )

    def _clean(self, markup: str, where: str, **caps):
        """Content cleaned as WordPress's is (paragraphs, bounded, sanitized: see
        archive.sanitize.clean); each cut a warning."""
        cleaned = clean(markup, **caps)
        for problem in cleaned.cuts:
            self.parsed.warn(Notice(where, problem))
        return cleaned

    @staticmethod
    def _reference(element: Element, name: str, where: str) -> int | None:
        """The dsq:id of the post's <thread> or <parent>; None when there is none."""
        child = _child(element, name)
        value = _dsq_id(child) if child is not None else None
        return _checked_id(value, f"{where} > {name}") if value else None

    def finish(self) -> ParsedSource:
        by_thread = self._posts_by_thread()
        for thread in self.threads.values():
            if thread.deleted:
                continue
            if thread.key not in self.named_threads:
                self.parsed.skip(
                    Skipped(thread.where, "thread without comments", thread.article.title)
                )
                continue
            thread.article.comments = self._comments(thread, by_thread.get(thread.key, []))
            self.parsed.articles.append(thread.article)
        self._site()
        return self.parsed

    def _posts_by_thread(self) -> dict[int, list[_Post]]:
        """The kept posts of each thread there is, in file order; the others are reported."""
        by_thread: dict[int, list[_Post]] = {}
        orphans: Counter[int | None] = Counter()
        for post in self.posts.values():
            thread = self.threads.get(post.thread) if post.thread is not None else None
            if thread is None:
                orphans[post.thread] += 1
                kind = (
                    f"its thread {post.thread} is not in the file"
                    if post.thread is not None
                    else "it names no thread"
                )
                self.parsed.skip(Skipped(post.where, kind, ""))
            elif thread.deleted:
                self.parsed.skip(Skipped(post.where, f"in deleted thread {thread.key}", ""))
            else:
                by_thread.setdefault(thread.key, []).append(post)
        for missing, count in orphans.items():
            self.parsed.warn(
                Notice(f"thread {missing}", f"not in the file: its {count} post(s) left out")
                if missing is not None
                else Notice("disqus > post", f"{count} post(s) name no thread: left out")
            )
        return by_thread

    def _comments(self, thread: _Thread, posts: list[_Post]) -> list[CommentRecord]:
        """The thread's posts in thread order; a post in a reply loop is never reached."""
        kept = {post.key: post for post in posts}
        children: dict[int, list[int]] = {}
        for post in posts:
            parent = post.parent
            if parent is not None and parent not in kept:
                # Its parent is deleted, spam, absent or in another thread: the reply is
                # still what readers saw, so it is kept, at top level (as for WordPress).
                self.parsed.skip(
                    Skipped(
                        post.where,
                        f"reply to post {parent}, which is not imported: kept at top level",
                        "",
                    )
                )
                parent = None
            children.setdefault(parent, []).append(post.key)
        unknown_date = datetime.min.replace(tzinfo=UTC)
        for siblings in children.values():
            siblings.sort(key=lambda k: (kept[k].fields["posted_at"] or unknown_date, k))
        records = _in_thread_order(kept, children)
        if len(records) != len(kept):
            looped = sorted(set(kept) - {int(r.key) for r in records})
            raise ImportFailure(
                f"posts {looped[:5]} reply to each other in a loop and belong to no thread",
                where=thread.where,
            )
        return records

    def _site(self) -> None:
        """The forum's short name, and the host most imported threads link to."""
        if self.forums:
            forum, _ = self.forums.most_common(1)[0]
            self.parsed.site_name = forum[:SITE_NAME_MAX]
            if len(self.forums) > 1:
                others = ", ".join(repr(f) for f in sorted(self.forums) if f != forum)
                self.parsed.warn(
                    Notice(
                        "disqus > thread > forum",
                        f"threads of other forums ({others[:200]}) are imported into the "
                        f"same site as {forum!r}",
                    )
                )
        hosts: Counter[str] = Counter()
        for article in self.parsed.articles:
            # Kept links are http(s) addresses _web_url could read.
            host = (urlsplit(article.source_url).hostname or "") if article.source_url else ""
            if host:
                hosts[host.removeprefix("www.")[:253]] += 1
        if hosts:
            self.parsed.site_domain = hosts.most_common(1)[0][0]

    def context(self) -> str:
        """Where the parser is, for a message: "inside post 5 > message"."""
        names = [_name(e.tag) for e in self.path]
        if not names:
            return "after the last element" if self.entries else "at the start"
        if len(names) == 1:
            return f"inside {names[0]}"
        key = _dsq_id(self.path[1])
        entry = f"{names[1][:60]} {key[:40]}" if key else names[1][:60]
        return "inside " + " > ".join([entry, *(n[:60] for n in names[2:5])])

    def bad_bytes(self, source: _CheckedBytes) -> ImportFailure:
        message, line = source.failure
        return ImportFailure(f"{message} ({self.context()})", line=line)


def _in_thread_order(kept: dict[int, _Post], children: dict) -> list[CommentRecord]:
    """The records depth first from the top level, numbered as the pages show them."""
    records: list[CommentRecord] = []
    top = children.get(None, [])
    stack = [(key, None, str(n)) for n, key in reversed(list(enumerate(top, 1)))]
    while stack:
        key, parent_key, position = stack.pop()
        if len(position) > POSITION_MAX_LENGTH:
            # Stopped at the first: numbering every level of a chain thousands deep would
            # take memory in the square of its depth before the loader refused it.
            raise ImportFailure(
                f"comment {str(key)!r} is nested too deep to number "
                f"({position.count('.') + 1} levels)",
                where=f"post {key}",
            )
        records.append(
            CommentRecord(
                key=str(key), position=position, parent_key=parent_key, **kept[key].fields
            )
        )
        replies = children.get(key, [])
        stack.extend(
            (reply, str(key), f"{position}.{n}")
            for n, reply in reversed(list(enumerate(replies, 1)))
        )
    return records


def parse_disqus(stream: BinaryIO) -> ParsedSource:
    """Parse a Disqus export from a binary stream. Raises ImportFailure naming the line (for
    malformed XML or bytes) and the entry (for a thread or post that makes no sense)."""
    source = _CheckedBytes(stream)
    builder = _LineBuilder()
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    builder.expat = parser.parser
    state = _Parser(builder)
    try:
        for event, element in iterparse(source, events=("start", "end"), parser=parser):
            if event == "start":
                state.start(element)
            else:
                state.end(element)
    except _BadBytes:
        raise state.bad_bytes(source) from None
    except ParseError as exc:
        line, column = exc.position
        opened = bool(state.path or state.entries)
        raise malformed_xml(
            exc, line, column, state, source, opened=opened, export="Disqus"
        ) from None
    except DefusedXmlException:
        # A DOCTYPE is where entity declarations live, and entities are how an "XML bomb"
        # expands a few lines into gigabytes; Disqus never writes one.
        raise ImportFailure(
            "refused: the file declares a DOCTYPE (entity declarations can make an XML bomb); "
            "a Disqus export never has one",
            line=parser.parser.CurrentLineNumber,
        ) from None
    if source.failure:  # a character cut short at the very end of the file
        raise state.bad_bytes(source)
    return state.finish()
