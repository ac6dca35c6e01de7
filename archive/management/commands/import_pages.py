"""python manage.py import_pages PATH... [--site NAME] [--domain DOMAIN] [--dry-run]"""

from pathlib import Path

from archive.importing.pages import parse_page
from archive.importing.records import read_text
from archive.management.commands._base import ImportCommand


class Command(ImportCommand):
    help = (
        "Import plain-text captures of article pages (files, or folders of *.txt). "
        "Re-importing a capture updates it in place; a broken capture writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        super().add_arguments(parser)

    def parse_file(self, path, options):
        # The file name is the article's key: re-importing the same capture updates it.
        return parse_page(read_text(path), key=path.stem, site_name=options["site"])

    def handle(self, *args, **options):
        paths = []
        for path in options["paths"]:
            paths.extend(sorted(path.glob("*.txt")) if path.is_dir() else [path])
        self.import_files(paths, options)
