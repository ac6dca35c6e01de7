"""What the import commands share: reading files, reporting failures, the progress bar."""

import argparse
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from archive.importing.loader import LoadReport, load
from archive.importing.records import SOURCE_PAGE, ImportFailure, ParsedSource


class ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    width = 30

    def __init__(self, stream, label: str, enabled: bool):
        self.stream, self.label, self.enabled = stream, label, enabled
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        filled = self.width * done // total
        if filled == self.last and done != total:
            return
        self.last = filled
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} comments")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


class ImportCommand(BaseCommand):
    """Parse every file first; if any is broken, name each one and write nothing at all.
    Then load each file in its own transaction."""

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

    def parse_file(self, path: Path, options) -> ParsedSource:
        raise NotImplementedError

    def import_files(self, paths: list[Path], options) -> None:
        parsed = self._parse_all(paths, options)
        show = options["progress"]
        if show is None:
            show = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        for path, source in parsed:
            for skipped in source.skipped if options["verbosity"] >= 2 else []:
                self.stdout.write(f"  {path.name}: {skipped.where}: {skipped.kind}: {skipped.text}")
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
            raise CommandError(
                f"{len(failures)} of {len(paths)} file(s) cannot be imported; "
                "nothing was written.\n" + "\n".join(failures)
            )
        return parsed

    def _load_file(
        self, path: Path, source: ParsedSource, options, show: bool, *, first: bool
    ) -> LoadReport:
        """Load one parsed file in its own transaction (rolled back for --dry-run)."""
        site = options["site"] or source.site_name
        try:
            with transaction.atomic():
                report = load(
                    source,
                    site_name=site,
                    site_domain=options["domain"],
                    origin=path.name,
                    progress=ProgressBar(self.stderr, path.name, show),
                )
                if options["dry_run"]:
                    transaction.set_rollback(True)
        except (ImportFailure, DatabaseError) as exc:
            done = "; files before it were imported" if not first else ""
            raise CommandError(f"{path}: {exc}; nothing from this file was written{done}") from exc
        return report

    def _report_file(self, path: Path, source: ParsedSource, report: LoadReport, options) -> None:
        """What was (or would be) imported from the file, and what looks wrong with it."""
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
        if report.policy_change:
            self.stdout.write(self.style.WARNING(_policy_change(path, report)))
        if report.kept_missing:
            self.stdout.write(
                self.style.WARNING(
                    f"  {len(report.kept_missing)} comment(s) already imported are not in "
                    f"this file and were kept: {', '.join(report.kept_missing[:10])}"
                )
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
