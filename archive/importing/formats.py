"""The formats the archive imports, and one way to import a file in any of them.

The import commands and the dashboard's upload page (a background task) both go through
`import_file`, so a file gives the same result, report and audit event however it arrives.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from archive.importing.loader import LoadReport, Progress, load
from archive.importing.records import ImportFailure, ParsedSource, read_text


def _parse_wxr(path: Path, site_name: str | None, name: str) -> ParsedSource:
    from archive.importing.wxr import parse_wxr

    with path.open("rb") as stream:
        return parse_wxr(stream)


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
    # (the file, the site's name if given, the file's own name) -> what it holds
    parse: Callable[[Path, str | None, str], ParsedSource]


FORMATS: dict[str, Format] = {
    "wxr": Format("wxr", "WordPress export (WXR)", "import_wxr", (".xml", ".wxr"), _parse_wxr),
    "page": Format("page", "Page capture (text)", "import_pages", (".txt",), _parse_page),
    "disqus": Format("disqus", "Disqus export", "import_disqus", (".xml",), _parse_disqus),
}


def register(fmt: Format) -> None:
    FORMATS[fmt.key] = fmt


def parse_file(
    kind: str, path: Path, *, site_name: str | None = None, name: str = ""
) -> ParsedSource:
    """`path` parsed as `kind`; ImportFailure when it cannot be imported, or when nothing in
    it or in `site_name` says which site it belongs to. `name` is the file's own name, when
    it is stored under another (an upload)."""
    if kind not in FORMATS:
        raise ImportFailure(f"unknown format {kind!r}; known: {', '.join(sorted(FORMATS))}")
    if not path.is_file():
        raise ImportFailure("no such file")
    parsed = FORMATS[kind].parse(path, site_name, name or path.name)
    if not (site_name or parsed.site_name):
        raise ImportFailure("cannot tell which site this file is from; give the site's name")
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
) -> tuple[ParsedSource, LoadReport]:
    """Parse and load one file in one transaction (rolled back for `dry_run`). Raises
    ImportFailure, having written nothing, for a file that cannot be imported."""
    parsed = parse_file(kind, path, site_name=site_name, name=origin)
    with transaction.atomic():
        report = load(
            parsed,
            site_name=site_name or parsed.site_name,
            site_domain=domain,
            origin=origin or path.name,
            user=user,
            progress=progress,
        )
        if dry_run:
            transaction.set_rollback(True)
    return parsed, report
