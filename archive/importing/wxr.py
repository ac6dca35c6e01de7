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

The file is read incrementally, item by item, and through defusedxml, so an export with a
DTD entity bomb or an external entity is refused instead of expanded. Its bytes are checked
against the encoding it declares as they are read, so a Latin-1 byte in a "UTF-8" export is
named by its offset and the element it is in.
"""

import codecs
import re
from datetime import UTC, datetime
from typing import BinaryIO
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError, TreeBuilder
from xml.parsers.expat import errors as expat_errors

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, iterparse

from archive.importing.records import (
    SOURCE_WXR,
    ArticleRecord,
    CommentRecord,
    ImportFailure,
    Notice,
    ParsedSource,
    Skipped,
)
from archive.sanitize import (
    COMMENT_MAX_BYTES,
    autop,
    bound,
    html_to_text,
    sanitize,
    truncate,
)

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


_prefixes: dict[str, str | None] = {}  # uri -> prefix, a cache: _name runs for every element


def _prefix(uri: str) -> str | None:
    if uri not in _prefixes:
        path = _SCHEME.sub("", uri).rstrip("/").lower()
        found = next((p for pattern, p in NAMESPACES if pattern.fullmatch(path)), None)
        if len(_prefixes) < 1000:  # a file can declare any number of namespaces
            _prefixes[uri] = found
        return found
    return _prefixes[uri]


# Content keeps its own whitespace: a comment's line breaks are its paragraphs.
_RAW = {"content:encoded", "wp:comment_content", "excerpt:encoded"}


def _child_text(element: Element, name: str) -> str:
    for child in element:
        if _name(child.tag) == name:
            return (child.text or "").strip() if name not in _RAW else (child.text or "")
    return ""


def _has_child(element: Element, name: str) -> bool:
    return any(_name(child.tag) == name for child in element)


def _gmt(value: str, where: str) -> datetime | None:
    """A WordPress GMT timestamp ('2020-10-20 14:03:09'); the all-zero date means unknown."""
    if not value or value.startswith("0000-00-00"):
        return None
    try:
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


def _split_url(value: str, where: str, parsed: ParsedSource):
    """urlsplit(value), or None, with a warning, for an address it cannot read
    ("http://[oops" is an unclosed IPv6 host): the field is left out, the item imported."""
    try:
        parts = urlsplit(value)
        parts.hostname  # noqa: B018 (reading it checks the host, as reading the port would)
    except ValueError as exc:
        problem = f"{value[:200]!r} is not a valid URL ({exc}); left out"
        parsed.warnings.append(Notice(where, problem))
        return None
    return parts


def _web_url(value: str, where: str, parsed: ParsedSource) -> str:
    """The URL if it is an http(s) one, else "": the thread page links to it, and a
    `javascript:` link in a crafted export would run in the moderator's session."""
    parts = _split_url(value, where, parsed) if value else None
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


# The XML declaration's encoding, which must come first in the file.
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][\w.:-]*)["']""")


class _Parser:
    """The state of one pass over an export: where the parser is (for messages), what it
    has seen, and what it has parsed."""

    def __init__(self):
        self.parsed = ParsedSource(source=SOURCE_WXR, site_name=None)
        self.path: list[Element] = []  # the open elements, the root first
        self.seen_wp = False
        self.item_number = 0
        self.post_ids: set[int] = set()
        self.unknown_wordpress_namespaces: set[str] = set()

    def start(self, element: Element) -> None:
        name = _name(element.tag)
        if not self.path and name != "rss":
            raise ImportFailure(
                f"not a WordPress export: the root element is <{name}>, not <rss>", line=1
            )
        self.seen_wp = self.seen_wp or name.startswith("wp:")
        self.path.append(element)
        if name == "item" and len(self.path) == 3:
            self.item_number += 1

    def end(self, element: Element) -> None:
        self.path.pop()
        name = _name(element.tag)
        if len(self.path) != 2:
            return
        if name == "item":
            if not self.seen_wp:
                where = _item_where(element, self.item_number)
                raise ImportFailure(self._not_wordpress(), where=where)
            _parse_item(element, self.item_number, self.parsed, self.post_ids)
            element.clear()
        elif name in ("title", "link", "wp:base_site_url", "wp:base_blog_url"):
            _channel_field(name, (element.text or "").strip(), self.parsed)

    def namespace(self, uri: str) -> None:
        if "wordpress" in uri.lower() and _prefix(uri) is None:
            self.unknown_wordpress_namespaces.add(uri)

    def finish(self) -> ParsedSource:
        if not self.seen_wp:
            raise ImportFailure(self._not_wordpress(), where="rss > channel")
        return self.parsed

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
        names = [_name(e.tag) for e in self.path]
        if not names:
            return "after the last element" if self.item_number or self.seen_wp else "at the start"
        if len(names) < 3 or names[2] != "item":
            return "inside " + " > ".join(names[-3:])
        return "inside " + " > ".join([_item_where(self.path[2], self.item_number), *names[3:]])

    def bad_bytes(self, source: _CheckedBytes) -> ImportFailure:
        message, line = source.failure
        return ImportFailure(f"{message} ({self.context()})", line=line)


def _item_where(item: Element, number: int) -> str:
    title = _child_text(item, "title")
    return f"item {number} ({title[:60]!r})" if title else f"item {number}"


def parse_wxr(stream: BinaryIO) -> ParsedSource:
    """Parse a WXR export from a binary stream. Raises ImportFailure naming the line (for
    malformed XML or bytes) and the element (for a post or comment that makes no sense)."""
    source = _CheckedBytes(stream)
    state = _Parser()
    parser = DefusedXMLParser(
        target=TreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    events = ("start", "end", "start-ns")
    try:
        for event, element in iterparse(source, events=events, parser=parser):
            if event == "start":
                state.start(element)
            elif event == "end":
                state.end(element)
            else:
                state.namespace(element[1])
    except _BadBytes:
        raise state.bad_bytes(source) from None
    except ParseError as exc:
        raise _malformed(exc, state, source) from None
    except DefusedXmlException:
        # A DOCTYPE is where entity declarations live, and entities are how an "XML bomb"
        # expands a few lines into gigabytes; WordPress never writes one.
        expat = getattr(parser, "parser", None)
        raise ImportFailure(
            "refused: the file declares a DOCTYPE (entity declarations can make an XML bomb); "
            "a WordPress export never has one",
            line=getattr(expat, "CurrentLineNumber", None),
        ) from None
    if source.failure:  # a character cut short at the very end of the file
        raise state.bad_bytes(source)
    return state.finish()


def _malformed(exc: ParseError, state: _Parser, source: _CheckedBytes) -> ImportFailure:
    """The failure to report for XML that expat cannot read, in the words of its cause."""
    line, column = exc.position
    if source.failure:
        return state.bad_bytes(source)  # bytes not in the declared encoding: say that
    if not state.path and not source.content:
        return ImportFailure("the file is empty", line=1)
    if exc.code == _NO_ELEMENTS and not state.path and not state.item_number:
        return ImportFailure("the file holds no XML element (not a WordPress export)", line=line)
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
        parts = _split_url(value, f"rss > channel > {name}", parsed)
        host = (parts.hostname or "") if parts else ""
        parsed.site_domain = host.removeprefix("www.")[:253]


def _parse_item(item: Element, number: int, parsed: ParsedSource, post_ids: set[int]) -> None:
    title = _child_text(item, "title")
    where = f"item {number} ({title[:60]!r})" if title else f"item {number}"
    post_type = _child_text(item, "wp:post_type") or "post"
    status = _child_text(item, "wp:status") or "publish"
    if post_type not in ARTICLE_TYPES:
        parsed.skipped.append(Skipped(where, f"post type {post_type}", title))
        return
    if status not in ARTICLE_STATUSES:
        parsed.skipped.append(Skipped(where, f"post status {status}", title))
        return
    if not _has_child(item, "wp:post_id"):
        raise ImportFailure("missing <wp:post_id>", where=where)
    post_id = _integer(_child_text(item, "wp:post_id"), "wp:post_id", where)
    if post_id in post_ids:
        raise ImportFailure(f"post id {post_id} appears twice", where=where)
    post_ids.add(post_id)
    where = f"{where}, post {post_id}"
    if len(title) > TITLE_MAX:
        parsed.skipped.append(Skipped(where, f"title cut to {TITLE_MAX} characters", title))

    body_html = _clean(
        _child_text(item, "content:encoded"),
        f"{where} > content:encoded",
        parsed,
        max_bytes=ARTICLE_MAX_BYTES,
        max_elements=ARTICLE_MAX_ELEMENTS,
    )
    deck_html = _clean(
        _child_text(item, "excerpt:encoded"),
        f"{where} > excerpt:encoded",
        parsed,
        max_bytes=COMMENT_MAX_BYTES,
        paragraphs=False,
    )
    article = ArticleRecord(
        key=str(post_id),
        title=title[:TITLE_MAX] or f"(untitled post {post_id})",
        body=html_to_text(body_html),
        deck=html_to_text(deck_html),
        byline=_child_text(item, "dc:creator")[:NAME_MAX],
        published_at=_gmt(_child_text(item, "wp:post_date_gmt"), f"{where} > wp:post_date_gmt")
        or _pub_date(_child_text(item, "pubDate")),
        source_url=_web_url(_child_text(item, "link"), f"{where} > link", parsed),
    )
    raw = [child for child in item if _name(child.tag) == "wp:comment"]
    article.comments = _thread(raw, where, parsed)
    parsed.articles.append(article)


def _clean(
    markup: str,
    where: str,
    parsed: ParsedSource,
    *,
    max_bytes: int,
    max_elements: int | None = None,
    paragraphs: bool = True,
) -> str:
    """Sanitized HTML for content as WordPress stores it (paragraphs made as WordPress shows
    them), cut to what sanitizing handles in bounded time; each cut is a warning."""
    markup, cut = truncate(markup, max_bytes)  # first: autop is linear, but in the length
    bounded = bound(autop(markup) if paragraphs else markup, max_elements=max_elements)
    for problem in ([cut] if cut else []) + list(bounded.cuts):
        parsed.warnings.append(Notice(where, problem))
    return sanitize(bounded.markup, max_elements=max_elements)


# The comments an item keeps: comment id -> (parent id, the rest of its CommentRecord).
_Kept = dict[int, tuple[int, dict]]


def _thread(raw: list[Element], where: str, parsed: ParsedSource) -> list[CommentRecord]:
    """Keep the reader comments, then order them as WordPress shows a thread."""
    kept = _reader_comments(raw, where, parsed)
    records = _in_thread_order(kept, _replies(kept, where, parsed))
    if len(records) != len(kept):
        looped = sorted(set(kept) - {int(r.key) for r in records})
        raise ImportFailure(
            f"comments {looped[:5]} reply to each other in a loop and belong to no thread",
            where=where,
        )
    return records


def _reader_comments(raw: list[Element], where: str, parsed: ParsedSource) -> _Kept:
    """The reader comments, in file order; the others are reported in `parsed.skipped`."""
    kept: _Kept = {}
    for index, element in enumerate(raw, 1):
        at = f"{where} > wp:comment {index}"
        if not _has_child(element, "wp:comment_id"):
            raise ImportFailure("missing <wp:comment_id>", where=at)
        comment_id = _integer(_child_text(element, "wp:comment_id"), "wp:comment_id", at)
        at = f"{where} > wp:comment {comment_id}"
        kind = _child_text(element, "wp:comment_type")
        approved = _child_text(element, "wp:comment_approved")
        if kind in LINK_NOTIFICATIONS:
            parsed.skipped.append(Skipped(at, kind, ""))
            continue
        if kind not in COMMENT_TYPES:
            parsed.skipped.append(Skipped(at, f"comment type {kind}", ""))
            continue
        if approved in LEFT_OUT:
            parsed.skipped.append(Skipped(at, LEFT_OUT[approved], ""))
            continue
        if approved not in APPROVED:
            # Guessing would either publish a held comment or hide a published one.
            raise ImportFailure(
                f"wp:comment_approved is {approved!r}; expected 1, 0, spam or trash", where=at
            )
        if comment_id in kept:
            raise ImportFailure(f"comment id {comment_id} appears twice", where=at)
        parent = _integer(_child_text(element, "wp:comment_parent") or "0", "parent", at)
        html = _clean(
            _child_text(element, "wp:comment_content"),
            f"{at} > wp:comment_content",
            parsed,
            max_bytes=COMMENT_MAX_BYTES,
        )
        kept[comment_id] = (
            parent,
            {
                "author": _child_text(element, "wp:comment_author")[:NAME_MAX] or None,
                "posted_at": _gmt(
                    _child_text(element, "wp:comment_date_gmt"), f"{at} > wp:comment_date_gmt"
                ),
                "body_html": html,
                "body_text": html_to_text(html),
                "held": APPROVED[approved],
            },
        )
    return kept


def _replies(kept: _Kept, where: str, parsed: ParsedSource) -> dict[int, list[int]]:
    """Parent id (0 for the top level) -> its replies' ids, in the order WordPress lists
    them. A reply to a comment not kept moves to the top level, reported in `parsed.skipped`."""
    children: dict[int, list[int]] = {}
    for comment_id, (parent, _) in kept.items():
        if parent and parent not in kept:
            # Its parent is spam, trashed or absent: WordPress would hide it; we show it.
            parsed.skipped.append(
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
        siblings.sort(key=lambda cid: (kept[cid][1]["posted_at"] or unknown_date, cid))
    return children


def _in_thread_order(kept: _Kept, children: dict[int, list[int]]) -> list[CommentRecord]:
    """The records depth first from the top level, numbered as the pages show them; a
    comment in a reply loop is never reached."""
    records: list[CommentRecord] = []
    stack = [(cid, None, str(n)) for n, cid in reversed(list(enumerate(children.get(0, []), 1)))]
    while stack:
        comment_id, parent_key, position = stack.pop()
        fields = kept[comment_id][1]
        records.append(
            CommentRecord(key=str(comment_id), position=position, parent_key=parent_key, **fields)
        )
        replies = children.get(comment_id, [])
        stack.extend(
            (reply, str(comment_id), f"{position}.{n}")
            for n, reply in reversed(list(enumerate(replies, 1)))
        )
    return records
