"""python manage.py export_comments --user USERNAME --format csv|jsonl|zip [--out FILE] [filters]

The command-line twin of /export/: the same filter, rows and codebook, streamed to a file (or
to standard output for csv and jsonl), and recorded in the audit log under --user, who needs
the export capability (and the Admin role for --real-names and for --moderator, as on the
web: a username filter would map usernames to pseudonyms). A file is written beside its
destination and moved into place only when complete, so a failed export leaves nothing behind.
"""

import os
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from archive.models import Comment, Site
from moderation import export, permissions, services
from moderation.filters import STATUS_CHOICES
from moderation.models import Category


class Command(BaseCommand):
    help = "Export comments or labels (pseudonymized) as CSV, JSON Lines or a ZIP bundle."

    def add_arguments(self, parser):
        parser.add_argument(
            "--user", required=True, help="Who exports (recorded in the audit log)."
        )
        parser.add_argument("--format", required=True, choices=["csv", "jsonl", "zip"])
        parser.add_argument(
            "--table",
            choices=export.TABLES,
            default="comments",
            help="csv and jsonl: comment rows (default) or label rows; zip holds both.",
        )
        parser.add_argument(
            "--out",
            help="File to write; default standard output for csv and jsonl, and "
            "bundle-<date>.zip in the current directory for zip.",
        )
        filters = parser.add_argument_group("filters (as on /export/)")
        filters.add_argument("--site", help="Site name.")
        filters.add_argument("--article", type=int, help="Article id.")
        filters.add_argument("--category", help="Category slug (with --site if ambiguous).")
        filters.add_argument(
            "--status", choices=[value for value, _ in STATUS_CHOICES], default="all"
        )
        filters.add_argument(
            "--moderator", help="Username of a moderator who reviewed (Admins only)."
        )
        filters.add_argument("--posted-after", help="YYYY-MM-DD")
        filters.add_argument("--posted-before", help="YYYY-MM-DD")
        filters.add_argument("--reviewed-only", action="store_true")
        parser.add_argument(
            "--real-names",
            action="store_true",
            help="Real names instead of pseudonyms (Admins only; audited).",
        )

    def handle(self, *args, **options):
        user = self._user(options["user"])
        if options["moderator"] and not permissions.can(user, permissions.MANAGE_USERS):
            # As on the web: the filter and the codebook's pseudonym of the moderator would
            # map a username to its pseudonym. Refused before the username is looked up.
            raise CommandError(
                f"{user.get_username()}: Only an Admin (capability {permissions.MANAGE_USERS}) "
                "may filter by --moderator: it would map a username to its pseudonym."
            )
        filterset = export.ExportFilter(self._query(options), queryset=Comment.objects.all())
        if not filterset.is_valid():
            problems = "; ".join(
                f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items()
            )
            raise CommandError(f"Invalid filters: {problems}")
        try:
            key = export.pseudonym_key()
        except export.ExportUnavailable as error:
            raise CommandError(str(error)) from None
        prepared = export.Export(filterset, key, real_names=options["real_names"])
        fmt = options["format"]
        what = "bundle" if fmt == "zip" else options["table"]
        # The bundle's rows are its summary's counts, which its codebook writes too.
        summary = prepared.summary() if what == "bundle" else None
        rows = prepared.rows(what, summary)
        try:
            event = services.record_export(
                user,
                what=f"{what}.{fmt}",
                filters=filterset.used(),
                rows=rows,
                real_names=options["real_names"],
            )
        except services.ModerationError as error:
            raise CommandError(f"{user.get_username()}: {error}") from None
        chunks = prepared.stream(what, fmt, event=event, summary=summary)
        out = options["out"] or (prepared.filename(what, fmt) if fmt == "zip" else None)
        counted = " and ".join(f"{n} {table}" for table, n in rows.items())
        if out is None:
            _write_to(self.stdout, chunks)
            self.stderr.write(self.style.SUCCESS(f"Exported {counted} row(s)."))
            return
        _write_atomically(Path(out), chunks)
        self.stdout.write(self.style.SUCCESS(f"Exported {counted} row(s) to {out}."))

    def _user(self, username):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None

    def _query(self, options) -> QueryDict:
        query = QueryDict(mutable=True)
        query["status"] = options["status"]
        site = None
        if options["site"]:
            site = Site.objects.filter(name=options["site"]).first()
            if site is None:
                raise CommandError(f"No site named {options['site']!r}.")
            query["site"] = site.pk
        if options["article"] is not None:
            query["article"] = options["article"]
        if options["category"]:
            categories = Category.objects.filter(slug=options["category"])
            if site is not None:
                categories = categories.filter(site=site)
            found = list(categories[:2])
            if len(found) != 1:
                raise CommandError(
                    f"No category {options['category']!r}."
                    if not found
                    else f"Several sites have a category {options['category']!r}: add --site."
                )
            query["category"] = found[0].pk
        if options["moderator"]:
            query["moderator"] = self._user(options["moderator"]).pk
        for name in ("posted_after", "posted_before"):
            if options[name]:
                query[name] = options[name]
        if options["reviewed_only"]:
            query["reviewed"] = "on"
        return query


def _write_to(stdout, chunks):
    """The export's bytes (UTF-8) to standard output as they are, when it has a binary
    buffer: decoding each chunk for the text stream to encode it again cost about 1 µs a
    JSON Lines row (a twelfth of the export), and would write another encoding than a
    file's under a non-UTF-8 locale. A text-only stream (`call_command(stdout=StringIO())`)
    gets the text."""
    buffer = getattr(stdout, "buffer", None)
    if buffer is None:
        for chunk in chunks:
            stdout.write(chunk.decode(), ending="")
        return
    stdout.flush()
    for chunk in chunks:
        buffer.write(chunk)
    buffer.flush()


def _write_atomically(path: Path, chunks):
    """Write to a temporary file beside `path`, then move it into place."""
    directory = path.resolve().parent
    if not directory.is_dir():
        raise CommandError(f"No directory {directory}.")
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            for chunk in chunks:
                file.write(chunk)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
