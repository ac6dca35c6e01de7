"""What the import commands share: reading files, reporting failures, the progress bar."""

import argparse
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from archive.importing.loader import LoadReport, check_article, load
from archive.importing.records import SOURCE_PAGE, ImportFailure, ParsedSource, SourceStream


class ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal: comments
    written of the file's, or for a file loaded as it is read, megabytes read of its size
    (`unit="bytes"`)."""

    width = 30

    def __init__(self, stream, label: str, enabled: bool, unit: str = "comments"):
        self.stream, self.label, self.enabled, self.unit = stream, label, enabled, unit
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        filled = self.width * done // total
        if filled == self.last and done != total:
            return
        self.last = filled
        bar = "#" * filled + "." * (self.width - filled)
        if self.unit == "bytes":
            amount = f"{done / 2**20:,.1f}/{total / 2**20:,.1f} MB"
        else:
            amount = f"{done}/{total} {self.unit}"
        self.stream.write(f"\r{self.label} [{bar}] {amount}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


class ImportCommand(BaseCommand):
    """Each file loads in its own transaction (rolled back for --dry-run).

    Files parsed whole (`parse_file`) are all parsed first: if any is broken, each broken
    one is named and nothing at all is written. A command whose files are loaded as they
    are read (`open_stream`: WordPress exports, of any size) reads each of several files
    through once first to check it (nothing sanitized or written), with the same outcome;
    a failure found while loading (a database error) then names its file, writes nothing
    from it, and leaves the files before it imported, as the message says."""

    def add_arguments(self, parser):
        parser.add_argument("--site", help="Site name the files belong to (overrides detection).")
        parser.add_argument("--domain", default="", help="The site's domain, e.g. asbarez.com.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )
        parser.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Show a progress bar (default: when stderr is a terminal).",
        )

    streamed = False  # True: files are loaded as they are read (`open_stream`)

    def parse_file(self, path: Path, options) -> ParsedSource:
        raise NotImplementedError

    def open_stream(self, path: Path, options, *, check: bool = False) -> SourceStream:
        """The file as a stream loaded as it is read, for a command that streams; `check`:
        only to check it, nothing sanitized."""
        raise NotImplementedError

    def import_files(self, paths: list[Path], options) -> None:
        show = options["progress"]
        if show is None:
            show = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        if self.streamed:
            self._stream_files(paths, options, show)
            return
        parsed = self._parse_all(paths, options)
        for path, source in parsed:
            report = self._load_file(path, source, options, show, first=path == parsed[0][0])
            self._report_file(path, source, report, options)

    def _parse_all(self, paths: list[Path], options) -> list[tuple[Path, ParsedSource]]:
        """Every file parsed, or a CommandError naming each one that cannot be imported."""
        parsed, failures = [], []
        for path in paths:
            try:
                if not path.is_file():
                    raise ImportFailure("no such file")
                source = self.parse_file(path, options)
                if not (options["site"] or source.site_name):
                    raise ImportFailure(
                        "cannot tell which site this page is from; pass --site NAME"
                    )
            except ImportFailure as exc:
                failures.append(f"{path}: {exc}")
            else:
                parsed.append((path, source))
        if failures:
            raise CommandError(_refused(len(paths), failures))
        return parsed

    def _load_file(
        self, path: Path, source: ParsedSource | SourceStream, options, show: bool, *, first: bool
    ) -> LoadReport:
        """Load one file in its own transaction (rolled back for --dry-run)."""
        streamed = isinstance(source, SourceStream)
        parsed = source.parsed if streamed else source
        site = options["site"] or parsed.site_name
        unit = "bytes" if streamed else "comments"
        try:
            with transaction.atomic():
                report = load(
                    source,
                    site_name=site,
                    site_domain=options["domain"],
                    origin=path.name,
                    progress=ProgressBar(self.stderr, path.name, show, unit),
                )
                if options["dry_run"]:
                    transaction.set_rollback(True)
        except (ImportFailure, DatabaseError) as exc:
            done = "; files before it were imported" if not first else ""
            raise CommandError(f"{path}: {exc}; nothing from this file was written{done}") from exc
        return report

    def _stream_files(self, paths: list[Path], options, show: bool) -> None:
        """Each file loaded as it is read; with several, each checked first."""
        if len(paths) > 1:
            self._check_all(paths, options)
        for path in paths:
            first = path == paths[0]
            try:
                source = self._open(path, options)
            except ImportFailure as exc:
                raise CommandError(_failed(path, exc, len(paths), first)) from exc
            try:
                report = self._load_file(path, source, options, show, first=first)
            except CommandError as exc:
                if len(paths) == 1 and isinstance(exc.__cause__, ImportFailure):
                    # Found while reading the one file: said as a broken file is.
                    raise CommandError(_failed(path, exc.__cause__, 1, first)) from exc
                raise
            finally:
                if isinstance(source, SourceStream):
                    source.close()
            parsed = source.parsed if isinstance(source, SourceStream) else source
            self._report_file(path, parsed, report, options)

    def _open(self, path: Path, options) -> ParsedSource | SourceStream:
        """The file as a stream, its header read; or, when its header does not name its
        site, parsed whole (an export may name it after its posts)."""
        if not path.is_file():
            raise ImportFailure("no such file")
        stream = self.open_stream(path, options)
        try:
            if options["site"] or stream.header().site_name:
                return stream
            with stream:
                parsed = stream.read_all()
        except BaseException:
            stream.close()
            raise
        if not parsed.site_name:
            raise ImportFailure("cannot tell which site this page is from; pass --site NAME")
        return parsed

    def _check_all(self, paths: list[Path], options) -> None:
        """Every file read through once, nothing sanitized or written: a CommandError naming
        each one that cannot be imported."""
        failures = []
        for path in paths:
            try:
                if not path.is_file():
                    raise ImportFailure("no such file")
                with self.open_stream(path, options, check=True) as stream:
                    for article in stream.articles():
                        check_article(article)
                if not (options["site"] or stream.parsed.site_name):
                    raise ImportFailure(
                        "cannot tell which site this page is from; pass --site NAME"
                    )
            except ImportFailure as exc:
                failures.append(f"{path}: {exc}")
        if failures:
            raise CommandError(_refused(len(paths), failures))

    def _report_file(self, path: Path, source: ParsedSource, report: LoadReport, options) -> None:
        """What was (or would be) imported from the file, and what looks wrong with it."""
        if options["verbosity"] >= 2:
            for skipped in source.skipped:
                self.stdout.write(f"  {path.name}: {skipped.where}: {skipped.kind}: {skipped.text}")
            if source.unlisted_skipped:
                self.stdout.write(
                    f"  {path.name}: and {source.unlisted_skipped:,} more left out (not listed)"
                )
        prefix = "Would import" if options["dry_run"] else "Imported"
        style = self.style.SUCCESS if report.changed else self.style.HTTP_INFO
        self.stdout.write(style(f"{prefix} {path.name} -> {report.summary()}"))
        if source.source == SOURCE_PAGE and not source.comment_count:
            self.stdout.write(
                self.style.WARNING(
                    f"  {path.name}: no comments found; if the page has some, its comment "
                    "section is in a shape this importer does not know"
                )
            )
        for notice in report.warnings:
            self.stdout.write(
                self.style.WARNING(f"  {path.name}: {notice.where}: {notice.message}")
            )
        if report.unlisted_warnings:
            self.stdout.write(
                self.style.WARNING(
                    f"  {path.name}: and {report.unlisted_warnings:,} more warnings (not listed)"
                )
            )
        if report.policy_change:
            self.stdout.write(self.style.WARNING(_policy_change(path, report)))
        if report.kept_missing:
            self.stdout.write(
                self.style.WARNING(
                    f"  {len(report.kept_missing)} comment(s) already imported are not in "
                    f"this file and were kept: {', '.join(report.kept_missing[:10])}"
                )
            )


def _failed(path: Path, failure: ImportFailure, files: int, first: bool) -> str:
    """What to say of a file found broken while it was loaded: as a broken file is when it
    is the only one, else what was and was not written."""
    if files == 1:
        return _refused(1, [f"{path}: {failure}"])
    done = "; files before it were imported" if not first else ""
    return f"{path}: {failure}; nothing from this file was written{done}"


def _refused(files: int, failures: list[str]) -> str:
    return (
        f"{len(failures)} of {files} file(s) cannot be imported; nothing was written.\n"
        + "\n".join(failures)
    )


def _policy_change(path: Path, report: LoadReport) -> str:
    before, after = report.policy_change
    if not before:
        return (
            f"  {path.name}: the site's posted policy is now the text of this file: {_clip(after)}"
        )
    return (
        f"  {path.name}: this file changes the site's posted policy text\n"
        f"    was: {_clip(before)}\n    now: {_clip(after)}"
    )


def _clip(text: str, width: int = 160) -> str:
    """A long text on one line, its middle left out: its start and end show what changed."""
    text = " ".join(text.split())
    if len(text) <= width:
        return repr(text)
    half = (width - 5) // 2
    return repr(f"{text[:half]} […] {text[-half:]}")
