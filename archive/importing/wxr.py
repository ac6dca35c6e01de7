"""WordPress eXtended RSS (WXR) exports, from Tools > Export, parsed into records.

An export is RSS 2.0 with WordPress's own elements in the `wp:` namespace. Exports declare
their namespaces in more than one way (`http://` or `https://`, versions 1.0 to 1.2, any
prefix); like WordPress's importer we read a namespace by its address's host and path
(`wordpress.org/export/1.2/`), whatever its scheme, version or prefix. Each `<item>` is a
post, page, attachment or menu item; posts and pages become articles and their
`<wp:comment>` elements become comments:

* `wp:comment_approved` is "1" (published), "0" (held for moderation: imported and marked
  held, it is exactly what a moderator must see), "spam" or "trash" / "post-trashed"
  (left out: WordPress never showed them and they are not reader discussion);
* `wp:comment_type` "pingback" and "trackback" are link notifications from other sites, not
  reader comments, and are left out;
* `wp:comment_parent` threads replies to any depth; siblings are ordered by date then id, as
  WordPress lists them, and numbered like the pages show them (`2`, `2.1`, `2.1.1`).

An item's `<link>` is kept only when it is an http(s) address, since the thread page links
to it (a malformed one is left out with a warning); a reply whose parent is not imported
(spam, trash, absent) is kept at top level. A comment longer than WordPress allows, or
nested beyond what sanitizing handles in bounded time, is cut, with a warning.

The file is read as a stream (`WxrStream`): expat reads it a block at a time, each item is
checked and threaded when it ends, its content is sanitized (in worker processes for a big
file: see `archive.importing.cleaning`) and the article is handed to the loader, which
writes it and forgets it, so memory stays flat in the file's size (it grows with the
largest post's thread, which is threaded whole). Like defusedxml with `forbid_dtd`, any
DOCTYPE is refused where it starts, so an export with a DTD entity bomb or an external
entity is refused instead of expanded. Its bytes are checked against the encoding it
declares as they are read, so a Latin-1 byte in a "UTF-8" export is named by its offset and
the element it is in. `parse_wxr` reads a whole export into one ParsedSource.
"""

import codecs
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit
from xml.parsers import expat
from xml.parsers.expat import errors as expat_errors

from archive.importing.cleaning import Cleaning, Pipeline, usable_cpus
from archive.importing.records import (
    SOURCE_WXR,
    ArticleRecord,
    CommentRecord,
    ImportFailure,
    Notice,
    ParsedSource,
    Skipped,
    SourceStream,
)
from archive.sanitize import COMMENT_MAX_BYTES, Job

# A namespace is known by its host and path, whatever its scheme ("http", "https"), a
# "www." or a missing last slash: WordPress itself has written both schemes, and the
# version in the path (1.0, 1.1, 1.2) changes nothing we read.
NAMESPACES = (
    (re.compile(r"wordpress\.org/export/\d+(?:\.\d+)*/excerpt"), "excerpt"),
    (re.compile(r"wordpress\.org/export/\d+(?:\.\d+)*"), "wp"),
    (re.compile(r"purl\.org/rss/1\.0/modules/content"), "content"),
    (re.compile(r"purl\.org/dc/elements/1\.1"), "dc"),
    (re.compile(r"wellformedweb\.org/commentapi"), "wfw"),
)
_SCHEME = re.compile(r"^(?:https?://)?(?:www\.)?", re.IGNORECASE)


def namespace_prefixes(namespaces) -> Callable[[str], str | None]:
    """A namespace URI's prefix among `namespaces` ((pattern, prefix) pairs, matched against
    the URI without its scheme, "www." or last slash), None if unknown; remembered, as the
    importers look it up for every element (up to 1,000 URIs: a file can declare any
    number of namespaces)."""
    known: dict[str, str | None] = {}

    def prefix(uri: str) -> str | None:
        if uri not in known:
            path = _SCHEME.sub("", uri).rstrip("/").lower()
            found = next((p for pattern, p in namespaces if pattern.fullmatch(path)), None)
            if len(known) < 1000:
                known[uri] = found
            return found
        return known[uri]

    return prefix


ARTICLE_TYPES = {"post", "page"}
ARTICLE_STATUSES = {"publish", "private"}
COMMENT_TYPES = {"", "comment"}  # WordPress < 5.5 wrote "", later versions "comment"
LINK_NOTIFICATIONS = {"pingback", "trackback"}
APPROVED = {"1": False, "0": True}  # value -> held
LEFT_OUT = {"spam": "spam", "trash": "trash", "post-trashed": "trash"}
# WordPress ids are unsigned 64-bit integers; int() alone would also take "1_0" or "٣".
_ID = re.compile(r"[0-9]{1,20}")
# The longest values the archive's columns hold (Site.name, Article.title and .byline,
# Commenter.name); WordPress's own columns for them are longer.
SITE_NAME_MAX = 200
TITLE_MAX = 500
NAME_MAX = 300
# A post is written by the site's staff and can be long, but not longer than a book: past
# these, sanitizing one post would take seconds and hundreds of megabytes.
ARTICLE_MAX_BYTES = 1_000_000
ARTICLE_MAX_ELEMENTS = 20_000
# How much of the file expat is given at a time, and how many pieces of content (comments,
# posts) are sanitized per task; a file this big or bigger is sanitized in worker
# processes when the machine has more than one core (a smaller one is done before they
# would have started).
# Past this depth a file is refused as read (WordPress's elements are at most 5 deep; a
# plugin's a few more), so that the elements it keeps open cannot fill memory.
MAX_DEPTH = 64
READ_SIZE = 256 * 1024
CLEAN_CHUNK = 500
WORKERS_FROM_BYTES = 2 * 1024 * 1024


def _name(tag: str) -> str:
    """'{https://wordpress.org/export/1.2/}post_id' -> 'wp:post_id'; plain tags unchanged.

    A namespace we do not know keeps its URI, so a plugin's <media:title> or <atom:link>
    is never taken for the RSS <title> or <link>.
    """
    if not tag.startswith("{"):
        return tag
    uri, local = tag[1:].split("}", 1)
    prefix = _prefix(uri)
    return f"{prefix}:{local}" if prefix else tag


_prefix = namespace_prefixes(NAMESPACES)


# Content keeps its own whitespace: a comment's line breaks are its paragraphs.
_RAW = {"content:encoded", "wp:comment_content", "excerpt:encoded"}
_CHANNEL_FIELDS = {"title", "link", "wp:base_site_url", "wp:base_blog_url"}
# The fields read of an item and of a comment (an export has more: e-mail addresses, IPs,
# post meta… which the archive does not keep).
_ITEM_READ = {
    "title", "link", "pubDate", "dc:creator", "content:encoded", "excerpt:encoded",
    "wp:post_id", "wp:post_date_gmt", "wp:status", "wp:post_type",
}  # fmt: skip
_COMMENT_READ = {
    "wp:comment_id", "wp:comment_author", "wp:comment_date_gmt", "wp:comment_content",
    "wp:comment_approved", "wp:comment_type", "wp:comment_parent",
}  # fmt: skip

# An element's fields, as the first child element of each name holds them (its text
# before any element inside it; trimmed, but for content): {"wp:post_id": "10", ...}.
Fields = dict[str, str]

_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)")


def _gmt(value: str, where: str) -> datetime | None:
    """A WordPress GMT timestamp ('2020-10-20 14:03:09'); the all-zero date means unknown."""
    if not value or value.startswith("0000-00-00"):
        return None
    try:
        exact = _DATE.fullmatch(value)
        if exact:  # as WordPress writes it: what strptime would read, without its cost
            return datetime(*map(int, exact.groups()), tzinfo=UTC)
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise ImportFailure(
            f"{value!r} is not a date like 2020-10-20 14:03:09", where=where
        ) from None


def _pub_date(value: str) -> datetime | None:
    """RSS pubDate ('Tue, 20 Oct 2020 14:03:09 +0000'), used when wp:post_date_gmt is unset."""
    try:
        return datetime.strptime(value, "%a, %d %b %Y %H:%M:%S %z").astimezone(UTC)
    except (ValueError, OverflowError):  # not a date; a date too near year 1 or 9999 for UTC
        return None


def _integer(value: str, what: str, where: str) -> int:
    if not _ID.fullmatch(value):
        raise ImportFailure(f"{what} {value!r} is not a number", where=where)
    return int(value)


def _split_url(value: str, where: str, warnings: list):
    """urlsplit(value), or None, with a warning, for an address it cannot read
    ("http://[oops" is an unclosed IPv6 host): the field is left out, the item imported."""
    try:
        parts = urlsplit(value)
        parts.hostname  # noqa: B018 (reading it checks the host, as reading the port would)
    except ValueError as exc:
        problem = f"{value[:200]!r} is not a valid URL ({exc}); left out"
        warnings.append(Notice(where, problem))
        return None
    return parts


def _web_url(value: str, where: str, warnings: list) -> str:
    """The URL if it is an http(s) one, else "": the thread page links to it, and a
    `javascript:` link in a crafted export would run in the moderator's session."""
    parts = _split_url(value, where, warnings) if value else None
    if parts is None or parts.scheme.lower() not in ("http", "https"):
        return ""
    return value if len(value) <= 1000 else ""  # Article.source_url holds 1000


class _CheckedBytes:
    """The export's bytes as the XML parser reads them, checked against the encoding the
    file declares (its byte order mark, its XML declaration, else UTF-8). At the first byte
    that is not valid in it, the parser gets the bytes before it, so that it stops at the
    element the byte is in, and the next read raises a failure naming the encoding, the
    byte, its offset and its line."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.offset = 0  # bytes handed to the parser
        self.line = 1
        self.content = False  # anything but white space and a byte order mark seen
        self.encoding: str | None = None
        self.decoder = None
        self.failure: tuple[str, int] | None = None  # (message, line) of the first bad byte

    def read(self, size: int = -1) -> bytes:
        if self.failure:
            raise _BadBytes
        data = self.stream.read(size)
        if self.encoding is None:
            self._choose_encoding(data)
        if self.decoder is not None:
            data = self._checked(data)
        self.offset += len(data)
        self.line += data.count(b"\n")
        self.content = self.content or bool(data.strip(b" \t\r\n\xef\xbb\xbf\xfe\xff\x00"))
        return data

    def _choose_encoding(self, data: bytes) -> None:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            self.encoding = "UTF-16"
        else:
            declared = _DECLARED_ENCODING.match(data.removeprefix(b"\xef\xbb\xbf"))
            self.encoding = declared[1].decode("ascii") if declared else "UTF-8"
        try:
            codec = codecs.lookup(self.encoding).name
        except LookupError:
            raise ImportFailure(
                f"the file declares the encoding {self.encoding!r}, which is not one we know; "
                "save the export as UTF-8",
                line=1,
            ) from None
        if codec.startswith(("utf-16", "utf-32")) and not data.startswith((b"\xff", b"\xfe")):
            raise ImportFailure(
                f"the file declares the encoding {self.encoding!r}, but its declaration is "
                "written one byte per character, so the file is not in that encoding",
                line=1,
            )
        # expat reads UTF-8 and UTF-16 itself, and other encodings one byte at a time:
        # those of more bytes per character (Shift_JIS, GB2312…) it refuses.
        if (
            not codec.startswith("utf-16")
            and len(bytes(range(256)).decode(codec, "replace")) != 256
        ):
            raise ImportFailure(
                f"the file declares the encoding {self.encoding!r}, which the XML parser "
                "cannot read (it reads UTF-8, UTF-16 and one-byte encodings); save the export "
                "as UTF-8",
                line=1,
            )
        self.decoder = codecs.getincrementaldecoder(codec)()

    def _checked(self, data: bytes) -> bytes:
        pending = self.decoder.getstate()[0]  # the start of a character cut by the last read
        try:
            self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            at = max(exc.start - len(pending), 0)  # in `data`
            offset = self.offset + at
            line = self.line + data[:at].count(b"\n")
            bad = (pending + data)[exc.start : exc.end]
            self.failure = (
                f"not valid {self.encoding} (the encoding the file declares): byte "
                f"0x{bad[0]:02x} at offset {offset:,} ({exc.reason}); was the file saved in "
                "another encoding, such as Latin-1 or Windows-1252?",
                line,
            )
            return data[:at]
        return data


class _BadBytes(Exception):
    """Raised through the XML parser at the first byte not in the declared encoding."""


class _Declared(Exception):
    """Raised from expat's handlers at a DOCTYPE or an entity declaration."""


# The XML declaration's encoding, which must come first in the file.
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][\w.:-]*)["']""")


class _Reader:
    """expat's handlers for one pass over an export: where the parser is (for messages),
    what it has seen, and the fields of the open item and its comments, each item handed to
    `on_item(fields, comments, number)` when it ends. Only the elements the importer reads
    are followed; no tree is built."""

    def __init__(self, parsed: ParsedSource, on_item):
        self.parsed = parsed
        self.on_item = on_item
        self.names: list[str] = []  # the open elements, the root first
        self._names: dict[str, str] = {}  # expat's "uri}local" -> "wp:local", a cache
        self.seen_wp = False
        self.item_number = 0
        self.unknown_wordpress_namespaces: set[str] = set()
        self.item: Fields | None = None  # the open item's fields
        self.comments: list[Fields] = []  # its wp:comment elements' fields
        self.comment: Fields | None = None  # the open wp:comment's
        self.text: str | None = None  # the text of the field being read, so far
        self.target: Fields = {}  # where that field goes
        self.field = ""
        self.depth = 0  # where that field is

    def handlers(self, parser) -> None:
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.data
        parser.StartNamespaceDeclHandler = self.namespace

    def name(self, tag: str) -> str:
        name = self._names.get(tag)
        if name is None:
            name = _name("{" + tag) if "}" in tag else tag
            if len(self._names) < 10_000:  # a file can use any number of names
                self._names[tag] = name
        return name

    # expat calls these three for every element and run of text: the common case (a field
    # of a comment) comes first and costs a few operations.

    def start(self, tag: str, attributes) -> None:
        if self.text is not None:
            self._end_text()  # an element inside a field ends the text read of it
        name = self._names.get(tag) or self.name(tag)
        names = self.names
        depth = len(names)  # of the new element: 0 for the root
        if depth >= MAX_DEPTH:
            # Each open element is remembered: a million nested ones would take 200 MB.
            raise ImportFailure(
                f"not a WordPress export as WordPress writes it: elements nested more than "
                f"{MAX_DEPTH} deep (its own are at most 5), {self.context()}"
            )
        names.append(name)
        if depth == 4:
            comment = self.comment
            if comment is not None and name in _COMMENT_READ and name not in comment:
                comment[name] = ""
                self.target, self.field, self.depth, self.text = comment, name, 5, ""
            return
        if not self.seen_wp and name.startswith("wp:"):
            self.seen_wp = True
        if depth == 3:
            item = self.item
            if item is None:
                return
            if name == "wp:comment":
                self.comment = {}
                self.comments.append(self.comment)
            elif name in _ITEM_READ and name not in item:
                item[name] = ""
                self.target, self.field, self.depth, self.text = item, name, 4, ""
        elif depth == 2:
            self._channel_start(name)
        elif not depth and name != "rss":
            raise ImportFailure(
                f"not a WordPress export: the root element is <{name}>, not <rss>", line=1
            )

    def _channel_start(self, name: str) -> None:
        if name == "item":
            self.item_number += 1
            self.item, self.comments = {}, []
        elif name in _CHANNEL_FIELDS:
            self.target, self.field, self.depth, self.text = {name: ""}, name, 3, ""

    def data(self, text: str) -> None:
        if self.text is not None:
            self.text += text

    def _end_text(self) -> None:
        field = self.field
        self.target[field] = self.text if field in _RAW else self.text.strip()
        self.text = None

    def end(self, tag: str) -> None:
        names = self.names
        if self.text is not None and len(names) == self.depth:
            self._end_text()
        name = names.pop()
        depth = len(names)  # of the element that ends
        if depth == 4:
            return
        if depth == 3:
            if name == "wp:comment":
                self.comment = None
        elif depth == 2:
            if name == "item" and self.item is not None:
                if not self.seen_wp:
                    where = _item_where(self.item, self.item_number)
                    raise ImportFailure(self._not_wordpress(), where=where)
                item, comments = self.item, self.comments
                self.item, self.comments = None, []
                self.on_item(item, comments, self.item_number)
            elif name in _CHANNEL_FIELDS and self.field == name:
                _channel_field(name, self.target.get(name, ""), self.parsed)

    def namespace(self, prefix, uri: str) -> None:
        if "wordpress" in uri.lower() and _prefix(uri) is None:
            self.unknown_wordpress_namespaces.add(uri)

    def finish(self) -> None:
        if not self.seen_wp:
            raise ImportFailure(self._not_wordpress(), where="rss > channel")

    def _not_wordpress(self) -> str:
        known = ", ".join(sorted(self.unknown_wordpress_namespaces)[:3])
        hint = (
            f"; its namespace {known} is not WordPress's export namespace "
            "(wordpress.org/export/1.x/)"
            if known
            else " (plain RSS? a WordPress export comes from Tools > Export)"
        )
        return f"not a WordPress export: no <wp:…> elements{hint}"

    def context(self) -> str:
        """Where the parser is, for a message: "inside item 3 ('Title') > wp:comment"."""
        names = self.names
        if not names:
            return "after the last element" if self.item_number or self.seen_wp else "at the start"
        if len(names) < 3 or names[2] != "item":
            return "inside " + " > ".join(names[-3:])
        inner = names[3:] if len(names) <= 9 else [*names[3:5], "…", *names[-3:]]
        return "inside " + " > ".join([_item_where(self.item or {}, self.item_number), *inner])

    def bad_bytes(self, source: _CheckedBytes) -> ImportFailure:
        message, line = source.failure
        return ImportFailure(f"{message} ({self.context()})", line=line)


def _item_where(item: Fields, number: int) -> str:
    title = item.get("title", "")
    return f"item {number} ({title[:60]!r})" if title else f"item {number}"


class WxrStream(SourceStream):
    """An export read while it is loaded (see SourceStream): `header()` reads up to the
    first item, `articles()` yields each post or page, checked, threaded and sanitized.

    `workers`: processes that sanitize, `chunk` pieces of content at a time (0: this one,
    each item as it is read; None: one per core for a file of `WORKERS_FROM_BYTES` or more,
    given its `size`). With `clean=False` nothing is
    sanitized (the records' HTML and text are empty): a check that the file can be
    imported, at a fraction of the cost."""

    def __init__(
        self,
        stream: BinaryIO,
        *,
        size: int = 0,
        workers: int | None = None,
        clean: bool = True,
        chunk: int | None = None,
    ):
        if workers is None:
            cpus = usable_cpus()
            workers = cpus if cpus > 1 and size >= WORKERS_FROM_BYTES else 0
        self.source = _CheckedBytes(stream)
        self.size = size
        self.clean = clean
        self.parsed = ParsedSource(source=SOURCE_WXR, site_name=None)
        self.cleaning = Cleaning(workers if clean else 0)
        # Content goes to the workers a chunk at a time; cleaned here, each item at once.
        self.chunk = (chunk or CLEAN_CHUNK) if self.cleaning.workers else 1
        self.ready: deque[_Draft] = deque()  # items read, not yet handed on
        self.post_ids: set[int] = set()
        self.reader = _Reader(self.parsed, self._item)
        self.expat = expat.ParserCreate(None, "}")
        self.expat.buffer_text = True
        self.expat.buffer_size = 65536
        self.reader.handlers(self.expat)
        self.expat.StartDoctypeDeclHandler = self._declared
        self.expat.EntityDeclHandler = self._declared
        self.expat.UnparsedEntityDeclHandler = self._declared
        self.expat.ExternalEntityRefHandler = self._declared
        self.done = False
        self.owned: BinaryIO | None = None  # the file, when the stream opened it

    def _declared(self, *args):
        # A DOCTYPE is where entity declarations live, and entities are how an "XML bomb"
        # expands a few lines into gigabytes; WordPress never writes one.
        raise _Declared

    def _item(self, fields: Fields, comments: list[Fields], number: int) -> None:
        draft = _draft(fields, comments, number, self.parsed, self.post_ids)
        if draft is not None:
            self.ready.append(draft)

    def _feed(self) -> None:
        """Give expat the next block of the file (it calls the handlers for what it holds)."""
        reader, source = self.reader, self.source
        try:
            data = source.read(READ_SIZE)
            self.expat.Parse(data, not data)
        except _BadBytes:
            raise reader.bad_bytes(source) from None
        except expat.ExpatError as exc:
            opened = bool(reader.names or reader.item_number)
            raise malformed_xml(
                exc, exc.lineno, exc.offset, reader, source, opened=opened, export="WordPress"
            ) from None
        except _Declared:
            raise ImportFailure(
                "refused: the file declares a DOCTYPE (entity declarations can make an XML "
                "bomb); a WordPress export never has one",
                line=self.expat.CurrentLineNumber,
            ) from None
        if not data:
            if source.failure:  # a character cut short at the very end of the file
                raise reader.bad_bytes(source)
            reader.finish()
            self.done = True

    def header(self) -> ParsedSource:
        while not (self.reader.item_number or self.done):
            self._feed()
        return self.parsed

    def articles(self) -> Iterator[ArticleRecord]:
        pipeline = Pipeline(self.cleaning, self._finish, self.chunk)
        while True:
            while self.ready:
                draft = self.ready.popleft()
                yield from pipeline.feed(draft, draft.jobs if self.clean else [])
            if self.done:
                break
            self._feed()
        yield from pipeline.drain()

    def _finish(self, draft: "_Draft", results: list) -> ArticleRecord:
        """The article of `draft`, its content cleaned (`results`: one per job), and its
        warnings, in the order of the file, added to the source's."""
        article, warn = draft.article, self.parsed.warn
        if results:
            article.body, article.deck = results[0][1], results[1][1]
        for notice in draft.notices:
            if isinstance(notice, Notice):
                warn(notice)
            elif results:
                job, where = notice
                for cut in results[job][2]:
                    warn(Notice(where, cut))
        article.comments = [
            CommentRecord(
                key=key,
                position=position,
                parent_key=parent_key,
                author=author,
                body_text=results[job][1] if results else "",
                body_html=results[job][0] if results else "",
                posted_at=posted_at,
                held=held,
            )
            for key, position, parent_key, author, posted_at, held, job in draft.comments
        ]
        self.parsed.articles_read += 1
        self.parsed.comments_read += len(article.comments)
        return article

    def position(self) -> tuple[int, int]:
        return self.source.offset, max(self.size, self.source.offset)

    def close(self) -> None:
        self.cleaning.close()
        if self.owned is not None:
            self.owned.close()


def open_wxr(path: Path, *, workers: int | None = None, clean: bool = True) -> WxrStream:
    """The export at `path` as a stream (see WxrStream) that closes the file with it."""
    stream = path.open("rb")
    try:
        source = WxrStream(stream, size=path.stat().st_size, workers=workers, clean=clean)
    except BaseException:
        stream.close()
        raise
    source.owned = stream
    return source


def parse_wxr(stream: BinaryIO, *, workers: int | None = 0) -> ParsedSource:
    """Parse a whole WXR export from a binary stream. Raises ImportFailure naming the line
    (for malformed XML or bytes) and the element (for a post or comment that makes no
    sense)."""
    with WxrStream(stream, workers=workers) as source:
        return source.read_all()


def malformed_xml(
    exc, line: int, column: int, state, source: _CheckedBytes, *, opened: bool, export: str
) -> ImportFailure:
    """The failure to report for XML that expat cannot read (`exc`, at `line` and `column`),
    in the words of its cause; `state` is the importer's reader (it says where the reading
    was and words bytes the encoding does not allow), `opened` whether any element or entry
    was read, `export` what the file should have been ("WordPress", "Disqus")."""
    if source.failure:
        return state.bad_bytes(source)  # bytes not in the declared encoding: say that
    if not opened and not source.content:
        return ImportFailure("the file is empty", line=1)
    if exc.code == _NO_ELEMENTS and not opened:
        return ImportFailure(f"the file holds no XML element (not a {export} export)", line=line)
    if exc.code == _UNKNOWN_ENCODING:
        return ImportFailure(
            f"the file's encoding {source.encoding!r} cannot be read by the XML parser; "
            "save the export as UTF-8",
            line=line,
        )
    problem = re.sub(r": line \d+, column \d+$", "", str(exc))
    return ImportFailure(
        f"malformed XML at column {column + 1} ({state.context()}): {problem}", line=line
    )


_NO_ELEMENTS = expat_errors.codes[expat_errors.XML_ERROR_NO_ELEMENTS]
_UNKNOWN_ENCODING = expat_errors.codes[expat_errors.XML_ERROR_UNKNOWN_ENCODING]


def _channel_field(name: str, value: str, parsed: ParsedSource) -> None:
    if name == "title" and value and parsed.site_name is None:
        parsed.site_name = value[:SITE_NAME_MAX]
    elif value and not parsed.site_domain and name != "title":
        warnings: list[Notice] = []
        parts = _split_url(value, f"rss > channel > {name}", warnings)
        for notice in warnings:
            parsed.warn(notice)
        host = (parts.hostname or "") if parts else ""
        parsed.site_domain = host.removeprefix("www.")[:253]


@dataclass
class _Draft:
    """An item read, checked and threaded, its content not yet sanitized: the article
    without body, deck and comments; its comments as (key, position, parent key, author,
    posted at, held, job); the content to sanitize (`jobs`: the body, the deck, then each
    comment's); and its warnings in the file's order, each a Notice or (job, where) for
    what sanitizing a job cuts."""

    article: ArticleRecord
    comments: list[tuple] = field(default_factory=list)
    notices: list = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)

    def job(self, markup: str, where: str, **caps) -> int:
        """Add content to sanitize (see `archive.sanitize.clean`), its cuts reported at
        `where`; returns its number."""
        self.jobs.append(
            (markup, caps["max_bytes"], caps.get("max_elements"), caps.get("paragraphs", True))
        )
        self.notices.append((len(self.jobs) - 1, where))
        return len(self.jobs) - 1


def _draft(
    item: Fields, comments: list[Fields], number: int, parsed: ParsedSource, post_ids: set[int]
) -> _Draft | None:
    """The draft of a post or page; None, with the item in `parsed.skipped`, for anything
    else. Raises ImportFailure for an item that cannot be imported."""
    title = item.get("title", "")
    where = f"item {number} ({title[:60]!r})" if title else f"item {number}"
    post_type = item.get("wp:post_type") or "post"
    status = item.get("wp:status") or "publish"
    if post_type not in ARTICLE_TYPES:
        parsed.skip(Skipped(where, f"post type {post_type}", title))
        return None
    if status not in ARTICLE_STATUSES:
        parsed.skip(Skipped(where, f"post status {status}", title))
        return None
    if "wp:post_id" not in item:
        raise ImportFailure("missing <wp:post_id>", where=where)
    post_id = _integer(item["wp:post_id"], "wp:post_id", where)
    if post_id in post_ids:
        raise ImportFailure(f"post id {post_id} appears twice", where=where)
    post_ids.add(post_id)
    where = f"{where}, post {post_id}"
    if len(title) > TITLE_MAX:
        parsed.skip(Skipped(where, f"title cut to {TITLE_MAX} characters", title))

    draft = _Draft(
        ArticleRecord(
            key=str(post_id),
            title=title[:TITLE_MAX] or f"(untitled post {post_id})",
            byline=item.get("dc:creator", "")[:NAME_MAX],
        )
    )
    draft.job(
        item.get("content:encoded", ""),
        f"{where} > content:encoded",
        max_bytes=ARTICLE_MAX_BYTES,
        max_elements=ARTICLE_MAX_ELEMENTS,
    )
    draft.job(
        item.get("excerpt:encoded", ""),
        f"{where} > excerpt:encoded",
        max_bytes=COMMENT_MAX_BYTES,
        paragraphs=False,
    )
    article = draft.article
    article.published_at = _gmt(
        item.get("wp:post_date_gmt", ""), f"{where} > wp:post_date_gmt"
    ) or _pub_date(item.get("pubDate", ""))
    article.source_url = _web_url(item.get("link", ""), f"{where} > link", draft.notices)
    draft.comments = _thread(comments, where, parsed, draft)
    return draft


# The comments an item keeps: comment id -> (parent id, author, posted at, held, job).
_Kept = dict[int, tuple[int, str | None, datetime | None, bool, int]]


def _thread(raw: list[Fields], where: str, parsed: ParsedSource, draft: _Draft) -> list[tuple]:
    """Keep the reader comments, then order them as WordPress shows a thread."""
    kept = _reader_comments(raw, where, parsed, draft)
    comments = _in_thread_order(kept, _replies(kept, where, parsed))
    if len(comments) != len(kept):
        looped = sorted(set(kept) - {int(c[0]) for c in comments})
        raise ImportFailure(
            f"comments {looped[:5]} reply to each other in a loop and belong to no thread",
            where=where,
        )
    return comments


def _reader_comments(raw: list[Fields], where: str, parsed: ParsedSource, draft: _Draft) -> _Kept:
    """The reader comments, in file order; the others are reported in `parsed.skipped`."""
    kept: _Kept = {}
    for index, element in enumerate(raw, 1):
        at = f"{where} > wp:comment {index}"
        if "wp:comment_id" not in element:
            raise ImportFailure("missing <wp:comment_id>", where=at)
        comment_id = _integer(element["wp:comment_id"], "wp:comment_id", at)
        at = f"{where} > wp:comment {comment_id}"
        kind = element.get("wp:comment_type", "")
        approved = element.get("wp:comment_approved", "")
        if kind in LINK_NOTIFICATIONS:
            parsed.skip(Skipped(at, kind, ""))
            continue
        if kind not in COMMENT_TYPES:
            parsed.skip(Skipped(at, f"comment type {kind}", ""))
            continue
        if approved in LEFT_OUT:
            parsed.skip(Skipped(at, LEFT_OUT[approved], ""))
            continue
        if approved not in APPROVED:
            # Guessing would either publish a held comment or hide a published one.
            raise ImportFailure(
                f"wp:comment_approved is {approved!r}; expected 1, 0, spam or trash", where=at
            )
        if comment_id in kept:
            raise ImportFailure(f"comment id {comment_id} appears twice", where=at)
        parent = _integer(element.get("wp:comment_parent") or "0", "parent", at)
        job = draft.job(
            element.get("wp:comment_content", ""),
            f"{at} > wp:comment_content",
            max_bytes=COMMENT_MAX_BYTES,
        )
        kept[comment_id] = (
            parent,
            element.get("wp:comment_author", "")[:NAME_MAX] or None,
            _gmt(element.get("wp:comment_date_gmt", ""), f"{at} > wp:comment_date_gmt"),
            APPROVED[approved],
            job,
        )
    return kept


def _replies(kept: _Kept, where: str, parsed: ParsedSource) -> dict[int, list[int]]:
    """Parent id (0 for the top level) -> its replies' ids, in the order WordPress lists
    them. A reply to a comment not kept moves to the top level, reported in `parsed.skipped`."""
    children: dict[int, list[int]] = {}
    for comment_id, (parent, *_) in kept.items():
        if parent and parent not in kept:
            # Its parent is spam, trashed or absent: WordPress would hide it; we show it.
            parsed.skip(
                Skipped(
                    f"{where} > wp:comment {comment_id}",
                    f"reply to comment {parent}, which is not imported: kept at top level",
                    "",
                )
            )
            parent = 0
        children.setdefault(parent, []).append(comment_id)
    unknown_date = datetime.min.replace(tzinfo=UTC)
    for siblings in children.values():
        siblings.sort(key=lambda cid: (kept[cid][2] or unknown_date, cid))
    return children


def _in_thread_order(kept: _Kept, children: dict[int, list[int]]) -> list[tuple]:
    """The comments depth first from the top level, numbered as the pages show them, as
    (key, position, parent key, author, posted at, held, job); a comment in a reply loop
    is never reached."""
    from archive.models import POSITION_MAX_LENGTH  # here: the module loads without Django

    comments: list[tuple] = []
    stack = [(cid, None, str(n)) for n, cid in reversed(list(enumerate(children.get(0, []), 1)))]
    while stack:
        comment_id, parent_key, position = stack.pop()
        if len(position) > POSITION_MAX_LENGTH:
            # Stopped at the first: numbering every level of a chain thousands deep would
            # take memory in the square of its depth (30,000 levels: 1 GB) before the
            # loader refused it.
            raise ImportFailure(
                f"comment {str(comment_id)!r} is nested too deep to number "
                f"({position.count('.') + 1} levels)",
                where=f"wp:comment {comment_id}",
            )
        _, author, posted_at, held, job = kept[comment_id]
        comments.append((str(comment_id), position, parent_key, author, posted_at, held, job))
        replies = children.get(comment_id, [])
        stack.extend(
            (reply, str(comment_id), f"{position}.{n}")
            for n, reply in reversed(list(enumerate(replies, 1)))
        )
    return comments
