"""WordPress eXtended RSS (WXR) exports, from Tools > Export, parsed into records.

An export is RSS 2.0 with WordPress's own elements in the `wp:` namespace (versions 1.0 to
1.2 differ only in the namespace URI). Each `<item>` is a post, page, attachment or menu
item; posts and pages become articles and their `<wp:comment>` elements become comments:

* `wp:comment_approved` is "1" (published), "0" (held for moderation: imported and marked
  held, it is exactly what a moderator must see), "spam" or "trash" / "post-trashed"
  (left out: WordPress never showed them and they are not reader discussion);
* `wp:comment_type` "pingback" and "trackback" are link notifications from other sites, not
  reader comments, and are left out;
* `wp:comment_parent` threads replies to any depth; siblings are ordered by date then id, as
  WordPress lists them, and numbered like the pages show them (`2`, `2.1`, `2.1.1`).

An item's `<link>` is kept only when it is an http(s) address, since the thread page links
to it; a reply whose parent is not imported (spam, trash, absent) is kept at top level.

The file is read incrementally, item by item, and through defusedxml, so an export with a
DTD entity bomb or an external entity is refused instead of expanded.
"""

import re
from datetime import UTC, datetime
from typing import BinaryIO
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, iterparse

from archive.importing.records import (
    SOURCE_WXR,
    ArticleRecord,
    CommentRecord,
    ImportFailure,
    ParsedSource,
    Skipped,
)
from archive.sanitize import autop, html_to_text, sanitize

WP_NAMESPACE_PREFIX = "http://wordpress.org/export/"
NAMESPACES = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://wordpress.org/export/1.0/excerpt/": "excerpt",
    "http://wordpress.org/export/1.1/excerpt/": "excerpt",
    "http://wordpress.org/export/1.2/excerpt/": "excerpt",
    "http://purl.org/dc/elements/1.1/": "dc",
}
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


def _name(tag: str) -> str:
    """'{http://wordpress.org/export/1.2/}post_id' -> 'wp:post_id'; plain tags unchanged.

    A namespace we do not know keeps its URI, so a plugin's <media:title> or <atom:link>
    is never taken for the RSS <title> or <link>.
    """
    if not tag.startswith("{"):
        return tag
    uri, local = tag[1:].split("}", 1)
    if uri.startswith(WP_NAMESPACE_PREFIX) and not uri.endswith("excerpt/"):
        return f"wp:{local}"
    prefix = NAMESPACES.get(uri)
    return f"{prefix}:{local}" if prefix else tag


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
    except ValueError:
        return None


def _integer(value: str, what: str, where: str) -> int:
    if not _ID.fullmatch(value):
        raise ImportFailure(f"{what} {value!r} is not a number", where=where)
    return int(value)


def _web_url(value: str) -> str:
    """The URL if it is an http(s) one, else "": the thread page links to it, and a
    `javascript:` link in a crafted export would run in the moderator's session."""
    if urlsplit(value).scheme.lower() not in ("http", "https"):
        return ""
    return value if len(value) <= 1000 else ""  # Article.source_url holds 1000


def parse_wxr(stream: BinaryIO) -> ParsedSource:
    """Parse a WXR export from a binary stream. Raises ImportFailure naming the line (for
    malformed XML) or the element (for a post or comment that makes no sense)."""
    parsed = ParsedSource(source=SOURCE_WXR, site_name=None)
    seen_root = seen_wp = False
    item_number = 0
    depth = 0
    post_ids: set[int] = set()
    parser = DefusedXMLParser(
        target=TreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        for event, element in iterparse(stream, events=("start", "end"), parser=parser):
            name = _name(element.tag)
            if event == "start":
                if not seen_root:
                    seen_root = True
                    if name != "rss":
                        raise ImportFailure(
                            f"not a WordPress export: the root element is <{name}>, not <rss>",
                            line=1,
                        )
                if name.startswith("wp:"):
                    seen_wp = True
                depth += 1
                continue
            depth -= 1
            if name == "item" and depth == 2:
                item_number += 1
                _parse_item(element, item_number, parsed, post_ids)
                element.clear()
            elif depth == 2 and name in ("title", "link", "wp:base_site_url", "wp:base_blog_url"):
                _channel_field(name, (element.text or "").strip(), parsed)
    except ParseError as exc:
        line, column = exc.position
        raise ImportFailure(f"malformed XML at column {column + 1}: {exc.msg}", line=line) from None
    except DefusedXmlException:
        # A DOCTYPE is where entity declarations live, and entities are how an "XML bomb"
        # expands a few lines into gigabytes; WordPress never writes one.
        expat = getattr(parser, "parser", None)
        raise ImportFailure(
            "refused: the file declares a DOCTYPE (entity declarations can make an XML bomb); "
            "a WordPress export never has one",
            line=getattr(expat, "CurrentLineNumber", None),
        ) from None
    if not seen_root:
        raise ImportFailure("the file is empty", line=1)
    if not seen_wp:
        raise ImportFailure("not a WordPress export: no wp: elements (is this plain RSS?)")
    return parsed


def _channel_field(name: str, value: str, parsed: ParsedSource) -> None:
    if name == "title" and value and parsed.site_name is None:
        parsed.site_name = value[:SITE_NAME_MAX]
    elif value and not parsed.site_domain and name != "title":
        host = urlsplit(value).hostname or ""
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

    body_html = sanitize(autop(_child_text(item, "content:encoded")))
    article = ArticleRecord(
        key=str(post_id),
        title=title[:TITLE_MAX] or f"(untitled post {post_id})",
        body=html_to_text(body_html),
        deck=html_to_text(sanitize(_child_text(item, "excerpt:encoded"))),
        byline=_child_text(item, "dc:creator")[:NAME_MAX],
        published_at=_gmt(_child_text(item, "wp:post_date_gmt"), f"{where} > wp:post_date_gmt")
        or _pub_date(_child_text(item, "pubDate")),
        source_url=_web_url(_child_text(item, "link")),
    )
    raw = [child for child in item if _name(child.tag) == "wp:comment"]
    article.comments = _thread(raw, where, parsed)
    parsed.articles.append(article)


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
        html = sanitize(autop(_child_text(element, "wp:comment_content")))
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
