"""Plain records that parsers produce and the loader writes. No database here."""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

# Where a record came from; the same values as archive.models.Source.
SOURCE_PAGE = "page"
SOURCE_WXR = "wxr"
SOURCE_DISQUS = "disqus"


class ImportFailure(Exception):
    """A source that cannot be imported, with where the problem is.

    `where` is a line ("line 12") or an element path ("item 3 > wp:comment 2"); the
    command puts the file name in front, so the message names file, place and problem.
    """

    def __init__(self, message: str, *, line: int | None = None, where: str | None = None):
        self.message = message
        self.line = line
        self.where = where if where is not None else (f"line {line}" if line else None)
        super().__init__(f"{self.where}: {message}" if self.where else message)


@dataclass(frozen=True)
class CommentRecord:
    key: str  # unique within the article, stable across re-imports of the same source
    position: str  # as the page numbers it: "2", "2.1"
    parent_key: str | None
    author: str | None  # None: anonymous
    body_text: str
    body_html: str  # already sanitized
    posted_at: datetime | None = None
    held: bool = False  # waiting for moderation at the source, never shown to readers
    line: int | None = None  # where the comment starts in the source, for messages


@dataclass
class ArticleRecord:
    key: str
    title: str
    body: str = ""
    deck: str = ""
    byline: str = ""
    author_bio: str = ""
    published_at: datetime | None = None
    source_url: str = ""
    comments: list[CommentRecord] = field(default_factory=list)


@dataclass(frozen=True)
class Skipped:
    """Something in the source that was recognised and deliberately not imported."""

    where: str
    kind: str  # "chrome", "caption", "spam", "pingback", ...
    text: str


@dataclass(frozen=True)
class Notice:
    """Something in the source that could not be imported as it stands and was cut or left
    out (an overlong comment, a malformed link, a reply with nothing to answer). Unlike
    `Skipped`, always reported: the import is not what the source holds."""

    where: str  # "line 12", "item 3 ('Title'), post 10 > wp:comment 7"
    message: str


@dataclass
class ParsedSource:
    source: str  # SOURCE_PAGE, SOURCE_WXR or SOURCE_DISQUS
    site_name: str | None  # what the source says its site is, if it says
    site_domain: str = ""
    policy_text: str = ""
    articles: list[ArticleRecord] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)

    @property
    def comment_count(self) -> int:
        return sum(len(a.comments) for a in self.articles)


def read_text(path: Path) -> str:
    """A source file's text as UTF-8; a file that is not names the line of the first bad byte."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailure(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", line=line
        ) from None
