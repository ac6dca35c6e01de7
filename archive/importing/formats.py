"""The formats the archive imports, and one way to import a file in any of them.

The import commands and the dashboard's upload page (a background task) both go through
`import_file`, so a file gives the same result, report and audit event however it arrives.

A format is parsed whole (`Format.parse`: page captures, Disqus exports), or read while it
is loaded (`Format.stream`: WordPress exports, which can be hundreds of megabytes), one
article at a time in one transaction, so that memory stays flat in the file's size.

Progress: `import_file(..., progress=callback)` calls `callback(done, total)` after each
chunk of the file is written (a few thousand comments), from the thread that imports:

* for a format parsed whole, `done` is the comments written so far and `total` the file's
  comments;
* for a streamed format, whose comment count is known only at its end, `done` is the bytes
  of the file read so far and `total` the file's size in bytes.

Either way `done / total` is the fraction done (`total` may be 0 for a file without
comments), and the last call has `done == total` (the file is read, all of it written;
the transaction commits when `import_file` returns).

A big WordPress export is sanitized in worker processes (see `archive.importing.cleaning`),
started from a fork server that imports the program's main module: a script that calls
`import_file` must keep its own code under `if __name__ == "__main__":` (manage.py, a task
worker and a WSGI server do). `workers=0` keeps everything in the calling process.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from archive.importing.loader import LoadReport, Progress, load
from archive.importing.records import ImportFailure, ParsedSource, SourceStream, read_text


def _parse_wxr(path: Path, site_name: str | None, name: str) -> ParsedSource:
    from archive.importing.wxr import parse_wxr

    with path.open("rb") as stream:
        return parse_wxr(stream)


def _stream_wxr(path: Path, workers: int | None) -> SourceStream:
    from archive.importing.wxr import open_wxr

    return open_wxr(path, workers=workers)


def _parse_disqus(path: Path, site_name: str | None, name: str) -> ParsedSource:
    from archive.importing.disqus import parse_disqus

    with path.open("rb") as stream:
        return parse_disqus(stream)


def _parse_page(path: Path, site_name: str | None, name: str) -> ParsedSource:
    from archive.importing.pages import parse_page

    # The file's name (as uploaded, not as stored) is the article's key: re-importing the
    # same capture updates it.
    return parse_page(read_text(path), key=Path(name).stem, site_name=site_name)


@dataclass(frozen=True)
class Format:
    key: str  # what the upload form and the task call it
    label: str
    command: str  # the management command that imports it
    suffixes: tuple[str, ...]  # file name endings the upload form accepts
    # The whole file, parsed: (the file, the site's name if given, the file's own name)
    parse: Callable[[Path, str | None, str], ParsedSource]
    # The file as a stream read while it is loaded (path, worker processes that sanitize:
    # None for the default), for formats whose files can be too big to hold parsed.
    stream: Callable[[Path, int | None], SourceStream] | None = None


FORMATS: dict[str, Format] = {
    "wxr": Format(
        "wxr", "WordPress export (WXR)", "import_wxr", (".xml", ".wxr"), _parse_wxr, _stream_wxr
    ),
    "page": Format("page", "Page capture (text)", "import_pages", (".txt",), _parse_page),
    "disqus": Format("disqus", "Disqus export", "import_disqus", (".xml",), _parse_disqus),
}

UNKNOWN_SITE = "cannot tell which site this file is from; give the site's name"


def register(fmt: Format) -> None:
    FORMATS[fmt.key] = fmt


def _format(kind: str, path: Path) -> Format:
    if kind not in FORMATS:
        raise ImportFailure(f"unknown format {kind!r}; known: {', '.join(sorted(FORMATS))}")
    if not path.is_file():
        raise ImportFailure("no such file")
    return FORMATS[kind]


def parse_file(
    kind: str, path: Path, *, site_name: str | None = None, name: str = ""
) -> ParsedSource:
    """`path` parsed whole as `kind`; ImportFailure when it cannot be imported, or when
    nothing in it or in `site_name` says which site it belongs to. `name` is the file's own
    name, when it is stored under another (an upload)."""
    parsed = _format(kind, path).parse(path, site_name, name or path.name)
    if not (site_name or parsed.site_name):
        raise ImportFailure(UNKNOWN_SITE)
    return parsed


def open_file(
    kind: str,
    path: Path,
    *,
    site_name: str | None = None,
    workers: int | None = None,
    name: str = "",
) -> ParsedSource | SourceStream:
    """`path` ready to load as `kind`: a SourceStream whose header is read, for a streamed
    format, else the file parsed whole. ImportFailure as `parse_file`. A stream must be
    closed (it is a context manager).

    A stream's site comes from its header (a WordPress export names it before its posts);
    a file that names it only after them, if at all, is read whole instead."""
    fmt = _format(kind, path)
    if fmt.stream is None:
        return parse_file(kind, path, site_name=site_name, name=name)
    stream = fmt.stream(path, workers)
    try:
        if site_name or stream.header().site_name:
            return stream
        with stream:  # the file names its site after its posts, if at all: read it whole
            parsed = stream.read_all()
    except BaseException:
        stream.close()
        raise
    if not parsed.site_name:
        raise ImportFailure(UNKNOWN_SITE)
    return parsed


def import_file(
    kind: str,
    path: Path,
    *,
    site_name: str | None = None,
    domain: str = "",
    origin: str = "",
    user=None,
    dry_run: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
) -> tuple[ParsedSource, LoadReport]:
    """Parse and load one file in one transaction (rolled back for `dry_run`). Raises
    ImportFailure, having written nothing, for a file that cannot be imported.

    `progress(done, total)`: see the module's docstring. `workers`: processes that sanitize
    a streamed file's content (None: one per core for a big file; 0: this process only).
    For a streamed format the ParsedSource returned holds no articles (they were written
    as they were read): its `skipped` and `warnings` are the file's, and
    `articles_read` / `comments_read` count what it held."""
    source = open_file(kind, path, site_name=site_name, workers=workers, name=origin)
    parsed = source.parsed if isinstance(source, SourceStream) else source
    try:
        with transaction.atomic():
            report = load(
                source,
                site_name=site_name or parsed.site_name,
                site_domain=domain,
                origin=origin or path.name,
                user=user,
                progress=progress,
            )
            if dry_run:
                transaction.set_rollback(True)
    finally:
        if isinstance(source, SourceStream):
            source.close()
    return parsed, report
