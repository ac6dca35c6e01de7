"""python manage.py import_disqus FILE... [--site NAME] [--domain DOMAIN] [--dry-run]"""

from pathlib import Path

from archive.importing.disqus import parse_disqus
from archive.management.commands._base import ImportCommand


class Command(ImportCommand):
    help = (
        "Import a Disqus export (the XML file Disqus e-mails, unzipped): threads with their "
        "comments; deleted and spam comments, deleted threads and threads without comments "
        "left out. Authors' e-mail and IP addresses are never read."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        super().add_arguments(parser)

    def parse_file(self, path, options):
        with path.open("rb") as stream:
            return parse_disqus(stream)

    def handle(self, *args, **options):
        self.import_files(options["files"], options)
