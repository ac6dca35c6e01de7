"""python manage.py screen_comments [--site NAME]: screen every comment (of one site) again
against its site's word lists in force, as a list edit does in the background. New comments
are screened as they are stored; this is for comments stored before screening existed, or
after lists were changed past the services."""

from django.core.management.base import BaseCommand

from moderation.management.sites import chosen_sites
from moderation.screening import scoring


class Command(BaseCommand):
    help = "Screen comments again against their sites' word lists (all sites, or --site)."

    def add_arguments(self, parser):
        parser.add_argument("--site", help="a site's name (default: every site)")

    def handle(self, *args, site=None, **options):
        sites = chosen_sites(site)
        for each in sites:
            scored = scoring.rescore_site(each.pk)
            version, _ = scoring.current_list(each.pk)
            self.stdout.write(
                self.style.SUCCESS(
                    f"{each.name}: {scored} comment(s) with a suggestion (word lists v{version})."
                )
            )
