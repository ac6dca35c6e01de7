"""python manage.py import_wxr FILE... [--site NAME] [--domain DOMAIN] [--dry-run]"""

from pathlib import Path

from archive.importing.wxr import parse_wxr
from archive.management.commands._base import ImportCommand


class Command(ImportCommand):
    help = (
        "Import a WordPress export (WXR, from Tools > Export): posts and pages with their "
        "comments, held ones included, spam, trash, pingbacks and trackbacks left out."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        super().add_arguments(parser)

    def parse_file(self, path, options):
        with path.open("rb") as stream:
            return parse_wxr(stream)

    def handle(self, *args, **options):
        self.import_files(options["files"], options)
