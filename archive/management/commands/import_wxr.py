"""python manage.py import_wxr FILE... [--site NAME] [--domain DOMAIN] [--dry-run] [--workers N]"""

from pathlib import Path

from archive.importing.wxr import open_wxr, parse_wxr
from archive.management.commands._base import ImportCommand


class Command(ImportCommand):
    help = (
        "Import a WordPress export (WXR, from Tools > Export): posts and pages with their "
        "comments, held ones included, spam, trash, pingbacks and trackbacks left out. "
        "Each file is loaded as it is read, in one transaction; with several files, each "
        "is checked first, so that a broken one among them writes nothing at all."
    )
    streamed = True

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Processes that sanitize comments (default: one per core for a file of "
            "2 MB or more; 0: this one).",
        )
        super().add_arguments(parser)

    def parse_file(self, path, options):
        with path.open("rb") as stream:
            return parse_wxr(stream)

    def open_stream(self, path, options, *, check=False):
        return open_wxr(path, workers=options["workers"], clean=not check)

    def handle(self, *args, **options):
        self.import_files(options["files"], options)
