"""Plain records that parsers produce and the loader writes. No database here."""

from collections.abc import Iterator
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


LISTED = 10_000  # skipped items, and warnings, kept per source


@dataclass
class ParsedSource:
    source: str  # SOURCE_PAGE, SOURCE_WXR or SOURCE_DISQUS
    site_name: str | None  # what the source says its site is, if it says
    site_domain: str = ""
    policy_text: str = ""
    articles: list[ArticleRecord] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)

    # Records a streamed source has handed to the loader and forgotten (see SourceStream).
    articles_read: int = 0
    comments_read: int = 0
    # Skipped items and warnings past the first LISTED of each: counted, not kept, so that a
    # file of millions of pingbacks or cut comments does not fill memory (see `skip`, `warn`).
    unlisted_skipped: int = 0
    unlisted_warnings: int = 0

    def skip(self, entry: Skipped) -> None:
        if len(self.skipped) < LISTED:
            self.skipped.append(entry)
        else:
            self.unlisted_skipped += 1

    def warn(self, notice: Notice) -> None:
        if len(self.warnings) < LISTED:
            self.warnings.append(notice)
        else:
            self.unlisted_warnings += 1

    @property
    def comment_count(self) -> int:
        return sum(len(a.comments) for a in self.articles) + self.comments_read


class SourceStream:
    """A source loaded while it is read, one article at a time, so that memory stays flat
    in the file's size (a WordPress export of any size): the parser's side.

    `parsed` is what the source says about itself: its site (`header()` reads as far as
    the first article, so it is known before anything is loaded), then, as `articles()` is
    read, its skipped items and warnings; its `articles` list stays empty (the counts of
    what went by are `articles_read` and `comments_read`). A failure anywhere in the file
    is raised from `articles()` as an ImportFailure, so a loader that writes while reading
    must do it in one transaction. `position()` is (bytes read, the file's size). Close it
    (or use it in a `with`) to stop its worker processes.
    """

    parsed: ParsedSource

    def header(self) -> ParsedSource:
        raise NotImplementedError

    def articles(self) -> Iterator[ArticleRecord]:
        raise NotImplementedError

    def read_all(self) -> ParsedSource:
        """The rest of the source, whole: a ParsedSource with every article in its list."""
        self.parsed.articles.extend(self.articles())
        self.parsed.articles_read = self.parsed.comments_read = 0
        return self.parsed

    def position(self) -> tuple[int, int]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


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
