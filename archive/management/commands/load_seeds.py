"""python manage.py load_seeds: the five seed articles, into an archive that has none yet.

`make run` calls it on every start; once the archive holds articles (the seeds, or a site's
own imports) it does nothing, so a restart never rewrites imported comments.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from archive.models import Article

SEEDS = settings.BASE_DIR / "fixtures" / "seeds.json"


class Command(BaseCommand):
    help = "Load fixtures/seeds.json, unless the archive already holds articles."

    def handle(self, *args, **options):
        if Article.objects.exists():
            self.stdout.write("The archive already holds articles: seeds not loaded.")
            return
        call_command("loaddata", SEEDS, verbosity=0)
        self.stdout.write(
            self.style.SUCCESS(f"Loaded the seed articles: {Article.objects.count()} articles.")
        )
