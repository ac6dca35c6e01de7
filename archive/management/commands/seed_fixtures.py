"""python manage.py seed_fixtures [--check]: build fixtures/seeds.json from the captures.

Imports the captures listed in fixtures/pages/sites.toml into the (empty) database it runs
on and dumps the archive with natural keys. `make fixtures` runs it on a throw-away SQLite
file; `--check` compares instead of writing, so a test can prove the committed JSON is
exactly what the captures give.
"""

import io
import tomllib
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from archive.models import Site

PAGES = Path(settings.BASE_DIR) / "fixtures" / "pages"
OUTPUT = Path(settings.BASE_DIR) / "fixtures" / "seeds.json"


class Command(BaseCommand):
    help = "Rebuild fixtures/seeds.json from fixtures/pages/ (run on an empty database)."

    def add_arguments(self, parser):
        parser.add_argument("--pages", type=Path, default=PAGES, help="Folder of captures.")
        parser.add_argument("--output", type=Path, default=OUTPUT)
        parser.add_argument(
            "--check", action="store_true", help="Fail if the output differs; write nothing."
        )

    def handle(self, *args, pages, output, check, **options):
        if Site.objects.exists():
            raise CommandError(
                "the database already holds archive rows; run this on an empty database "
                "(make fixtures uses a temporary one)"
            )
        try:
            manifest = tomllib.loads((pages / "sites.toml").read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CommandError(f"{pages / 'sites.toml'}: {exc}") from None
        for site in manifest.get("site", []):
            files = [str(pages / name) for name in site["captures"]]
            call_command(
                "import_pages", *files, site=site["name"], domain=site.get("domain", ""),
                stdout=io.StringIO(),
            )  # fmt: skip
        dump = io.StringIO()
        call_command(
            "dumpdata", "archive", natural_foreign=True, natural_primary=True, indent=2,
            stdout=dump,
        )  # fmt: skip
        # dumpdata --output would write the same bytes; going through a string lets --check
        # compare without touching the file.
        text = dump.getvalue()
        if check:
            current = output.read_text("utf-8") if output.exists() else ""
            if current != text:
                raise CommandError(
                    f"{output} is not what the captures give; run `make fixtures` and commit it"
                )
            self.stdout.write(self.style.SUCCESS(f"{output} matches the captures"))
            return
        output.write_text(text, "utf-8")
        self.stdout.write(self.style.SUCCESS(f"wrote {output}"))
